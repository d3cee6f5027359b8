#!/usr/bin/python3
# The PyTorch script that examples/xor.cpp mirrors line for line: a 2-H-1 MLP (Linear, Tanh,
# Linear, Sigmoid) learns XOR, full batch, binary cross-entropy; ends with the truth table.
#   /usr/bin/python3 examples/pytorch/xor.py [--steps 2000] [--lr 0.05] [--optimizer adam|sgd] ...
# xor's --tape, --dot, --metrics and --plot show xgrad's own tape; PyTorch has no counterpart.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import make_optimizer


def main():
    p = argparse.ArgumentParser(description="Learn XOR with a small MLP (Linear, Tanh, Linear, Sigmoid) and print its truth table.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--steps", type=int, default=2000, help="training steps (full batch of the 4 inputs)")
    p.add_argument("--lr", type=float, default=0.05, help="learning rate")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam", help="adam, or sgd (with momentum 0.9)")
    p.add_argument("--hidden", type=int, default=8, help="hidden units")
    p.add_argument("--seed", type=int, default=0, help="random seed (manual_seed) for the initial weights")
    p.add_argument("--log-every", type=int, default=200, help="print the loss every N steps")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    x = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    y = torch.tensor([[0.0], [1], [1], [0]])

    model = nn.Sequential(nn.Linear(2, args.hidden), nn.Tanh(), nn.Linear(args.hidden, 1), nn.Sigmoid())
    opt = make_optimizer(args, model.parameters())  # --optimizer adam|sgd
    print(model, end="\n\n")

    for step in range(1, args.steps + 1):
        opt.zero_grad()
        loss = F.binary_cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if step % args.log_every == 0 or step == 1:
            print(f"step {step:5d}  loss {loss.item():.6f}")

    model.eval()
    with torch.no_grad():
        p = model(x)
    print("\n  a  b | target | prediction\n ------+--------+-----------")
    right = 0
    for i in range(4):
        pred = p[i, 0].item()
        right += (pred > 0.5) == (y[i, 0].item() > 0.5)
        print(f"  {x[i, 0]:.0f}  {x[i, 1]:.0f} |   {y[i, 0]:.0f}    |  {pred:.4f}")
    print(f"\n{right} of 4 right")
    return 0 if right == 4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
