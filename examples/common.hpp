// Shared by the (Fashion-)MNIST trainers: flags, the optimizer choice, evaluation with a confusion
// matrix, the per-epoch bookkeeping (EpochLog) and the per-class report, so each trainer file keeps
// only its model and its loop. Its PyTorch twin is examples/pytorch/common.py.
#pragma once

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <array>
#include <exception>
#include <optional>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <xgrad.hpp>
#if XGRAD_HAS_DISTRIBUTED
#include "distributed/data_parallel.hpp"
#endif

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
    std::size_t limit = 0;  // 0: every image
};

inline void add_training_flags(CLI::App& app, TrainingArgs& args) {
    app.add_option("--data", args.data, "folder with the four IDX files (raw or .gz) of MNIST or Fashion-MNIST")
        ->capture_default_str();
    app.add_option("--epochs", args.epochs, "passes over the training set")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--batch-size", args.batch_size, "examples per training step")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--lr", args.lr, "learning rate")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--optimizer", args.optimizer, "adam, or sgd (momentum 0.9)")
        ->capture_default_str()
        ->check(CLI::IsMember({"adam", "sgd"}));
    app.add_option("--seed", args.seed, "manual_seed for initial weights and shuffling")->capture_default_str();
    app.add_option("--threads", args.threads, "threads for the matrix products (OpenBLAS)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--save", args.save, "write the trained weights to FILE (safetensors)");
    app.add_option("--load", args.load, "start from the weights in FILE (safetensors)");
    app.add_flag("--eval-only", args.eval_only, "skip training: evaluate the (loaded) model on the test set");
    app.add_flag("--quiet", args.quiet, "print only the per-epoch summaries and the final accuracy");
    app.add_option("--metrics", args.metrics, "write per-epoch train loss, test loss and test accuracy as CSV to FILE");
    app.add_option("--plot", args.plot, "write those curves as an SVG plot to FILE (opens in a browser)");
    app.add_option("--limit", args.limit, "use only the first N training and N test images (0: all), for a quick run")
        ->capture_default_str();
}

// The first args.limit images of `set` (all of them when the limit is 0 or larger than the set).
inline data::Subset limited(const data::MNIST& set, const TrainingArgs& args) {
    const std::size_t n = args.limit == 0 ? set.size() : std::min(args.limit, set.size());
    return data::Subset(set, data::first_n(n));
}

// This process's place in a data-parallel job. `mpirun -np 2 mnist_mlp --batch-size 32` starts two
// ranks: each trains on its share of every epoch (DistributedSampler) at 32 images per step, and
// DistributedDataParallel averages the gradients after each backward, so both take the step one
// process would take on 64 images (as PyTorch's DistributedDataParallel scripts). Started alone, or
// built without xgrad::distributed, it is rank 0 of 1 and changes nothing. Rank 0 prints, evaluates
// and saves.
class Job {
public:
    int rank = 0, world = 1;

    explicit Job(TrainingArgs& args) {
#if XGRAD_HAS_DISTRIBUTED
        distributed::init_process_group();
        rank = distributed::get_rank();
        world = distributed::get_world_size();
#endif
        if (rank != 0) args.quiet = true;
    }
    ~Job() {
#if XGRAD_HAS_DISTRIBUTED
        // Not while an error unwinds: the rank then exits without it, which ends the whole job.
        if (std::uncaught_exceptions() == 0) distributed::destroy_process_group();
#endif
    }
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;

