// The pinn example's training step as a benchmark: a 1-32-32-32-1 tanh MLP on 64 collocation
// points, u'' through two autograd::grad calls with create_graph, Adam; steps per second.
#include <CLI/CLI.hpp>

#include <cmath>
#include <numbers>

#include <xgrad.hpp>

#include "bench_util.hpp"

using namespace xg;

int main(int argc, char** argv) {
    int steps = 2000, repeats = 3;
    std::size_t points = 64;
    CLI::App app{"xgrad PINN training steps per second (second derivatives through the tape)."};
    app.add_option("--steps", steps, "steps per repeat")->capture_default_str();
    app.add_option("--repeats", repeats, "repeats; the median is reported")->capture_default_str();
    app.add_option("--points", points, "collocation points")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    manual_seed(0);
    set_num_threads(1);
    const float two_pi = 2.0f * std::numbers::pi_v<float>;
    auto model = nn::Sequential(nn::Linear(1, 32), nn::Tanh(), nn::Linear(32, 32), nn::Tanh(), nn::Linear(32, 32),
                                nn::Tanh(), nn::Linear(32, 1));
    const auto N = static_cast<float>(points);
    Tensor x = ((Tensor::arange(N) + 0.5f) / N).unsqueeze(1).requires_grad_();
    Tensor f = -two_pi * two_pi * sin(x.detach() * two_pi);
    Tensor xb = Tensor::from({{0}, {1}});
    optim::Adam opt(model.parameters(), {.lr = 1e-3});
    bench::time_steps(steps, repeats, [&] {
        Tensor u = model(x);
        Tensor du = autograd::grad({u.sum()}, {x}, {.create_graph = true})[0];
        Tensor d2u = autograd::grad({du.sum()}, {x}, {.create_graph = true})[0];
        Tensor residual = d2u - f;
        Tensor loss = (residual * residual).mean() + 100.0f * pow(model(xb), 2.0f).mean();
        opt.zero_grad();
        loss.backward();
        opt.step();
        return loss.item();
    });
    return 0;
}
