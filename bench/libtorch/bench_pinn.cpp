// libtorch peer of bench/bench_pinn.cpp: a 1-32-32-32-1 tanh MLP on 64 collocation points, u''
// through two torch::autograd::grad calls with create_graph, Adam; steps per second.
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 2000, repeats = 3;
    const int64_t points = argc > 2 ? std::atoi(argv[2]) : 64;
    torch::manual_seed(0);
    torch::set_num_threads(1);
    const double two_pi = 2.0 * M_PI;
    torch::nn::Sequential model(torch::nn::Linear(1, 32), torch::nn::Tanh(), torch::nn::Linear(32, 32),
                                torch::nn::Tanh(), torch::nn::Linear(32, 32), torch::nn::Tanh(),
                                torch::nn::Linear(32, 1));
    const double N = static_cast<double>(points);
    torch::Tensor x = ((torch::arange(N) + 0.5) / N).unsqueeze(1).requires_grad_();
    torch::Tensor f = -two_pi * two_pi * torch::sin(x.detach() * two_pi);
    torch::Tensor xb = torch::tensor({0.0f, 1.0f}).unsqueeze(1);
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
    std::vector<double> per_step;
    for (int r = 0; r < repeats; ++r) {
        auto t = std::chrono::steady_clock::now();
        for (int s = 0; s < steps; ++s) {
            torch::Tensor u = model->forward(x);
            torch::Tensor du = torch::autograd::grad({u.sum()}, {x}, {}, true, true)[0];
            torch::Tensor d2u = torch::autograd::grad({du.sum()}, {x}, {}, true, true)[0];
            torch::Tensor residual = d2u - f;
            torch::Tensor loss = (residual * residual).mean() + 100.0 * torch::pow(model->forward(xb), 2.0).mean();
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        per_step.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count() / steps);
    }
    std::sort(per_step.begin(), per_step.end());
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    std::printf("RESULT us_per_step=%g\nRESULT steps_per_s=%g\nRESULT max_rss_mb=%g\n", 1e6 * per_step[1],
                1 / per_step[1], u.ru_maxrss / 1024.0);
    return 0;
}
