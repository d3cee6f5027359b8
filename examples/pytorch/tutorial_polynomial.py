#!/usr/bin/python3
# PyTorch's tutorial "Learning PyTorch with Examples: PyTorch: optim", as published, with two
# flags; examples/tutorial_polynomial.cpp is its xgrad port, line for line.
#   /usr/bin/python3 examples/pytorch/tutorial_polynomial.py [--steps 2000] [--seed 0]
import argparse
import math

import torch


def main():
    p = argparse.ArgumentParser(description="Fit a third-order polynomial to sin(x) with RMSprop (PyTorch's optim tutorial).",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--steps", type=int, default=2000, help="training steps")
    p.add_argument("--seed", type=int, default=0, help="manual_seed for the initial weights")
    args = p.parse_args()
    torch.manual_seed(args.seed)

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    # Prepare the input tensor (x, x^2, x^3).
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)

    # Use the nn package to define our model and loss function.
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction='sum')

    # Use the optim package to define an Optimizer that will update the weights of the model
    # for us. Here we will use RMSprop.
    learning_rate = 1e-3
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
    final_loss = 0
    for t in range(args.steps):
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(xx)

        # Compute and print loss.
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            print(t, loss.item())
        final_loss = loss.item()

        # Before the backward pass, zero all of the gradients of the variables it will update.
        optimizer.zero_grad()

        # Backward pass: compute gradient of the loss with respect to model parameters.
        loss.backward()

        # Calling the step function on an Optimizer makes an update to its parameters.
        optimizer.step()

    linear_layer = model[0]
    print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + {linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
    print(f'final loss {final_loss}')


if __name__ == "__main__":
    main()
