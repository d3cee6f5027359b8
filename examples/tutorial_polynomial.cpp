// PyTorch's tutorial "Learning PyTorch with Examples: PyTorch: optim", ported line for line:
// examples/pytorch/tutorial_polynomial.py is the tutorial's script. A third-order polynomial
// y = a + b x + c x² + d x³ is fitted to sin(x) on [-π, π] by a Linear(3, 1) layer, RMSprop.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <numbers>

#include <xgrad.hpp>

using namespace xg;

int main(int argc, char** argv) {
    int steps = 2000;
    std::uint64_t seed = 0;
    CLI::App app{"Fit a third-order polynomial to sin(x) with RMSprop (PyTorch's optim tutorial)."};
    app.add_option("--steps", steps, "training steps")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--seed", seed, "manual_seed for the initial weights")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    manual_seed(seed);

    // Create Tensors to hold input and outputs.
    Tensor x = Tensor::linspace(-std::numbers::pi, std::numbers::pi, 2000);
    Tensor y = sin(x);

    // Prepare the input tensor (x, x^2, x^3).
    Tensor p = Tensor::from({1, 2, 3});
    Tensor xx = x.unsqueeze(-1).pow(p);

    // Use the nn package to define our model and loss function.
    auto model = nn::Sequential(nn::Linear(3, 1), nn::Flatten(0, 1));
    auto loss_fn = nn::MSELoss(nn::Reduction::sum);

    // Use the optim package to define an Optimizer that will update the weights of the model
    // for us. Here we will use RMSprop.
    double learning_rate = 1e-3;
    auto optimizer = optim::RMSprop(model.parameters(), learning_rate);
    float final_loss = 0;
    for (int t = 0; t < steps; ++t) {
        // Forward pass: compute predicted y by passing x to the model.
        Tensor y_pred = model(xx);

        // Compute and print loss.
        Tensor loss = loss_fn(y_pred, y);
        if (t % 100 == 99) std::printf("%d %g\n", t, loss.item());
        final_loss = loss.item();

        // Before the backward pass, zero all of the gradients of the variables it will update.
        optimizer.zero_grad();

        // Backward pass: compute gradient of the loss with respect to model parameters.
        loss.backward();

        // Calling the step function on an Optimizer makes an update to its parameters.
        optimizer.step();
    }

    auto& linear_layer = model.at<nn::Linear>(0);
    Tensor w = linear_layer.weight;
    std::printf("Result: y = %g + %g x + %g x^2 + %g x^3\n", linear_layer.bias.item(), w.data()(0, 0), w.data()(0, 1),
                w.data()(0, 2));
    std::printf("final loss %g\n", final_loss);
}