    // Shuffled batches of `train_set`; on several ranks, this rank's share of each epoch.
    data::DataLoader training_loader(const data::Subset& train_set, const TrainingArgs& args) {
        if (world == 1) return data::DataLoader(train_set, {.batch_size = args.batch_size, .shuffle = true});
        sampler_.emplace(train_set,
                         data::DistributedSamplerOptions{
                             .num_replicas = std::size_t(world), .rank = std::size_t(rank), .seed = args.seed});
        return data::DataLoader(train_set, *sampler_, {.batch_size = args.batch_size});
    }
    void start_epoch(int epoch) {  // a new permutation each epoch, the same on every rank
        if (sampler_) sampler_->set_epoch(std::uint64_t(epoch));
    }
    // What to train: the model itself, or on several ranks the model in DistributedDataParallel
    // (rank 0's weights to start, gradients averaged after each backward).
    template <class M>
    nn::Module& parallel(M& model) {
#if XGRAD_HAS_DISTRIBUTED
        if (world > 1) return *ddp_.emplace_back(std::make_unique<nn::parallel::DistributedDataParallel>(model));
#endif
        return model;
    }
    void say_batch(std::size_t batch_size) const {
        if (rank == 0 && world > 1)
            std::printf("distributed: %d ranks x batch %zu = global batch %zu; progress and results are rank 0's\n",
                        world, batch_size, batch_size * std::size_t(world));
    }

private:
    std::optional<data::DistributedSampler> sampler_;
    std::vector<std::unique_ptr<nn::Module>> ddp_;
};

// False (after saying where it looked and how to get the data) when the data folder is missing.
inline bool data_folder_exists(const TrainingArgs& args, const char* program) {
    if (std::filesystem::is_directory(args.data)) return true;
    std::fprintf(
        stderr,
        "%s: data folder '%s' does not exist.\n"
        "  Fashion-MNIST: apt-get install dataset-fashion-mnist (installs /usr/share/datasets/fashion-mnist)\n"
        "  MNIST digits:  bash scripts/download-mnist.sh DIR (needs internet; checks checksums), then --data DIR\n",
        program, args.data.c_str());
    return false;
}

// --optimizer adam: Adam(lr = args.lr); sgd: SGD(lr = args.lr, momentum 0.9), for any flags struct
// with `optimizer` and `lr` (TrainingArgs, xor's). Chosen at run time, so it comes back owned; the
// caller binds a reference once and the loop reads as PyTorch's:
//   auto optimizer = make_optimizer(args, model.parameters());
//   optim::Optimizer& opt = *optimizer;    // opt.zero_grad(); ...; opt.step();
template <class Args>
std::unique_ptr<optim::Optimizer> make_optimizer(const Args& args, std::vector<Tensor> params) {
    if (args.optimizer == "adam")
        return std::make_unique<optim::Adam>(std::move(params), optim::AdamOptions{.lr = args.lr});
    return std::make_unique<optim::SGD>(std::move(params), optim::SGDOptions{.lr = args.lr, .momentum = 0.9});
}

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

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
        std::printf("%-14s %6.2f%%  ", name.c_str(),
                    total ? 100.0 * static_cast<double>(e.confusion[t][t]) / static_cast<double>(total) : 0.0);
        for (std::size_t p = 0; p < 10; ++p) std::printf("%5zu", e.confusion[t][p]);
        std::printf("\n");
    }
}

// The bookkeeping around the four PyTorch lines of an epoch, so the loop itself stays written out:
//
//   log.start_epoch(epoch);                    // start = time.time(); loss_sum = samples = 0
//   for (auto& [x, y] : train_loader) {
//       opt.zero_grad(); ...; loss.backward(); opt.step();
//       log.step(loss, y.numel());             // running loss, progress line
//   }
//   result = evaluate(model, test_loader);
//   log.end_epoch(result);                     // the epoch's summary line
//
// The time printed is the training time: from start_epoch to the last step, without evaluation.
// The progress is one line redrawn in place on a terminal, a line per quarter epoch otherwise.
// Each summary is also kept as curves for --metrics (CSV) and --plot (SVG).
class EpochLog {
public:
    EpochLog(std::size_t batches_per_epoch, bool quiet)
        : batches_(batches_per_epoch), quiet_(quiet), tty_(isatty(fileno(stdout)) != 0) {}

    void start_epoch(int epoch) {
        epoch_ = epoch;
        loss_sum_ = 0.0;
        done_ = samples_ = 0;
        last_draw_ = -1.0;
        start_ = last_step_ = Clock::now();
    }

