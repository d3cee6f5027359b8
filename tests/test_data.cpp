// Data: IDX files (raw, gzip, and broken ones the test writes itself), MNIST, TensorDataset,
// DataLoader, and a short training run on real data that must clear a lower bar.
#include "helpers.hpp"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace xg;
namespace fs = std::filesystem;

namespace {

using test::be32;
using test::gzip;

std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, std::uint8_t base = 0) {
    std::string s = be32(0x803) + be32(n) + be32(rows) + be32(cols);
    for (std::uint32_t i = 0; i < n * rows * cols; ++i) s += char(std::uint8_t(base + i));
    return s;
}

std::string idx_labels(const std::vector<std::uint8_t>& labels) {
    std::string s = be32(0x801) + be32(static_cast<std::uint32_t>(labels.size()));
    for (auto l : labels) s += char(l);
    return s;
}

std::string make_root(const std::string& name) {
    const std::string root = test::temp_path(name);
    fs::remove_all(root);
    fs::create_directories(root);
    return root;
}

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A 5-image train set (2x3 pixels) and a 2-image test set; train files gzipped, test files raw.
std::string tiny_mnist() {
    const std::string root = make_root("tiny-mnist");
    write(root + "/train-images-idx3-ubyte.gz", gzip(idx_images(5, 2, 3)));
    write(root + "/train-labels-idx1-ubyte.gz", gzip(idx_labels({3, 1, 4, 1, 5})));
    write(root + "/t10k-images-idx3-ubyte", idx_images(2, 2, 3, 100));
    write(root + "/t10k-labels-idx1-ubyte", idx_labels({9, 0}));
    return root;
}

}  // namespace

TEST_CASE("MNIST: reads raw and gzipped IDX files into [N, 1, rows, cols] in [0, 1]", "[data]") {
    const std::string root = tiny_mnist();
    data::MNIST train(root, true), test(root, false);
    CHECK(train.size() == 5);
    CHECK(test.size() == 2);
    data::Batch b = train.get_batch({1, 4});
    CHECK(b.x.shape() == Shape{2, 1, 2, 3});
    CHECK(b.x.data()(0, 0, 0, 0) == Approx(6.0f / 255.0f));   // image 1 starts at byte value 6
    CHECK(b.x.data()(1, 0, 1, 2) == Approx(29.0f / 255.0f));  // image 4, last pixel
    CHECK(test::all_close(b.y, Tensor::from({1, 5})));
    data::MNIST normalized(root, false, data::Normalize{0.5f, 0.25f});
    CHECK(normalized.get_batch({0}).x.data()(0, 0, 0, 0) == Approx((100.0f / 255.0f - 0.5f) / 0.25f));
    CHECK_THROWS_WITH(train.get_batch({5}), Catch::Contains("index 5 is out of range for 5 examples"));
}

TEST_CASE("MNIST: missing, truncated and corrupt files are errors naming the file and byte offset", "[data][errors]") {
    const std::string root = tiny_mnist();
    CHECK_THROWS_WITH(data::MNIST(root + "/nowhere", true), Catch::Contains("no train-images-idx3-ubyte") &&
                                                                Catch::Contains("dataset-fashion-mnist") &&
                                                                Catch::Contains("download-mnist.sh"));

    const std::string labels = root + "/t10k-labels-idx1-ubyte";
    write(labels, idx_labels({9, 0, 1}));
    CHECK_THROWS_WITH(data::MNIST(root, false), Catch::Contains("has 2 images but") && Catch::Contains("has 3 labels"));
    write(labels, be32(0) + be32(2) + "\x09\x00");
    CHECK_THROWS_WITH(data::MNIST(root, false),
                      Catch::Contains("t10k-labels-idx1-ubyte: bad magic 0x00000000 at byte 0 (expected 0x00000801)"));
    write(labels, idx_labels({9, 12}));
    CHECK_THROWS_WITH(data::MNIST(root, false), Catch::Contains("label 12 at byte 9"));
    write(labels, idx_labels({9, 0}));

    const std::string images = root + "/t10k-images-idx3-ubyte";
    const std::string good = idx_images(2, 2, 3);
    write(images, good.substr(0, good.size() - 1));
    CHECK_THROWS_WITH(data::MNIST(root, false),
                      Catch::Contains("dims at byte 12 need more than the 11 data bytes the file has"));
    write(images, good + "x");
    CHECK_THROWS_WITH(data::MNIST(root, false),
                      Catch::Contains("trailing bytes after byte 28, where the 12 data bytes the dims need end"));
    write(images, good.substr(0, 10));
    CHECK_THROWS_WITH(data::MNIST(root, false), Catch::Contains("file ends at byte 10, inside the header of 16 bytes"));
    write(images, be32(0x803) + be32(0xffffffff) + be32(0xffffffff) + be32(0xffffffff));
    CHECK_THROWS_WITH(data::MNIST(root, false), Catch::Contains("dims at byte 4 need more than the 0 data bytes"));

    const std::string gz = gzip(idx_images(5, 2, 3));
    write(root + "/train-images-idx3-ubyte.gz", gz.substr(0, gz.size() / 2));
    CHECK_THROWS_WITH(data::MNIST(root, true),
                      Catch::Contains("train-images-idx3-ubyte.gz: truncated at compressed byte"));
    std::string flipped = gz;  // the CRC-32 in the trailer no longer matches the data
    flipped[gz.size() - 8] = char(flipped[gz.size() - 8] ^ 0x55);
    write(root + "/train-images-idx3-ubyte.gz", flipped);
    CHECK_THROWS_WITH(data::MNIST(root, true),
                      Catch::Contains("train-images-idx3-ubyte.gz: corrupt at compressed byte") &&
                          Catch::Contains("(incorrect data check)"));
}

