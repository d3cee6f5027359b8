// my_trainer.cpp: API.md's seed example as a complete program. A Sequential of
// Linear, ReLU, Linear, Sigmoid learns to predict sigmoid(x0 + ... + x9).
#include <xgrad.hpp>

#include <iostream>

using namespace xg;

int main() {
    manual_seed(0);
    auto model = nn::Sequential(
        nn::Linear(10, 20),   // layer 1: 10 -> 20
        nn::ReLU(),           // layer 2
        nn::Linear(20, 1),    // layer 3: 20 -> 1
        nn::Sigmoid());

    Tensor x = Tensor::randn({64, 10});
    Tensor target = sigmoid(x.sum(1, /*keepdim=*/true));  // [64, 1], values in (0, 1)

    optim::Adam opt(model.parameters(), {.lr = 1e-2});
    for (int step = 1; step <= 300; ++step) {
        Tensor y = model(x);                       // runs every layer in order, shape {64, 1}
        Tensor loss = nn::functional::binary_cross_entropy(y, target);
        opt.zero_grad();
        loss.backward();                           // reverse-mode, replays the tape
        opt.step();
        if (step % 100 == 0) std::cout << "step " << step << "  loss " << loss.item() << "\n";
    }
    std::cout << model << "\n";                    // prints the layers, as PyTorch does

    model.eval();
    NoGradGuard no_grad;
    const float error = mean(abs(model(x) - target)).item();
    std::cout << "mean |prediction - target| = " << error << "\n";
    return error < 0.05f ? 0 : 1;
}
