// A physics-informed neural network (PINN), mirroring examples/pytorch/pinn.py: a small tanh MLP
// learns u(x) from the equation it must satisfy, not from examples of u. The loss holds u'' — the
// second derivative of the network's output with respect to its input — which autograd::grad gives
// with create_graph = true, and then backward() differentiates that again with respect to the
// weights. The PyTorch lines it follows:
//
//   x = ((torch.arange(N) + 0.5) / N).unsqueeze(1).requires_grad_()      # collocation points
//   u = model(x)
//   du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]           # u'(x)
//   d2u = torch.autograd.grad(du.sum(), x, create_graph=True)[0]         # u''(x)
//   loss = ((d2u - f) ** 2).mean() + w * (model(xb) ** 2).mean()         # residual + boundary
//
// The problem: the 1-D Poisson equation u''(x) = -4π² sin(2πx) on [0, 1] with u(0) = u(1) = 0,
// whose solution is u(x) = sin(2πx). Each u_i depends only on x_i, so the gradient of Σu with
// respect to x is u'(x) point by point, and the same for u''.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>

#include <xgrad.hpp>

using namespace xg;

int main(int argc, char** argv) {
    struct {
        int steps = 3000;
        double lr = 3e-3;
        std::size_t points = 64, hidden = 32;
        float boundary_weight = 100.0f;
        std::uint64_t seed = 0;
        int threads = 1, log_every = 500;
        std::string metrics, plot;
    } args;
    CLI::App app{"Solve u''(x) = -4π² sin(2πx), u(0) = u(1) = 0, with a physics-informed MLP (1-H-H-H-1, tanh)."};
    app.add_option("--steps", args.steps, "Adam steps")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--lr", args.lr, "Adam's learning rate (x0.3 after each third of the steps)")->capture_default_str();
    app.add_option("--points", args.points, "collocation points, evenly spaced in (0, 1)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--hidden", args.hidden, "units in each of the 3 hidden layers")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--boundary-weight", args.boundary_weight, "weight of the boundary term in the loss")
        ->capture_default_str();
    app.add_option("--seed", args.seed, "manual_seed for the initial weights")->capture_default_str();
    app.add_option("--threads", args.threads, "threads for the matrix products")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--log-every", args.log_every, "print the loss every N steps")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--metrics", args.metrics, "write the loss every --log-every steps as CSV to FILE");
    app.add_option("--plot", args.plot,
                   "write the learned u(x), the exact solution and the error as an SVG plot to FILE");
    CLI11_PARSE(app, argc, argv);

    manual_seed(args.seed);
    set_num_threads(args.threads);
    const float two_pi = 2.0f * std::numbers::pi_v<float>;
    const std::size_t H = args.hidden;
    auto model = nn::Sequential(nn::Linear(1, H), nn::Tanh(), nn::Linear(H, H), nn::Tanh(), nn::Linear(H, H),
                                nn::Tanh(), nn::Linear(H, 1));

    const auto N = static_cast<float>(args.points);
    Tensor x = ((Tensor::arange(N) + 0.5f) / N).unsqueeze(1).requires_grad_();  // [N, 1]
    Tensor f = -two_pi * two_pi * sin(x.detach() * two_pi);                     // u''(x) for the exact u
    Tensor xb = Tensor::from({{0}, {1}});                                       // the boundary

    optim::Adam opt(model.parameters(), {.lr = args.lr});
    optim::StepLR scheduler(opt, std::max(1, args.steps / 3), 0.3);
    viz::MetricsLog log("step");
    const auto start = std::chrono::steady_clock::now();
    for (int step = 1; step <= args.steps; ++step) {
        Tensor u = model(x);
        Tensor du = autograd::grad({u.sum()}, {x}, {.create_graph = true})[0];    // u'(x)   [N, 1]
        Tensor d2u = autograd::grad({du.sum()}, {x}, {.create_graph = true})[0];  // u''(x)  [N, 1]
        Tensor residual = d2u - f;
        Tensor loss = (residual * residual).mean() + args.boundary_weight * pow(model(xb), 2.0f).mean();
        opt.zero_grad();
        loss.backward();
        opt.step();
        scheduler.step();
        if (step % args.log_every == 0 || step == args.steps) {
            std::printf("step %5d  loss %.6f\n", step, loss.item());
            log.log(step, "loss", loss.item());
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // How close is the network to the solution? Relative L2 error on 1001 evenly spaced points,
    // and the largest |u'' - f| at the collocation points.
    Tensor xt = (Tensor::arange(1001.0f) / 1000.0f).unsqueeze(1);
    Tensor exact = sin(xt * two_pi);
    Tensor u_residual;
    {
        Tensor u = model(x);
        Tensor du = autograd::grad({u.sum()}, {x}, {.create_graph = true})[0];
        u_residual = autograd::grad({du.sum()}, {x})[0] - f;
    }
    model.eval();
    NoGradGuard no_grad;
    Tensor predicted = model(xt);
    const float rel_l2 = std::sqrt(sum(pow(predicted - exact, 2.0f)).item() / sum(pow(exact, 2.0f)).item());
    std::printf("trained %d steps in %.1f s (%.0f steps/s)\n", args.steps, seconds, args.steps / seconds);
    std::printf("max |u'' - f| at the collocation points: %.4f\n", max(abs(u_residual)).item());
    std::printf("relative L2 error against sin(2πx): %.2e\n", rel_l2);

    if (!args.metrics.empty()) log.write_csv(args.metrics);
    if (!args.plot.empty()) {
        viz::MetricsLog curves("x");
        for (std::size_t i = 0; i < 1001; i += 10) {
            const double at = xt.data()(i, 0);
            curves.log(at, "u(x), network", predicted.data()(i, 0));
            curves.log(at, "u(x) = sin(2πx), exact", exact.data()(i, 0));
            curves.log(at, "error", predicted.data()(i, 0) - exact.data()(i, 0));
        }
        curves.write_svg(args.plot, "PINN: u'' = -4π² sin(2πx), u(0) = u(1) = 0");
    }
    return 0;
}
