// End to end: small networks learn with the API exactly as a training script uses it.
#include "helpers.hpp"

using namespace xg;

namespace {
Tensor xor_inputs() { return Tensor::from({{0, 0}, {0, 1}, {1, 0}, {1, 1}}); }
Tensor xor_targets() { return Tensor::from({{0}, {1}, {1}, {0}}); }

// 2-8-1 with Tanh and a Sigmoid output, BCE, 2,000 steps: returns the final loss.
float train_xor(const std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>& make) {
    manual_seed(0);
    auto model = nn::Sequential(nn::Linear(2, 8), nn::Tanh(), nn::Linear(8, 1), nn::Sigmoid());
    auto opt = make(model.parameters());
    nn::BCELoss loss_fn;
    float last = 1.0f;
    for (int step = 0; step < 2000; ++step) {
        opt->zero_grad();
        Tensor loss = loss_fn(model(xor_inputs()), xor_targets());
        loss.backward();
        opt->step();
        last = loss.item();
    }
    return last;
}
}  // namespace

TEST_CASE("XOR: a 2-8-1 MLP reaches loss < 0.01 within 2,000 steps with Adam", "[train]") {
    CHECK(train_xor([](std::vector<Tensor> p) {
              return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions{.lr = 0.05});
          }) < 0.01f);
}

TEST_CASE("XOR: a 2-8-1 MLP reaches loss < 0.01 within 2,000 steps with SGD + momentum", "[train]") {
    CHECK(train_xor([](std::vector<Tensor> p) {
              return std::make_unique<optim::SGD>(std::move(p), optim::SGDOptions{.lr = 0.5, .momentum = 0.9});
          }) < 0.01f);
}

// API.md's seed example is tests/consumer/main.cpp, built and run as an outside project by CTest.

TEST_CASE("save -> load into a fresh model gives identical outputs", "[nn][serialize]") {
    const std::string path = test::temp_path("mlp.safetensors");
    manual_seed(1);
    auto model = nn::Sequential(nn::Linear(5, 7), nn::ReLU(), nn::Linear(7, 3));
    nn::save(model, path);
    manual_seed(2);
    auto fresh = nn::Sequential(nn::Linear(5, 7), nn::ReLU(), nn::Linear(7, 3));
    Tensor x = Tensor::randn({4, 5});
    CHECK_FALSE(test::all_close(fresh(x), model(x)));
    nn::load(fresh, path);
    CHECK(test::all_close(fresh(x), model(x), 0.0f));
}
