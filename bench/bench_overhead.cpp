// Per-op cost: a tiny 2-16-16-1 Tanh MLP, batch 4, MSE, Adam, 20,000 steps — the size where
// XOR-like work lives and the framework's bookkeeping, not arithmetic, sets the speed.
#include <CLI/CLI.hpp>

#include <xgrad.hpp>

#include "bench_util.hpp"

using namespace xg;

int main(int argc, char** argv) {
    int steps = 20000, repeats = 3;
    CLI::App app{"xgrad per-step overhead on a tiny network."};
    app.add_option("--steps", steps, "steps per repeat")->capture_default_str();
    app.add_option("--repeats", repeats, "repeats; the median is reported")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    manual_seed(0);
    set_num_threads(1);
    Tensor x = Tensor::randn({4, 2});
    Tensor y = Tensor::randn({4, 1});
    auto model = nn::Sequential(nn::Linear(2, 16), nn::Tanh(), nn::Linear(16, 16), nn::Tanh(), nn::Linear(16, 1));
    optim::Adam opt(model.parameters(), {.lr = 1e-3});
    bench::time_steps(steps, repeats, [&] {
        opt.zero_grad();
        Tensor loss = nn::functional::mse_loss(model(x), y);
        loss.backward();
        opt.step();
        return loss.item();
    });
    return 0;
}
