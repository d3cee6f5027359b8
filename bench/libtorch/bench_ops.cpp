// libtorch peer of bench/bench_ops.cpp: forward + backward (gradient of ones) of single ops, µs.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

int main() {
    torch::manual_seed(0);
    torch::set_num_threads(1);
    using Fn = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;
    const std::vector<std::tuple<std::string, std::vector<std::vector<int64_t>>, Fn>> cases = {
        {"matmul_64x784_784x128", {{64, 784}, {784, 128}}, [](auto& v) { return torch::matmul(v[0], v[1]); }},
        {"linear_64x784_to_128",
         {{64, 784}, {128, 784}, {128}},
         [](auto& v) { return torch::nn::functional::linear(v[0], v[1], v[2]); }},
        {"add_broadcast_64x128_128", {{64, 128}, {128}}, [](auto& v) { return v[0] + v[1]; }},
        {"relu_64x128", {{64, 128}}, [](auto& v) { return torch::relu(v[0]); }},
        {"log_softmax_64x10", {{64, 10}}, [](auto& v) { return torch::log_softmax(v[0], 1); }},
        {"cross_entropy_64x10",
         {{64, 10}},
         [](auto& v) { return torch::nn::functional::cross_entropy(v[0], torch::zeros({64}, torch::kLong)); }},
        {"sum_64x128", {{64, 128}}, [](auto& v) { return v[0].sum(); }},
    };
    for (const auto& [name, shapes, fn] : cases) {
        std::vector<torch::Tensor> inputs;
        for (const auto& s : shapes) inputs.push_back(torch::randn(s, torch::requires_grad()));
        std::vector<double> runs;
        for (int rep = 0; rep < 5; ++rep) {
            auto t = std::chrono::steady_clock::now();
            for (int i = 0; i < 2000; ++i) {
                torch::Tensor out = fn(inputs);
                out.backward(torch::ones_like(out));
            }
            runs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count() / 2000);
            for (auto& in : inputs) in.mutable_grad() = torch::Tensor();
        }
        std::sort(runs.begin(), runs.end());
        std::printf("RESULT %s_us=%g\n", name.c_str(), 1e6 * runs[2]);
    }
    return 0;
}
