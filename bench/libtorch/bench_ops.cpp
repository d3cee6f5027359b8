// libtorch peer of bench/bench_ops.cpp: forward + backward (gradient of ones) of single ops, µs;
// gemm_bound_ rows time the three matrix products of the conv2d row they name (torch::mm).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {
std::vector<int64_t> hw(int64_t v) { return {v, v}; }  // a stride or padding for both image dims
}  // namespace

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
        {"conv2d_64x1x28x28_16x5x5_p2",
         {{64, 1, 28, 28}, {16, 1, 5, 5}, {16}},
         [](auto& v) { return torch::conv2d(v[0], v[1], v[2], hw(1), hw(2)); }},
        {"conv2d_64x16x14x14_32x5x5_p2",
         {{64, 16, 14, 14}, {32, 16, 5, 5}, {32}},
         [](auto& v) { return torch::conv2d(v[0], v[1], v[2], hw(1), hw(2)); }},
        {"max_pool2d_64x16x28x28_k2", {{64, 16, 28, 28}}, [](auto& v) { return torch::max_pool2d(v[0], 2); }},
        {"max_pool2d_64x32x14x14_k2", {{64, 32, 14, 14}}, [](auto& v) { return torch::max_pool2d(v[0], 2); }},
        {"relu_64x16x28x28", {{64, 16, 28, 28}}, [](auto& v) { return torch::relu(v[0]); }},
        {"conv2d_128x16x28x28_16x3x3_p1",
         {{128, 16, 28, 28}, {16, 16, 3, 3}},
         [](auto& v) { return torch::conv2d(v[0], v[1], torch::Tensor(), hw(1), hw(1)); }},
        {"conv2d_128x32x14x14_32x3x3_p1",
         {{128, 32, 14, 14}, {32, 32, 3, 3}},
         [](auto& v) { return torch::conv2d(v[0], v[1], torch::Tensor(), hw(1), hw(1)); }},
        {"conv2d_128x64x7x7_64x3x3_p1",
         {{128, 64, 7, 7}, {64, 64, 3, 3}},
         [](auto& v) { return torch::conv2d(v[0], v[1], torch::Tensor(), hw(1), hw(1)); }},
        {"conv2d_128x16x28x28_32x3x3_s2_p1",
         {{128, 16, 28, 28}, {32, 16, 3, 3}},
         [](auto& v) { return torch::conv2d(v[0], v[1], torch::Tensor(), hw(2), hw(1)); }},
        {"conv2d_128x16x28x28_32x1x1_s2",
         {{128, 16, 28, 28}, {32, 16, 1, 1}},
         [](auto& v) { return torch::conv2d(v[0], v[1], torch::Tensor(), hw(2), hw(0)); }},
        {"batch_norm_128x16x28x28",
         {{128, 16, 28, 28}, {16}, {16}},
         [](auto& v) {
             return torch::batch_norm(v[0], v[1], v[2], torch::Tensor(), torch::Tensor(), true, 0.1, 1e-5, false);
         }},
        {"batch_norm_128x64x7x7",
         {{128, 64, 7, 7}, {64}, {64}},
         [](auto& v) {
             return torch::batch_norm(v[0], v[1], v[2], torch::Tensor(), torch::Tensor(), true, 0.1, 1e-5, false);
         }},
    };
    // (O, K, P) of each conv2d row: forward [O, K]·[K, P], dW [O, P]·[K, P]ᵀ, dcols [O, K]ᵀ·[O, P]
    const std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>> gemm_bounds = {
        {"gemm_bound_conv2d_64x1x28x28_16x5x5_p2", 16, 25, 64 * 28 * 28},
        {"gemm_bound_conv2d_64x16x14x14_32x5x5_p2", 32, 400, 64 * 14 * 14},
        {"gemm_bound_conv2d_128x16x28x28_16x3x3_p1", 16, 144, 128 * 28 * 28},
        {"gemm_bound_conv2d_128x32x14x14_32x3x3_p1", 32, 288, 128 * 14 * 14},
        {"gemm_bound_conv2d_128x64x7x7_64x3x3_p1", 64, 576, 128 * 7 * 7},
        {"gemm_bound_conv2d_128x16x28x28_32x3x3_s2_p1", 32, 144, 128 * 14 * 14},
        {"gemm_bound_conv2d_128x16x28x28_32x1x1_s2", 32, 16, 128 * 14 * 14},
    };
    // 2,000 iterations a run, fewer for the ops that take milliseconds (a run of ~0.2 s, at least 5).
    const auto iterations = [](const std::function<void()>& step) {
        step();  // warm-up
        auto t = std::chrono::steady_clock::now();
        step();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        return std::max(5, std::min(2000, static_cast<int>(0.2 / s)));
    };
    const auto time_runs = [](int n, const std::function<void()>& step, const std::function<void()>& after) {
        std::vector<double> runs;
        for (int rep = 0; rep < 5; ++rep) {
            auto t = std::chrono::steady_clock::now();
            for (int i = 0; i < n; ++i) step();
            runs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count() / n);
            after();
        }
        std::sort(runs.begin(), runs.end());
        return runs[2];
    };
    for (const auto& [name, shapes, fn] : cases) {
        std::vector<torch::Tensor> inputs;
        for (const auto& s : shapes) inputs.push_back(torch::randn(s, torch::requires_grad()));
        const std::function<void()> step = [&, fn = fn] {
            torch::Tensor out = fn(inputs);
            out.backward(torch::ones_like(out));
        };
        const double t = time_runs(iterations(step), step, [&] {
            for (auto& in : inputs) in.mutable_grad() = torch::Tensor();
        });
        std::printf("RESULT %s_us=%g\n", name.c_str(), 1e6 * t);
        std::fflush(stdout);
    }
    torch::NoGradGuard no_grad;
    for (const auto& [name, O, K, P] : gemm_bounds) {
        const torch::Tensor w = torch::randn({O, K}), cols = torch::randn({K, P}), g = torch::randn({O, P});
        const std::function<void()> step = [&] {
            torch::mm(w, cols);
            torch::mm(g, cols.t());
            torch::mm(w.t(), g);
        };
        std::printf("RESULT %s_us=%g\n", name.c_str(), 1e6 * time_runs(iterations(step), step, [] {}));
        std::fflush(stdout);
    }
    return 0;
}
