// Time per forward + backward of single ops at the MLP's shapes, so that a regression points
// at its op. Each op's output is backpropagated with a gradient of ones. Google Benchmark does
// the timing: it picks the iteration count, repeats each row 5 times and reports the median
// (bench/run.py reads --benchmark_format=json); its flags apply, e.g. --benchmark_filter=relu.
#include <benchmark/benchmark.h>

#include <functional>

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

}  // namespace

int main(int argc, char** argv) {
    manual_seed(0);
    set_num_threads(1);
    for (const Case& c : cases()) {
        benchmark::RegisterBenchmark(c.name.c_str(), run_case, c)
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
