// libtorch peer of bench/bench_cnn.cpp: the same networks (mnist_cnn's, and the ResNet of
// examples/pytorch/resnet.py written with torch::nn), data, loss, optimizer, timing and RESULT lines.
// Usage: libtorch_bench_cnn DATA_DIR MODEL BATCH THREADS [WARMUP WINDOWS WINDOW_SAMPLES]
//   MODEL: cnn or resnet; BATCH 0: the example's default (cnn 64, resnet 128)
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "common.hpp"

using Clock = std::chrono::steady_clock;
namespace tnn = torch::nn;

static tnn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool bias) {
    return tnn::Conv2d(tnn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias));
}

// examples/pytorch/resnet.py's BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
struct BasicBlockImpl : tnn::Module {
    tnn::Conv2d conv1{nullptr}, conv2{nullptr};
    tnn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    tnn::Sequential shortcut;
    BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
        conv1 = register_module("conv1", conv(in, out, 3, stride, 1, false));
        bn1 = register_module("bn1", tnn::BatchNorm2d(out));
        conv2 = register_module("conv2", conv(out, out, 3, 1, 1, false));
        bn2 = register_module("bn2", tnn::BatchNorm2d(out));
        if (stride != 1 || in != out)
            shortcut = tnn::Sequential(conv(in, out, 1, stride, 0, false), tnn::BatchNorm2d(out));
        register_module("shortcut", shortcut);
    }
    torch::Tensor forward(const torch::Tensor& x) {
        torch::Tensor out = torch::relu(bn1(conv1(x)));
        out = bn2(conv2(out));
        return torch::relu(out + (shortcut->is_empty() ? x : shortcut->forward(x)));
    }
};
TORCH_MODULE(BasicBlock);

// examples/pytorch/resnet.py's ResNet with its defaults: channels 16-32-64, one block a stage.
struct ResNetImpl : tnn::Module {
    tnn::Conv2d conv1{nullptr};
    tnn::BatchNorm2d bn1{nullptr};
    tnn::Sequential layer1, layer2, layer3;
    tnn::Linear fc{nullptr};
    ResNetImpl() {
        conv1 = register_module("conv1", conv(1, 16, 3, 1, 1, false));
        bn1 = register_module("bn1", tnn::BatchNorm2d(16));
        layer1 = register_module("layer1", tnn::Sequential(BasicBlock(16, 16, 1)));
        layer2 = register_module("layer2", tnn::Sequential(BasicBlock(16, 32, 2)));
        layer3 = register_module("layer3", tnn::Sequential(BasicBlock(32, 64, 2)));
        fc = register_module("fc", tnn::Linear(64, 10));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        torch::Tensor out = torch::relu(bn1(conv1(x)));
        out = layer3->forward(layer2->forward(layer1->forward(out)));
        return fc(torch::flatten(torch::adaptive_avg_pool2d(out, {1, 1}), 1));
    }
};
TORCH_MODULE(ResNet);

int main(int argc, char** argv) {
    const std::string data = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    const std::string model_name = argc > 2 ? argv[2] : "cnn";
    int64_t b = argc > 3 ? std::stol(argv[3]) : 0;
    const int threads = argc > 4 ? std::stoi(argv[4]) : 1;
    const int warmup = argc > 5 ? std::stoi(argv[5]) : 10;
    const int windows = argc > 6 ? std::stoi(argv[6]) : 5;
    const int64_t window = argc > 7 ? std::stol(argv[7]) : 4096;
    if (model_name != "cnn" && model_name != "resnet") {
        std::fprintf(stderr, "libtorch_bench_cnn: MODEL must be cnn or resnet, got %s\n", model_name.c_str());
        return 2;
    }
    if (b == 0) b = model_name == "cnn" ? 64 : 128;
    torch::manual_seed(0);
    torch::set_num_threads(threads);

    auto [x, y] = load_train(data);
    const int64_t n = x.size(0);

    std::function<torch::Tensor(const torch::Tensor&)> forward;
    std::vector<torch::Tensor> params;
    tnn::Sequential cnn(conv(1, 16, 5, 1, 2, true), tnn::ReLU(), tnn::MaxPool2d(2), conv(16, 32, 5, 1, 2, true),
                        tnn::ReLU(), tnn::MaxPool2d(2), tnn::Flatten(), tnn::Linear(32 * 7 * 7, 128), tnn::ReLU(),
                        tnn::Linear(128, 10));
    ResNet resnet;
    if (model_name == "cnn") {
        forward = [&](const torch::Tensor& in) { return cnn->forward(in); };
        params = cnn->parameters();
        cnn->train();
    } else {
        forward = [&](const torch::Tensor& in) { return resnet->forward(in); };
        params = resnet->parameters();
        resnet->train();
    }
    int64_t count = 0;
    for (const torch::Tensor& p : params) count += p.numel();
    std::printf("RESULT parameters=%lld\n", static_cast<long long>(count));
    torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-3));
    // examples/resnet.cpp's CosineAnnealingLR over 3 epochs, stepped per batch (libtorch 1.13 has
    // no CosineAnnealingLR, so its closed form: lr = 1e-3 * (1 + cos(pi * t / T)) / 2).
    const int64_t t_max = 3 * (n / b);
    int64_t t = 0;

    torch::Tensor perm = torch::randperm(n);
    int64_t next = 0;
    float last = 0.0f;
    auto step = [&] {
        if (next + b > n) perm = torch::randperm(n), next = 0;  // a new epoch, drop_last
        torch::Tensor idx = perm.slice(0, next, next + b);
        next += b;
        torch::Tensor xb = x.index_select(0, idx), yb = y.index_select(0, idx);
        opt.zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(forward(xb), yb);
        loss.backward();
        opt.step();
        if (model_name == "resnet") {
            ++t;
            const double lr = 1e-3 * (1.0 + std::cos(M_PI * static_cast<double>(t) / static_cast<double>(t_max))) / 2.0;
            static_cast<torch::optim::AdamOptions&>(opt.param_groups()[0].options()).lr(lr);
        }
        last = loss.item<float>();
    };
    for (int s = 0; s < warmup; ++s) step();
    const int64_t steps = std::max<int64_t>(1, (window + b - 1) / b);
    std::vector<double> rates;
    for (int w = 0; w < windows; ++w) {
        auto start = Clock::now();
        for (int64_t s = 0; s < steps; ++s) step();
        rates.push_back(static_cast<double>(steps * b) / std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::fprintf(stderr, "final loss %.6f\n", last);
    std::sort(rates.begin(), rates.end());
    const size_t m = rates.size();
    const double r = m % 2 ? rates[m / 2] : 0.5 * (rates[m / 2 - 1] + rates[m / 2]);
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    std::printf("RESULT samples_per_s=%g\nRESULT ms_per_step=%g\nRESULT steps_per_window=%lld\nRESULT max_rss_mb=%g\n",
                r, 1e3 * static_cast<double>(b) / r, static_cast<long long>(steps), u.ru_maxrss / 1024.0);
    return 0;
}
