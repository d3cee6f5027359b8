// Shared by the libtorch peers that train on Fashion-MNIST: the training set as tensors.
#pragma once

#include <torch/torch.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// The whole of a .gz file.
inline std::vector<unsigned char> read_gz(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("can't open " + path);
    std::vector<unsigned char> out;
    unsigned char buf[1 << 16];
    for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) out.insert(out.end(), buf, buf + n);
    gzclose(f);
    return out;
}

// The training images [N, 1, 28, 28] in [0, 1] and labels [N] of the IDX files in `dir`, as the
// PyTorch peers load them; prints the RESULT line data_load_s.
inline std::pair<torch::Tensor, torch::Tensor> load_train(const std::string& dir) {
    const auto t0 = std::chrono::steady_clock::now();
    auto images = read_gz(dir + "/train-images-idx3-ubyte.gz");
    auto labels = read_gz(dir + "/train-labels-idx1-ubyte.gz");
    const int64_t n = static_cast<int64_t>(labels.size()) - 8;
    torch::Tensor x = torch::from_blob(images.data() + 16, {n, 1, 28, 28}, torch::kUInt8).to(torch::kFloat).div_(255);
    torch::Tensor y = torch::from_blob(labels.data() + 8, {n}, torch::kUInt8).to(torch::kLong);
    std::printf("RESULT data_load_s=%g\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return {x, y};
}
