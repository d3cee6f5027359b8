// Shared by the (Fashion-)MNIST trainers: the progress line, evaluation with a confusion
// matrix, and the per-class report, so each trainer file keeps only its model and its loop.
#pragma once

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <xgrad.hpp>

namespace examples {

using namespace xg;
using Clock = std::chrono::steady_clock;

// The flags every (Fashion-)MNIST trainer takes, with mnist_mlp's defaults.
struct TrainingArgs {
    std::string data = "/usr/share/datasets/fashion-mnist";
    int epochs = 5;
    std::size_t batch_size = 64;
    double lr = 1e-3;
    std::string optimizer = "adam";
    std::uint64_t seed = 1;
    int threads = 1;
    std::string save, load, metrics, plot;
    bool eval_only = false, quiet = false;
};

inline void add_training_flags(CLI::App& app, TrainingArgs& args) {
    app.add_option("--data", args.data, "folder with the four IDX files (raw or .gz) of MNIST or Fashion-MNIST")->capture_default_str();
    app.add_option("--epochs", args.epochs, "passes over the training set")->capture_default_str()->check(CLI::NonNegativeNumber);
    app.add_option("--batch-size", args.batch_size, "examples per training step")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--lr", args.lr, "learning rate")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--optimizer", args.optimizer, "adam, or sgd (momentum 0.9)")->capture_default_str()->check(CLI::IsMember({"adam", "sgd"}));
    app.add_option("--seed", args.seed, "manual_seed for initial weights and shuffling")->capture_default_str();
    app.add_option("--threads", args.threads, "threads for the matrix products (OpenBLAS)")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--save", args.save, "write the trained weights to FILE (safetensors)");
    app.add_option("--load", args.load, "start from the weights in FILE (safetensors)");
    app.add_flag("--eval-only", args.eval_only, "skip training: evaluate the (loaded) model on the test set");
    app.add_flag("--quiet", args.quiet, "print only the per-epoch summaries and the final accuracy");
    app.add_option("--metrics", args.metrics, "write per-epoch train loss, test loss and test accuracy as CSV to FILE");
    app.add_option("--plot", args.plot, "write those curves as an SVG plot to FILE (opens in a browser)");
}

// False (after saying where it looked and how to get the data) when the data folder is missing.
inline bool data_folder_exists(const TrainingArgs& args, const char* program) {
    if (std::filesystem::is_directory(args.data)) return true;
    std::fprintf(stderr,
                 "%s: data folder '%s' does not exist.\n"
                 "  Fashion-MNIST: apt-get install dataset-fashion-mnist (installs /usr/share/datasets/fashion-mnist)\n"
                 "  MNIST digits:  bash scripts/download-mnist.sh DIR (needs internet; checks checksums), then --data DIR\n",
                 program, args.data.c_str());
    return false;
}

// --optimizer adam: Adam(lr); sgd: SGD(lr, momentum 0.9).
inline std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, double lr, std::vector<Tensor> params) {
    if (name == "adam") return std::make_unique<optim::Adam>(std::move(params), optim::AdamOptions{.lr = lr});
    return std::make_unique<optim::SGD>(std::move(params), optim::SGDOptions{.lr = lr, .momentum = 0.9});
}
inline std::unique_ptr<optim::Optimizer> make_optimizer(const TrainingArgs& args, std::vector<Tensor> params) {
    return make_optimizer(args.optimizer, args.lr, std::move(params));
}

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One line redrawn in place on a terminal; a few plain lines per epoch otherwise.
class Progress {
public:
    Progress(int epoch, std::size_t batches, bool quiet)
        : epoch_(epoch), batches_(batches), quiet_(quiet), tty_(isatty(fileno(stdout)) != 0), start_(Clock::now()) {}

