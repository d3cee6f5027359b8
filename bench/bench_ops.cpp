// Time per forward + backward of single ops at the MLP's, the CNN's (examples/mnist_cnn.cpp) and
// the ResNet's (examples/resnet_model.hpp) shapes, so that a regression points at its op. Each
// op's output is backpropagated with a gradient of ones. A gemm_bound_ row times the three
// matrix products of the conv2d row it names, alone (forward W·cols, dW = G·colsᵀ, dcols = Wᵀ·G,
// at the shapes im2col gives): the time no im2col convolution can beat. Google Benchmark does
// the timing: it picks the iteration count, repeats each row 5 times and reports the median
// (bench/run.py reads --benchmark_format=json); its flags apply, e.g. --benchmark_filter=relu.
// --im2col runs conv2d on xgrad's own kernels in a build with oneDNN (core/backends.hpp).
#include <benchmark/benchmark.h>

#include <functional>
#include <string>

#include "core/blas.hpp"

#include <xgrad.hpp>

using namespace xg;

namespace {

struct Case {
    std::string name;
    std::vector<Shape> shapes;
    std::function<Tensor(const std::vector<Tensor>&)> fn;
};

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"matmul_64x784_784x128", {{64, 784}, {784, 128}}, [](auto& v) { return matmul(v[0], v[1]); }},
        {"linear_64x784_to_128", {{64, 784}, {128, 784}, {128}}, [](auto& v) { return linear(v[0], v[1], v[2]); }},
        {"add_broadcast_64x128_128", {{64, 128}, {128}}, [](auto& v) { return v[0] + v[1]; }},
        {"relu_64x128", {{64, 128}}, [](auto& v) { return relu(v[0]); }},
        {"log_softmax_64x10", {{64, 10}}, [](auto& v) { return log_softmax(v[0], 1); }},
        {"cross_entropy_64x10",
         {{64, 10}},
         [](auto& v) { return nn::functional::cross_entropy(v[0], Tensor::zeros({64})); }},
        {"sum_64x128", {{64, 128}}, [](auto& v) { return sum(v[0]); }},
        // mnist_cnn at batch 64: conv1, pool1, conv2, pool2
        {"conv2d_64x1x28x28_16x5x5_p2",
         {{64, 1, 28, 28}, {16, 1, 5, 5}, {16}},
         [](auto& v) { return conv2d(v[0], v[1], v[2], 1, 2); }},
        {"conv2d_64x16x14x14_32x5x5_p2",
         {{64, 16, 14, 14}, {32, 16, 5, 5}, {32}},
         [](auto& v) { return conv2d(v[0], v[1], v[2], 1, 2); }},
        {"max_pool2d_64x16x28x28_k2", {{64, 16, 28, 28}}, [](auto& v) { return max_pool2d(v[0], 2); }},
        {"max_pool2d_64x32x14x14_k2", {{64, 32, 14, 14}}, [](auto& v) { return max_pool2d(v[0], 2); }},
        {"relu_64x16x28x28", {{64, 16, 28, 28}}, [](auto& v) { return relu(v[0]); }},
        // the ResNet at batch 128: a 3x3 conv of each stage, a stride-2 one, a 1x1 shortcut, BatchNorm
        {"conv2d_128x16x28x28_16x3x3_p1",
         {{128, 16, 28, 28}, {16, 16, 3, 3}},
         [](auto& v) { return conv2d(v[0], v[1], Tensor(), 1, 1); }},
        {"conv2d_128x32x14x14_32x3x3_p1",
         {{128, 32, 14, 14}, {32, 32, 3, 3}},
         [](auto& v) { return conv2d(v[0], v[1], Tensor(), 1, 1); }},
        {"conv2d_128x64x7x7_64x3x3_p1",
         {{128, 64, 7, 7}, {64, 64, 3, 3}},
         [](auto& v) { return conv2d(v[0], v[1], Tensor(), 1, 1); }},
        {"conv2d_128x16x28x28_32x3x3_s2_p1",
         {{128, 16, 28, 28}, {32, 16, 3, 3}},
         [](auto& v) { return conv2d(v[0], v[1], Tensor(), 2, 1); }},
        {"conv2d_128x16x28x28_32x1x1_s2",
         {{128, 16, 28, 28}, {32, 16, 1, 1}},
         [](auto& v) { return conv2d(v[0], v[1], Tensor(), 2, 0); }},
        {"batch_norm_128x16x28x28",
         {{128, 16, 28, 28}, {16}, {16}},
         [](auto& v) { return batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true, 0.1f, 1e-5f); }},
        {"batch_norm_128x64x7x7",
         {{128, 64, 7, 7}, {64}, {64}},
         [](auto& v) { return batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true, 0.1f, 1e-5f); }},
    };
    return all;
}

