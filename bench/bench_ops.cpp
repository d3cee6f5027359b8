// Time per forward + backward of single ops at the MLP's shapes, so that a regression points
// at its op. Each op's output is backpropagated with a gradient of ones.
#include <CLI/CLI.hpp>

#include <functional>

#include <xgrad.hpp>

#include "bench_util.hpp"

using namespace xg;

int main(int argc, char** argv) {
    int iterations = 2000;
    CLI::App app{"xgrad forward + backward time of single ops (microseconds)."};
    app.add_option("--iterations", iterations, "iterations per op and repeat")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    manual_seed(0);
    set_num_threads(1);

    struct Case {
        std::string name;
        std::vector<Shape> shapes;
        std::function<Tensor(const std::vector<Tensor>&)> fn;
    };
    const std::vector<Case> cases = {
        {"matmul_64x784_784x128", {{64, 784}, {784, 128}}, [](auto& v) { return matmul(v[0], v[1]); }},
        {"linear_64x784_to_128", {{64, 784}, {128, 784}, {128}}, [](auto& v) { return linear(v[0], v[1], v[2]); }},
        {"add_broadcast_64x128_128", {{64, 128}, {128}}, [](auto& v) { return v[0] + v[1]; }},
        {"relu_64x128", {{64, 128}}, [](auto& v) { return relu(v[0]); }},
        {"log_softmax_64x10", {{64, 10}}, [](auto& v) { return log_softmax(v[0], 1); }},
        {"cross_entropy_64x10", {{64, 10}}, [](auto& v) { return nn::functional::cross_entropy(v[0], Tensor::zeros({64})); }},
        {"sum_64x128", {{64, 128}}, [](auto& v) { return sum(v[0]); }},
    };
    for (const Case& c : cases) {
        std::vector<Tensor> inputs;
        for (const Shape& s : c.shapes) inputs.push_back(Tensor::randn(s, true));
        std::vector<double> runs;
        for (int rep = 0; rep < 5; ++rep) {
            const auto t = bench::Clock::now();
            for (int i = 0; i < iterations; ++i) {
                Tensor out = c.fn(inputs);
                out.backward(Tensor::ones(out.shape()));
            }
            runs.push_back(bench::seconds_since(t) / iterations);
            for (Tensor& in : inputs) in.mutable_grad() = Tensor();
        }
        bench::result(c.name + "_us", 1e6 * bench::median(runs));
    }
    return 0;
}