    void update(std::size_t done, std::size_t samples, double running_loss) {
        if (quiet_) return;
        const double elapsed = seconds_since(start_);
        if (tty_) {
            if (elapsed - last_draw_ < 0.1 && done != batches_) return;
            last_draw_ = elapsed;
            const int width = 30;
            const int filled = static_cast<int>(width * done / batches_);
            const double left = done ? elapsed * static_cast<double>(batches_ - done) / static_cast<double>(done) : 0.0;
            std::printf("\repoch %d [%s%s] %zu/%zu  %6.0f samples/s  loss %.4f  %3.0fs left ", epoch_,
                        std::string(static_cast<std::size_t>(filled), '=').c_str(),
                        std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), done, batches_,
                        static_cast<double>(samples) / elapsed, running_loss, left);
            if (done == batches_) std::printf("\n");
            std::fflush(stdout);
        } else if (done * 4 / batches_ != (done - 1) * 4 / batches_ && done != batches_) {
            std::printf("epoch %d: %zu/%zu batches, %.0f samples/s, loss %.4f\n", epoch_, done, batches_,
                        static_cast<double>(samples) / elapsed, running_loss);
            std::fflush(stdout);
        }
    }

private:
    int epoch_;
    std::size_t batches_;
    bool quiet_, tty_;
    Clock::time_point start_;
    double last_draw_ = -1.0;
};

struct Evaluation {
    double loss = 0.0, accuracy = 0.0;
    std::array<std::array<std::size_t, 10>, 10> confusion{};  // [true][predicted]
};

inline Evaluation evaluate(nn::Module& model, const data::DataLoader& loader) {
    model.eval();
    NoGradGuard no_grad;
    Evaluation e;
    std::size_t correct = 0, n = 0;
    for (auto& [x, y] : loader) {
        Tensor out = model(x);
        e.loss += nn::functional::cross_entropy(out, y, nn::Reduction::sum).item();
        Tensor pred = out.argmax(1);
        for (std::size_t i = 0; i < y.numel(); ++i) {
            const auto t = static_cast<std::size_t>(y.data()(i)), p = static_cast<std::size_t>(pred.data()(i));
            ++e.confusion[t][p];
            correct += t == p;
        }
        n += y.numel();
    }
    e.loss /= static_cast<double>(n);
    e.accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(n);
    return e;
}

inline void print_per_class(const Evaluation& e, bool fashion) {
    static const char* fashion_names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    std::printf("\nper-class accuracy and confusion matrix (rows: true class, columns: predicted)\n");
    std::printf("%-14s %7s  ", "class", "acc");
    for (int c = 0; c < 10; ++c) std::printf("%5d", c);
    std::printf("\n");
    for (std::size_t t = 0; t < 10; ++t) {
        std::size_t total = 0;
        for (std::size_t p = 0; p < 10; ++p) total += e.confusion[t][p];
        const std::string name = fashion ? std::to_string(t) + " " + fashion_names[t] : std::to_string(t);
        std::printf("%-14s %6.2f%%  ", name.c_str(), total ? 100.0 * static_cast<double>(e.confusion[t][t]) / static_cast<double>(total) : 0.0);
        for (std::size_t p = 0; p < 10; ++p) std::printf("%5zu", e.confusion[t][p]);
        std::printf("\n");
    }
}

// The line printed after each epoch, and the same numbers into the metrics log.
inline void report_epoch(int epoch, double train_loss, std::size_t samples, double train_time, const Evaluation& result,
                         viz::MetricsLog& log) {
    std::printf("epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%%, %.1f s (%.0f samples/s)\n", epoch, train_loss,
                result.loss, result.accuracy, train_time, static_cast<double>(samples) / train_time);
    std::fflush(stdout);
    log.log(epoch, "train loss", train_loss);
    log.log(epoch, "test loss", result.loss);
    log.log(epoch, "test accuracy (%)", result.accuracy);
}

// After training: the curves (--metrics, --plot), the per-class report, the final accuracy, --save.
inline void finish_training(const TrainingArgs& args, const nn::Module& model, const Evaluation& result,
                            const viz::MetricsLog& log, const std::string& title) {
    if (!args.metrics.empty()) log.write_csv(args.metrics);
    if (!args.plot.empty()) log.write_svg(args.plot, title);
    if (!args.quiet) print_per_class(result, args.data.find("fashion") != std::string::npos);
    std::printf("\nfinal test accuracy: %.2f%%\n", result.accuracy);
    if (!args.save.empty()) {
        nn::save(model, args.save);
        std::printf("saved the weights to %s\n", args.save.c_str());
    }
}

}  // namespace examples
