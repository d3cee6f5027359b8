// Same seed and same thread setting, same bits: a small MLP trained twice in one process (with
// shuffling, through products big enough for OpenBLAS's threads) saves byte-identical weights.
// tests/determinism_check.sh does the same with examples/mnist_mlp in separate processes.
#include "helpers.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

using namespace xg;

namespace {

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// 512 synthetic examples of 256 features in 10 classes; a 256-256-128-10 MLP, batch 64, Adam, two
// epochs. Its products (64 x 256 x 256 and up) are above blas.cpp's small-product limit, so they run
// on cblas_sgemm with the thread count parallel.cpp picks. Returns the saved file's bytes.
std::string train_and_save(const std::string& path) {
    manual_seed(7);
    Tensor x = Tensor::randn({512, 256});
    Tensor y(Array(xt::floor(Tensor::rand({512}).data() * 10.0f)));
    data::DataLoader loader(data::TensorDataset(x, y), {.batch_size = 64, .shuffle = true});
    auto model =
        nn::Sequential(nn::Linear(256, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10));
    optim::Adam opt(model.parameters(), {.lr = 1e-3});
    for (int epoch = 0; epoch < 2; ++epoch) {
        for (auto& [xb, yb] : loader) {
            opt.zero_grad();
            Tensor loss = nn::functional::cross_entropy(model(xb), yb);
            loss.backward();
            opt.step();
        }
    }
    nn::save(model, path);
    return file_bytes(path);
}

}  // namespace

TEST_CASE("determinism: the same seed trains to identical bytes at 1 thread and at 2 threads", "[determinism]") {
    const int before = get_num_threads();
    for (int threads : {1, 2}) {
        INFO("threads " << threads);
        set_num_threads(threads);  // once: the second run must not depend on what the first one did
        const std::string first = train_and_save(test::temp_path("determinism_a.safetensors"));
        const std::string second = train_and_save(test::temp_path("determinism_b.safetensors"));
        REQUIRE(first.size() > 256 * 256 * 4);
        REQUIRE(first.size() == second.size());
        const auto differ = std::mismatch(first.begin(), first.end(), second.begin()).first - first.begin();
        INFO("the files first differ at byte " << differ);
        CHECK(static_cast<std::size_t>(differ) == first.size());
    }
    set_num_threads(before);
}
