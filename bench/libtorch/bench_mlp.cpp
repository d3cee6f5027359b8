// libtorch peer of bench/bench_mlp.cpp: same MLP, data, loss, optimizer and RESULT lines.
// Usage: libtorch_bench_mlp DATA_DIR ARCH BATCH THREADS EPOCHS
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "common.hpp"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    const std::string data = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    const std::string arch = argc > 2 ? argv[2] : "784-128-10";
    const int64_t b = argc > 3 ? std::stol(argv[3]) : 64;
    const int threads = argc > 4 ? std::stoi(argv[4]) : 1;
    const int epochs = argc > 5 ? std::stoi(argv[5]) : 3;
    torch::manual_seed(0);
    torch::set_num_threads(threads);

    auto [x, y] = load_train(data);
    const int64_t n = x.size(0);

    std::vector<int64_t> sizes;
    std::stringstream ss(arch);
    for (std::string part; std::getline(ss, part, '-');) sizes.push_back(std::stol(part));
    torch::nn::Sequential model{torch::nn::Flatten()};
    for (size_t i = 0; i + 1 < sizes.size(); ++i) {
        model->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
        if (i + 2 < sizes.size()) model->push_back(torch::nn::ReLU());
    }
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));

    std::vector<double> rates;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        auto start = Clock::now();
        torch::Tensor perm = torch::randperm(n);
        for (int64_t i = 0; i + b <= n; i += b) {  // drop_last, as bench_mlp
            torch::Tensor idx = perm.slice(0, i, i + b);
            torch::Tensor xb = x.index_select(0, idx), yb = y.index_select(0, idx);
            opt.zero_grad();
            torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(xb), yb);
            loss.backward();
            opt.step();
        }
        const double rate =
            static_cast<double>((n / b) * b) / std::chrono::duration<double>(Clock::now() - start).count();
        if (epoch >= 2) rates.push_back(rate);
    }
    std::sort(rates.begin(), rates.end());
    const double r = rates[rates.size() / 2];
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    std::printf("RESULT samples_per_s=%g\nRESULT epoch_s=%g\nRESULT max_rss_mb=%g\n", r,
                static_cast<double>((n / b) * b) / r, u.ru_maxrss / 1024.0);
    return 0;
}
