// Training throughput of convolutional networks on (Fashion-)MNIST, in steady state: after
// --warmup steps, --windows timed windows of --window samples each (whole batches), and the
// median window's samples/s. Two networks:
//   --model cnn      mnist_cnn's: Conv2d 1->16 5x5 pad 2, ReLU, MaxPool 2, Conv2d 16->32 5x5 pad 2,
//                    ReLU, MaxPool 2, Flatten, Linear 1568->128, ReLU, Linear 128->10; Adam lr 1e-3
//   --model resnet   the ResNet example's (examples/resnet_model.hpp, channels 16-32-64, one block a
//                    stage), with examples/resnet.cpp's optimizer: Adam lr 1e-3, CosineAnnealingLR
//                    stepped per batch over 3 epochs
// Both with cross-entropy, shuffled batches drawn from the whole training set (a new order each
// epoch), BatchNorm in training mode. Windows are timed one after the other, so a window may span
// the end of an epoch; batching is inside the timed steps, as in bench_mlp's epochs.
// RESULT lines: samples_per_s, ms_per_step, steps_per_window, parameters, data_load_s, max_rss_mb.
// bench/pytorch/bench_cnn.py and bench/libtorch/bench_cnn.cpp run the same workload.
#include <CLI/CLI.hpp>

#include <xgrad.hpp>

#include "bench_util.hpp"
#include "examples/resnet_model.hpp"

using namespace xg;

namespace {

// Batches without end: a new epoch (and a new shuffled order) when one runs out.
class Batches {
public:
    explicit Batches(const data::DataLoader& loader) : loader_(loader), it_(loader.begin()) {}
    data::Batch next() {
        if (it_ == loader_.end()) it_ = loader_.begin();
        data::Batch b = *it_;  // tensor handles: the batch outlives the iterator's next load
        ++it_;
        return b;
    }

private:
    const data::DataLoader& loader_;
    data::DataLoader::iterator it_;
};

nn::Sequential mnist_cnn() {
    return nn::Sequential(nn::Conv2d(1, 16, 5, /*stride=*/1, /*padding=*/2), nn::ReLU(), nn::MaxPool2d(2),
                          nn::Conv2d(16, 32, 5, /*stride=*/1, /*padding=*/2), nn::ReLU(), nn::MaxPool2d(2),
                          nn::Flatten(), nn::Linear(32 * 7 * 7, 128), nn::ReLU(), nn::Linear(128, 10));
}

struct Timing {
    int warmup = 10, windows = 5;
    std::size_t window_samples = 4096;
};

// Trains `model` with `opt` (and `after_step`, a scheduler's step) on `loader`'s batches: warm-up,
// then the timed windows. Prints the RESULT lines and the last loss (on stderr).
template <class Model, class AfterStep>
void time_training(Model& model, optim::Optimizer& opt, AfterStep&& after_step, const data::DataLoader& loader,
                   const Timing& timing) {
    const std::size_t batch = loader.options().batch_size;
    const std::size_t steps = std::max<std::size_t>(1, (timing.window_samples + batch - 1) / batch);
    Batches batches(loader);
    float loss_value = 0.0f;
    auto step = [&] {
        const auto [x, y] = batches.next();
        opt.zero_grad();
        Tensor loss = nn::functional::cross_entropy(model(x), y);
        loss.backward();
        opt.step();
        after_step();
        loss_value = loss.item();
    };
    std::size_t parameters = 0;
    for (const Tensor& p : model.parameters()) parameters += p.numel();
    bench::result("parameters", static_cast<double>(parameters));  // run.py checks that the peers' agree
    model.train();
    for (int s = 0; s < timing.warmup; ++s) step();
    std::vector<double> rates;
    for (int w = 0; w < timing.windows; ++w) {
        const auto start = bench::Clock::now();
        for (std::size_t s = 0; s < steps; ++s) step();
        rates.push_back(static_cast<double>(steps * batch) / bench::seconds_since(start));
        std::fprintf(stderr, "window %d: %.0f samples/s\n", w + 1, rates.back());
    }
    std::fprintf(stderr, "final loss %.6f\n", loss_value);
    const double rate = bench::median(rates);
    bench::result("samples_per_s", rate);
    bench::result("ms_per_step", 1e3 * static_cast<double>(batch) / rate);
    bench::result("steps_per_window", static_cast<double>(steps));
}

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir = "/usr/share/datasets/fashion-mnist", model_name = "cnn";
    std::size_t batch = 0;
    int threads = 1;
    Timing timing;
    CLI::App app{"xgrad training throughput of mnist_cnn's network or the ResNet example's (samples/s, steady state)."};
    app.add_option("--model", model_name, "cnn (mnist_cnn's network) or resnet (examples/resnet_model.hpp)")
        ->capture_default_str()
        ->check(CLI::IsMember({"cnn", "resnet"}));
    app.add_option("--data", data_dir, "MNIST-format folder")->capture_default_str();
    app.add_option("--batch-size", batch, "batch size; 0: the example's default (cnn 64, resnet 128)")
        ->capture_default_str();
    app.add_option("--threads", threads, "threads")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--warmup", timing.warmup, "untimed steps first")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--windows", timing.windows, "timed windows; the median is reported")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--window", timing.window_samples, "samples per timed window (rounded up to whole batches)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    return bench::run_main("bench_cnn", [&] {
        if (batch == 0) batch = model_name == "cnn" ? 64 : 128;
        manual_seed(0);
        set_num_threads(threads);

        const auto t0 = bench::Clock::now();
        data::MNIST train(data_dir, true);
        bench::result("data_load_s", bench::seconds_since(t0));
        data::DataLoader loader(train, {.batch_size = batch, .shuffle = true, .drop_last = true});

        if (model_name == "cnn") {
            nn::Sequential model = mnist_cnn();
            optim::Adam opt(model.parameters(), {.lr = 1e-3});
            time_training(
                model, opt, [] {}, loader, timing);
        } else {
            examples::ResNet model;
            optim::Adam opt(model.parameters(), {.lr = 1e-3});
            optim::CosineAnnealingLR scheduler(opt, 3 * static_cast<std::int64_t>(loader.size()));
            time_training(
                model, opt, [&] { scheduler.step(); }, loader, timing);
        }
        bench::result("max_rss_mb", bench::max_rss_mb());
        return 0;
    });
}
