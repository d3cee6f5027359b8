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
    CHECK(train_xor([](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions{.lr = 0.05}); }) <
          0.01f);
}

TEST_CASE("XOR: a 2-8-1 MLP reaches loss < 0.01 within 2,000 steps with SGD + momentum", "[train]") {
    CHECK(train_xor([](std::vector<Tensor> p) {
              return std::make_unique<optim::SGD>(std::move(p), optim::SGDOptions{.lr = 0.5, .momentum = 0.9});
          }) < 0.01f);
}

TEST_CASE("API.md's seed example compiles and trains as written", "[train]") {
    manual_seed(0);
    auto model = nn::Sequential(
        nn::Linear(10, 20),   // layer 1: 10 -> 20
        nn::ReLU(),           // layer 2
        nn::Linear(20, 1),    // layer 3: 20 -> 1
        nn::Sigmoid());

    Tensor x = Tensor::randn({64, 10});
    Tensor target = Tensor(Array(xt::cast<float>(xt::view(x.data(), xt::all(), xt::range(0, 1)) > 0.0f)));  // learn sign(x0)
    optim::Adam opt(model.parameters(), {.lr = 1e-2});
    float first = 0, last = 0;
    for (int step = 0; step < 200; ++step) {
        Tensor y = model(x);                       // runs every layer in order, shape {64, 1}
        REQUIRE(y.shape() == Shape{64, 1});
        Tensor loss = nn::functional::binary_cross_entropy(y, target);
        opt.zero_grad();
        loss.backward();                           // reverse-mode, replays the tape
        opt.step();
        if (step == 0) first = loss.item();
        last = loss.item();
    }
    CHECK(last < 0.2f * first);
    std::ostringstream printed;
    printed << model;                              // prints the layers, as PyTorch does
    CHECK(printed.str().find("(3): Sigmoid()") != std::string::npos);
}

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
