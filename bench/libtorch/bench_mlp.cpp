// libtorch peer of bench/bench_mlp.cpp: same MLP, data, loss, optimizer and RESULT lines.
// Usage: libtorch_bench_mlp DATA_DIR ARCH BATCH THREADS EPOCHS
#include <sys/resource.h>
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

static std::vector<unsigned char> read_gz(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("can't open " + path);
    std::vector<unsigned char> out;
    unsigned char buf[1 << 16];
    for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) out.insert(out.end(), buf, buf + n);
    gzclose(f);
    return out;
}

int main(int argc, char** argv) {
    const std::string data = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    const std::string arch = argc > 2 ? argv[2] : "784-128-10";
    const int64_t b = argc > 3 ? std::stol(argv[3]) : 64;
    const int threads = argc > 4 ? std::stoi(argv[4]) : 1;
    const int epochs = argc > 5 ? std::stoi(argv[5]) : 3;
    torch::manual_seed(0);
    torch::set_num_threads(threads);

    auto t0 = Clock::now();
    auto images = read_gz(data + "/train-images-idx3-ubyte.gz");
    auto labels = read_gz(data + "/train-labels-idx1-ubyte.gz");
    const int64_t n = static_cast<int64_t>(labels.size()) - 8;
    torch::Tensor x = torch::from_blob(images.data() + 16, {n, 1, 28, 28}, torch::kUInt8).to(torch::kFloat).div_(255);
    torch::Tensor y = torch::from_blob(labels.data() + 8, {n}, torch::kUInt8).to(torch::kLong);
    std::printf("RESULT data_load_s=%g\n", std::chrono::duration<double>(Clock::now() - t0).count());

    std::vector<int64_t> sizes;
    std::stringstream ss(arch);
    for (std::string part; std::getline(ss, part, '-');) sizes.push_back(std::stol(part));
    torch::nn::Sequential model{torch::nn::Flatten()};
    for (size_t i = 0; i + 1 < sizes.size(); ++i) {
        model->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
        if (i + 2 < sizes.size()) model->push_back(torch::nn::ReLU());
    }
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));

    std::vector<double> rates;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        auto start = Clock::now();
        torch::Tensor perm = torch::randperm(n);
        for (int64_t i = 0; i + b <= n; i += b) {  // drop_last, as bench_mlp
            torch::Tensor idx = perm.slice(0, i, i + b);
            torch::Tensor xb = x.index_select(0, idx), yb = y.index_select(0, idx);
            opt.zero_grad();
            torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(xb), yb);
            loss.backward();
            opt.step();
        }
        const double rate =
            static_cast<double>((n / b) * b) / std::chrono::duration<double>(Clock::now() - start).count();
        if (epoch >= 2) rates.push_back(rate);
    }
    std::sort(rates.begin(), rates.end());
    const double r = rates[rates.size() / 2];
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    std::printf("RESULT samples_per_s=%g\nRESULT epoch_s=%g\nRESULT max_rss_mb=%g\n", r,
                static_cast<double>((n / b) * b) / r, u.ru_maxrss / 1024.0);
    return 0;
}
