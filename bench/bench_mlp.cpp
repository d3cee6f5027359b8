// Training throughput of an MLP on (Fashion-)MNIST with cross-entropy and Adam: samples/s in
// steady state (the median over epochs 2..E), data loading timed on its own, peak RSS, and the
// GEMM lower bound of one epoch: every sgemm an epoch runs, timed alone at its shape.
// bench/pytorch/bench_mlp.py and bench/libtorch/bench_mlp.cpp run the same workload.
#include <CLI/CLI.hpp>
#include <cblas.h>

#include <sstream>

#include <xgrad.hpp>

#include "bench_util.hpp"

using namespace xg;

namespace {

std::vector<std::size_t> parse_arch(const std::string& arch) {
    std::vector<std::size_t> sizes;
    std::stringstream s(arch);
    for (std::string part; std::getline(s, part, '-');)
        sizes.push_back(parse_number<std::size_t>(part, "--arch " + arch));
    if (sizes.size() < 2) throw Error("--arch needs at least two sizes, e.g. 784-128-10");
    return sizes;
}

// Seconds one epoch spends in sgemm alone: for each layer (in -> out) and each batch, the
// forward x·Wᵀ, the weight gradient Gᵀ·x and (except the first layer) the input gradient G·W.
double gemm_lower_bound(const std::vector<std::size_t>& sizes, std::size_t batch, std::size_t samples) {
    const std::size_t batches = samples / batch;
    double total = 0.0;
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
        const auto in = static_cast<blasint>(sizes[l]), out = static_cast<blasint>(sizes[l + 1]),
                   b = static_cast<blasint>(batch);
        std::vector<float> x(batch * sizes[l], 0.5f), w(sizes[l] * sizes[l + 1], 0.25f), y(batch * sizes[l + 1], 0.0f),
            dw(w.size()), dx(x.size());
        auto time = [&](auto&& gemm) {
            for (int i = 0; i < 20; ++i) gemm();  // warm up
            std::vector<double> runs;
            for (int rep = 0; rep < 7; ++rep) {
                const auto t = bench::Clock::now();
                for (int i = 0; i < 50; ++i) gemm();
                runs.push_back(bench::seconds_since(t) / 50);
            }
            return bench::median(runs);
        };
        double per_batch = time([&] {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, out, in, 1.0f, x.data(), in, w.data(), in, 0.0f,
                        y.data(), out);
        });
        per_batch += time([&] {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, b, 1.0f, y.data(), out, x.data(), in, 0.0f,
                        dw.data(), in);
        });
        if (l > 0) {
            per_batch += time([&] {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, in, out, 1.0f, y.data(), out, w.data(), in,
                            0.0f, dx.data(), in);
            });
        }
        total += per_batch * static_cast<double>(batches);
    }
    return total;
}

int run(const std::string& data_dir, const std::string& arch, std::size_t batch, int threads, int epochs) {
    manual_seed(0);
    set_num_threads(threads);
    const std::vector<std::size_t> sizes = parse_arch(arch);

    auto t0 = bench::Clock::now();
    data::MNIST train(data_dir, true);
    bench::result("data_load_s", bench::seconds_since(t0));
    data::DataLoader loader(train, {.batch_size = batch, .shuffle = true, .drop_last = true});

    nn::Sequential model;
    model.push_back(nn::Flatten());
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
        model.push_back(nn::Linear(sizes[l], sizes[l + 1]));
        if (l + 2 < sizes.size()) model.push_back(nn::ReLU());
    }
    optim::Adam opt(model.parameters(), {.lr = 1e-3});

    std::vector<double> rates;
    double batch_s = 0.0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        std::size_t samples = 0;
        double fetch = 0.0;
        const auto start = bench::Clock::now();
        auto fetch_start = bench::Clock::now();
        for (auto& [x, y] : loader) {
            fetch += bench::seconds_since(fetch_start);
            opt.zero_grad();
            Tensor loss = nn::functional::cross_entropy(model(x), y);
            loss.backward();
            opt.step();
            samples += y.numel();
            fetch_start = bench::Clock::now();
        }
        const double elapsed = bench::seconds_since(start);
        std::fprintf(stderr, "epoch %d: %.0f samples/s (%.2f s, of which %.3f s making batches)\n", epoch,
                     static_cast<double>(samples) / elapsed, elapsed, fetch);
        if (epoch >= 2) {
            rates.push_back(static_cast<double>(samples) / elapsed);
            batch_s = fetch;
        }
    }
    bench::result("samples_per_s", bench::median(rates));
    bench::result("epoch_s", static_cast<double>(loader.size() * batch) / bench::median(rates));
    bench::result("batching_s", batch_s);
    bench::result("gemm_lower_bound_s", gemm_lower_bound(sizes, batch, train.size()));
    bench::result("max_rss_mb", bench::max_rss_mb());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir = "/usr/share/datasets/fashion-mnist", arch = "784-128-10";
    std::size_t batch = 64;
    int threads = 1, epochs = 3;
    CLI::App app{"xgrad MLP training throughput (samples/s, steady state)."};
    app.add_option("--data", data_dir, "MNIST-format folder")->capture_default_str();
    app.add_option("--arch", arch, "layer sizes, e.g. 784-256-128-10")->capture_default_str();
    app.add_option("--batch-size", batch, "batch size")->capture_default_str();
    app.add_option("--threads", threads, "threads")->capture_default_str();
    app.add_option("--epochs", epochs, "epochs; throughput is the median of epochs 2..E")
        ->capture_default_str()
        ->check(CLI::Range(2, 100));
    CLI11_PARSE(app, argc, argv);
    return bench::run_main("bench_mlp", [&] { return run(data_dir, arch, batch, threads, epochs); });
}