    // After opt.step(): `loss` is the batch's mean loss, weighted by its batch_size examples.
    void step(const Tensor& loss, std::size_t batch_size) {
        loss_sum_ += loss.item() * static_cast<double>(batch_size);
        samples_ += batch_size;
        ++done_;
        last_step_ = Clock::now();
        if (!quiet_) draw_progress();
    }

    double train_loss() const { return loss_sum_ / static_cast<double>(samples_); }
    double train_seconds() const { return std::chrono::duration<double>(last_step_ - start_).count(); }

    // A classifier's epoch:
    //   epoch 1: train loss 0.5, test loss 0.4, test accuracy 85.00%, 1.0 s (60000 samples/s)
    void end_epoch(const Evaluation& result) {
        std::printf("epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%%, %.1f s (%.0f samples/s)\n",
                    epoch_, train_loss(), result.loss, result.accuracy, train_seconds(),
                    static_cast<double>(samples_) / train_seconds());
        std::fflush(stdout);
        curves_.log(epoch_, "train loss", train_loss());
        curves_.log(epoch_, "test loss", result.loss);
        curves_.log(epoch_, "test accuracy (%)", result.accuracy);
    }

    // An epoch whose only metric is a loss with a name:  epoch 1: train mse 0.03, test mse 0.02, 1.0 s
    void end_epoch(const std::string& loss_name, double test_loss) {
        std::printf("epoch %d: train %s %.5f, test %s %.5f, %.1f s\n", epoch_, loss_name.c_str(), train_loss(),
                    loss_name.c_str(), test_loss, train_seconds());
        std::fflush(stdout);
        curves_.log(epoch_, "train " + loss_name, train_loss());
        curves_.log(epoch_, "test " + loss_name, test_loss);
    }

    // --metrics FILE.csv and --plot FILE.svg, when given.
    void write_curves(const TrainingArgs& args, const std::string& title) const {
        if (!args.metrics.empty()) curves_.write_csv(args.metrics);
        if (!args.plot.empty()) curves_.write_svg(args.plot, title);
    }

private:
    void draw_progress() {
        const double elapsed = train_seconds();
        if (tty_) {
            if (elapsed - last_draw_ < 0.1 && done_ != batches_) return;
            last_draw_ = elapsed;
            const int width = 30;
            const int filled = static_cast<int>(width * done_ / batches_);
            const double left = elapsed * static_cast<double>(batches_ - done_) / static_cast<double>(done_);
            std::printf("\repoch %d [%s%s] %zu/%zu  %6.0f samples/s  loss %.4f  %3.0fs left ", epoch_,
                        std::string(static_cast<std::size_t>(filled), '=').c_str(),
                        std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), done_, batches_,
                        static_cast<double>(samples_) / elapsed, train_loss(), left);
            if (done_ == batches_) std::printf("\n");
            std::fflush(stdout);
        } else if (done_ * 4 / batches_ != (done_ - 1) * 4 / batches_ && done_ != batches_) {
            std::printf("epoch %d: %zu/%zu batches, %.0f samples/s, loss %.4f\n", epoch_, done_, batches_,
                        static_cast<double>(samples_) / elapsed, train_loss());
            std::fflush(stdout);
        }
    }

    std::size_t batches_;
    bool quiet_, tty_;
    int epoch_ = 0;
    double loss_sum_ = 0.0, last_draw_ = -1.0;
    std::size_t done_ = 0, samples_ = 0;
    Clock::time_point start_, last_step_;
    viz::MetricsLog curves_{"epoch"};
};

// After training: the curves (--metrics, --plot), the per-class report, the final accuracy, --save.
inline void finish_training(const TrainingArgs& args, const nn::Module& model, const Evaluation& result,
                            const EpochLog& log, const std::string& title) {
    log.write_curves(args, title);
    if (!args.quiet) print_per_class(result, args.data.find("fashion") != std::string::npos);
    std::printf("\nfinal test accuracy: %.2f%%\n", result.accuracy);
    if (!args.save.empty()) {
        nn::save(model, args.save);
        std::printf("saved the weights to %s\n", args.save.c_str());
    }
}
}  // namespace examples
