// A 20-line program against API.md's Tensor section: fit y = 2x + 1 with the tape by hand.
#include <xgrad.hpp>

#include <iostream>

using namespace xg;

int main() {
    manual_seed(0);
    Tensor x = Tensor::randn({64, 1});
    Tensor y = x * 2.0f + 1.0f;
    Tensor w = Tensor::zeros({1, 1}, true), b = Tensor::zeros({1}, true);
    for (int step = 0; step < 200; ++step) {
        Tensor loss = mean(pow(matmul(x, w) + b - y, 2.0f));
        loss.backward();
        NoGradGuard no_grad;
        w.data() -= 0.1f * w.grad().data();
        b.data() -= 0.1f * b.grad().data();
        w.mutable_grad() = Tensor();
        b.mutable_grad() = Tensor();
    }
    std::cout << "w = " << w.item() << ", b = " << b.item() << "\n";
    return std::abs(w.item() - 2.0f) < 1e-3f && std::abs(b.item() - 1.0f) < 1e-3f ? 0 : 1;
}
