// Learns XOR with a 2-H-1 MLP (Linear, Tanh, Linear, Sigmoid), full batch, binary cross-entropy;
// examples/pytorch/xor.py is the same script in PyTorch, line for line. Prints the loss as it
// trains and ends with the truth table.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

#include <xgrad.hpp>

#include "common.hpp"

using namespace xg;

int main(int argc, char** argv) {
    struct {
        int steps = 2000;
        double lr = 0.05;
        std::string optimizer = "adam";
        std::size_t hidden = 8;
        std::uint64_t seed = 0;
        int log_every = 200;
        std::string dot, metrics, plot;
        bool tape = false;
    } args;
    CLI::App app{"Learn XOR with a small MLP (Linear, Tanh, Linear, Sigmoid) and print its truth table."};
    app.add_option("--steps", args.steps, "training steps (full batch of the 4 inputs)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--lr", args.lr, "learning rate")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--optimizer", args.optimizer, "adam, or sgd (with momentum 0.9)")
        ->capture_default_str()
        ->check(CLI::IsMember({"adam", "sgd"}));
    app.add_option("--hidden", args.hidden, "hidden units")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--seed", args.seed, "random seed (manual_seed) for the initial weights")->capture_default_str();
    app.add_option("--log-every", args.log_every, "print the loss every N steps")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--dot", args.dot,
                   "write the tape of the first step's loss as Graphviz DOT to FILE (dot -Tsvg FILE -o tape.svg)");
    app.add_flag("--tape", args.tape, "print the tape of the first step's loss, op by op");
    app.add_option("--metrics", args.metrics, "write the loss every --log-every steps as CSV to FILE");
    app.add_option("--plot", args.plot, "write the loss curve as an SVG plot to FILE (opens in a browser)");
    CLI11_PARSE(app, argc, argv);

    manual_seed(args.seed);
    Tensor x = Tensor::from({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
    Tensor y = Tensor::from({{0}, {1}, {1}, {0}});

    auto model = nn::Sequential(nn::Linear(2, args.hidden), nn::Tanh(), nn::Linear(args.hidden, 1), nn::Sigmoid());
    auto optimizer = examples::make_optimizer(args, model.parameters());  // --optimizer adam|sgd
    optim::Optimizer& opt = *optimizer;
    std::cout << model << "\n\n";

    viz::MetricsLog log("step");
    for (int step = 1; step <= args.steps; ++step) {
        opt.zero_grad();
        Tensor loss = nn::functional::binary_cross_entropy(model(x), y);
        if (step == 1 && args.tape) autograd::print_tape(std::cout, loss, model.named_parameters());
        if (step == 1 && !args.dot.empty()) {
            std::ofstream(args.dot) << autograd::to_dot(loss, model.named_parameters());
            std::printf("wrote the tape to %s\n", args.dot.c_str());
        }
        loss.backward();
        opt.step();
        if (step % args.log_every == 0 || step == 1) {
            std::printf("step %5d  loss %.6f\n", step, loss.item());
            log.log(step, "loss", loss.item());
        }
    }
    if (!args.metrics.empty()) log.write_csv(args.metrics);
    if (!args.plot.empty()) log.write_svg(args.plot, "XOR: binary cross-entropy while training");

    model.eval();
    NoGradGuard no_grad;
    Tensor p = model(x);
    std::printf("\n  a  b | target | prediction\n ------+--------+-----------\n");
    int right = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const float pred = p.data()(i, 0);
        right += (pred > 0.5f) == (y.data()(i, 0) > 0.5f);
        std::printf("  %.0f  %.0f |   %.0f    |  %.4f\n", x.data()(i, 0), x.data()(i, 1), y.data()(i, 0), pred);
    }
    std::printf("\n%d of 4 right\n", right);
    return right == 4 ? 0 : 1;
}