TEST_CASE("DataLoader: batches in order, drop_last, and len", "[data]") {
    Tensor x = Tensor::arange(10).reshape({5, 2});
    Tensor y = Tensor::arange(5);
    data::DataLoader loader(data::TensorDataset(x, y), {.batch_size = 2});
    CHECK(loader.size() == 3);
    std::vector<std::size_t> sizes;
    std::vector<float> seen;
    for (auto& [bx, by] : loader) {
        sizes.push_back(by.numel());
        CHECK(bx.shape()[1] == 2);
        for (float v : by.data()) seen.push_back(v);
    }
    CHECK(sizes == std::vector<std::size_t>{2, 2, 1});
    CHECK(seen == std::vector<float>{0, 1, 2, 3, 4});
    data::DataLoader dropping(data::TensorDataset(x, y), {.batch_size = 2, .drop_last = true});
    CHECK(dropping.size() == 2);
    std::size_t count = 0;
    for (auto& batch : dropping) count += batch.y.numel();
    CHECK(count == 4);
    CHECK_THROWS_WITH(data::TensorDataset(x, Tensor::arange(4)), Catch::Contains("need the same size in dim 0"));
    CHECK_THROWS_WITH(data::DataLoader(data::TensorDataset(x, y), {.batch_size = 0}), Catch::Contains("batch_size"));
}

TEST_CASE("Subset: the examples at its indices in order and its errors", "[data]") {
    Tensor x = Tensor::arange(10).reshape({5, 2});
    data::TensorDataset whole(x, Tensor::arange(5));
    data::Subset first(whole, data::first_n(3));
    CHECK(first.size() == 3);
    data::Subset picked(whole, {4, 0, 4});
    const data::Batch b = picked.get_batch({0, 2, 1});
    CHECK(test::all_close(b.y, Tensor::from({4, 4, 0}), 0.0f));
    CHECK(test::all_close(b.x.reshape({-1}), Tensor::from({8, 9, 8, 9, 0, 1}), 0.0f));
    std::vector<float> seen;
    for (auto& [bx, by] : data::DataLoader(first, {.batch_size = 2}))
        for (float v : by.data()) seen.push_back(v);
    CHECK(seen == std::vector<float>{0, 1, 2});
    CHECK_THROWS_WITH(data::Subset(whole, {5}), Catch::Contains("Subset: index 5 is out of range for a dataset of 5"));
    CHECK_THROWS_WITH(first.get_batch({3}), Catch::Contains("Subset: index 3 is out of range for 3 examples"));
}

TEST_CASE("DataLoader: shuffling draws a new order each epoch, reproducible with manual_seed", "[data]") {
    Tensor x = Tensor::arange(100).reshape({100, 1});
    data::DataLoader loader(data::TensorDataset(x, Tensor::arange(100)), {.batch_size = 10, .shuffle = true});
    auto epoch = [&] {
        std::vector<float> order;
        for (auto& [bx, by] : loader) {
            CHECK(test::all_close(bx.reshape({-1}), by));  // rows stay paired
            for (float v : by.data()) order.push_back(v);
        }
        return order;
    };
    manual_seed(7);
    auto first = epoch(), second = epoch();
    CHECK(first != second);
    CHECK(std::set<float>(first.begin(), first.end()).size() == 100);
    manual_seed(7);
    CHECK(epoch() == first);
}

TEST_CASE("training on real Fashion-MNIST: one short epoch clears a lower bar", "[data][train]") {
    const std::string root = "/usr/share/datasets/fashion-mnist";
    if (!fs::is_directory(root)) {
        WARN("skipped: " << root << " is missing (apt-get install dataset-fashion-mnist)");
        return;
    }
    manual_seed(0);
    data::MNIST train(root, true), test(root, false);
    // 12,000 training images in batches of 64, then the full test set: above 75% (PyTorch: ~80%).
    std::vector<std::size_t> subset(12000);
    std::iota(subset.begin(), subset.end(), std::size_t{0});
    data::Batch part = train.get_batch(subset);
    data::DataLoader loader(data::TensorDataset(part.x, part.y), {.batch_size = 64, .shuffle = true});
    auto model = nn::Sequential(nn::Flatten(), nn::Linear(784, 128), nn::ReLU(), nn::Linear(128, 10));
    optim::Adam opt(model.parameters(), {.lr = 1e-3});
    for (auto& [x, y] : loader) {
        opt.zero_grad();
        Tensor loss = nn::functional::cross_entropy(model(x), y);
        loss.backward();
        opt.step();
    }
    model.eval();
    NoGradGuard no_grad;
    std::size_t correct = 0;
    for (auto& [x, y] : data::DataLoader(test, {.batch_size = 1000})) {
        Tensor pred = model(x).argmax(1);
        for (std::size_t i = 0; i < y.numel(); ++i) correct += pred.data()(i) == y.data()(i);
    }
    const double accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(test.size());
    INFO("test accuracy " << accuracy << "%");
    CHECK(accuracy > 75.0);
}
