// libtorch peer of bench/bench_overhead.cpp: 2-16-16-1 Tanh MLP, batch 4, MSE, Adam.
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 20000, repeats = 3;
    torch::manual_seed(0);
    torch::set_num_threads(1);
    torch::Tensor x = torch::randn({4, 2}), y = torch::randn({4, 1});
    torch::nn::Sequential model(torch::nn::Linear(2, 16), torch::nn::Tanh(), torch::nn::Linear(16, 16),
                                torch::nn::Tanh(), torch::nn::Linear(16, 1));
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
    std::vector<double> per_step;
    for (int r = 0; r < repeats; ++r) {
        auto t = std::chrono::steady_clock::now();
        for (int s = 0; s < steps; ++s) {
            opt.zero_grad();
            torch::Tensor loss = torch::mse_loss(model->forward(x), y);
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