void run_case(benchmark::State& state, const Case& c) {
    std::vector<Tensor> inputs;
    for (const Shape& s : c.shapes) inputs.push_back(Tensor::randn(s, true));
    for (auto _ : state) {
        Tensor out = c.fn(inputs);
        out.backward(Tensor::ones(out.shape()));
    }
    for (Tensor& in : inputs) in.mutable_grad() = Tensor();
}

// The three products of a conv2d row: x [N, C, H, W], weight [O, C, k, k] give K = C·k·k,
// P = N·Ho·Wo; forward [O, K]·[K, P], dW [O, P]·[K, P]ᵀ, dcols [O, K]ᵀ·[O, P].
struct GemmBound {
    std::string name;
    std::size_t O, K, P;
};

const std::vector<GemmBound>& gemm_bounds() {
    static const std::vector<GemmBound> all = {
        {"gemm_bound_conv2d_64x1x28x28_16x5x5_p2", 16, 25, 64 * 28 * 28},
        {"gemm_bound_conv2d_64x16x14x14_32x5x5_p2", 32, 400, 64 * 14 * 14},
        {"gemm_bound_conv2d_128x16x28x28_16x3x3_p1", 16, 144, 128 * 28 * 28},
        {"gemm_bound_conv2d_128x32x14x14_32x3x3_p1", 32, 288, 128 * 14 * 14},
        {"gemm_bound_conv2d_128x64x7x7_64x3x3_p1", 64, 576, 128 * 7 * 7},
        {"gemm_bound_conv2d_128x16x28x28_32x3x3_s2_p1", 32, 144, 128 * 14 * 14},
        {"gemm_bound_conv2d_128x16x28x28_32x1x1_s2", 32, 16, 128 * 14 * 14},
    };
    return all;
}

void run_gemm_bound(benchmark::State& state, const GemmBound& b) {
    const Tensor w = Tensor::randn({b.O, b.K}), cols = Tensor::randn({b.K, b.P}), g = Tensor::randn({b.O, b.P});
    std::vector<float> y(b.O * b.P), dw(b.O * b.K), dcols(b.K * b.P);
    for (auto _ : state) {
        detail::gemm(false, false, b.O, b.P, b.K, w.data().data(), cols.data().data(), y.data());
        detail::gemm(false, true, b.O, b.K, b.P, g.data().data(), cols.data().data(), dw.data());
        detail::gemm(true, false, b.K, b.P, b.O, w.data().data(), g.data().data(), dcols.data());
        benchmark::DoNotOptimize(dcols.data());
    }
}

}  // namespace

int main(int argc, char** argv) {
    manual_seed(0);
    set_num_threads(1);
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) != "--im2col") continue;
        backends::onednn::set_enabled(false);
        for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];  // Google Benchmark rejects flags it doesn't know
        argv[--argc] = nullptr;
        break;
    }
    for (const Case& c : cases()) {
        benchmark::RegisterBenchmark(c.name.c_str(), run_case, c)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime()
            ->Repetitions(5)
            ->ReportAggregatesOnly(true);
    }
    for (const GemmBound& b : gemm_bounds()) {
        benchmark::RegisterBenchmark(b.name.c_str(), run_gemm_bound, b)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime()
            ->Repetitions(5)
            ->ReportAggregatesOnly(true);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
