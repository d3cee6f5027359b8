// Layers and initialisers: PyTorch's init ranges and statistics, Linear on N-D input,
// Dropout's train/eval behaviour, Flatten, and gradients through layers.
#include "helpers.hpp"

#include <cmath>

using namespace xg;
using xg::test::Domain;

namespace {
using V = const std::vector<Tensor>&;

struct Stats {
    double mean = 0, std = 0, max_abs = 0;
};
Stats stats(const Tensor& t) {
    Stats s;
    for (float v : t.data()) s.mean += v;
    s.mean /= static_cast<double>(t.numel());
    for (float v : t.data()) {
        s.std += (v - s.mean) * (v - s.mean);
        s.max_abs = std::max(s.max_abs, static_cast<double>(std::abs(v)));
    }
    s.std = std::sqrt(s.std / static_cast<double>(t.numel()));
    return s;
}

const bool registered = test::register_grad_cases({
    {"Linear: grad through the layer, 3-D input [2, 3, 4]", {{2, 3, 4}}, [](V x) {
         manual_seed(5);
         nn::Linear layer(4, 3);
         return layer(x[0]);
     }},
    {"Sequential: grad through Linear, Tanh, Linear, Sigmoid", {{5, 4}}, [](V x) {
         manual_seed(6);
         auto model = nn::Sequential(nn::Linear(4, 3), nn::Tanh(), nn::Linear(3, 2), nn::Sigmoid());
         return model(x[0]);
     }},
    {"Flatten: grad", {{2, 3, 2}}, [](V x) { return nn::Flatten()(x[0]); }},
    {"dropout: grad, p 0.3 (the same mask every call)", {{4, 5}}, [](V x) {
         manual_seed(12);
         return nn::functional::dropout(x[0], 0.3f, true);
     }},
});
}  // namespace

TEST_CASE("Linear: weight and bias drawn from U(-1/sqrt(in), 1/sqrt(in)), as PyTorch", "[nn][init]") {
    manual_seed(0);
    nn::Linear layer(400, 300);
    const double bound = 1.0 / std::sqrt(400.0);
    Stats w = stats(layer.weight), b = stats(layer.bias);
    CHECK(layer.weight.shape() == Shape{300, 400});
    CHECK(layer.bias.shape() == Shape{300});
    CHECK(w.max_abs <= bound);
    CHECK(w.max_abs > 0.99 * bound);
    CHECK(w.std == Approx(bound / std::sqrt(3.0)).epsilon(0.01));  // the std of U(-b, b)
    CHECK(std::abs(w.mean) < 0.001);
    CHECK(b.max_abs <= bound);
    CHECK_FALSE(nn::Linear(3, 2, false).bias.defined());
    CHECK(nn::Linear(3, 2, false).parameters().size() == 1);
}

TEST_CASE("Linear: loads PyTorch weights and gives PyTorch's output", "[nn][serialize]") {
    nn::Linear layer(3, 4);
    nn::load(layer, test::source_path("tests/reference/linear_4x3.safetensors"));
    Tensor out = layer(Tensor::from({{1.0, -2.0, 0.5}, {0.0, 0.25, 3.0}}));
    std::vector<float> want = test::reference("safetensors/linear_4x3/output");
    REQUIRE(out.numel() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(out.data().data()[i] == Approx(want[i]).epsilon(1e-6));
}

TEST_CASE("Linear: any leading dims; a wrong feature count is a clear error", "[nn][errors]") {
    nn::Linear layer(4, 3);
    CHECK(layer(Tensor::ones({2, 5, 4})).shape() == Shape{2, 5, 3});
    CHECK(layer(Tensor::ones({4})).shape() == Shape{3});
    CHECK_THROWS_WITH(layer(Tensor::ones({64, 100})),
                      Catch::Contains("Linear(4 -> 3): input [64, 100] has 100 features, expected in_features=4"));
    CHECK_THROWS_WITH(nn::Linear(0, 3), Catch::Contains("must be positive"));
}

TEST_CASE("init: kaiming, xavier, normal, uniform and constants follow PyTorch's formulas", "[nn][init]") {
    manual_seed(1);
    Tensor w = Tensor::zeros({500, 200});  // fan_in 200, fan_out 500
    nn::init::kaiming_uniform_(w, 0.0, "fan_in", "relu");
    CHECK(stats(w).max_abs <= std::sqrt(2.0) * std::sqrt(3.0 / 200));
    CHECK(stats(w).std == Approx(std::sqrt(2.0 / 200)).epsilon(0.01));
    nn::init::kaiming_normal_(w, 0.0, "fan_out", "relu");
    CHECK(stats(w).std == Approx(std::sqrt(2.0 / 500)).epsilon(0.01));
    nn::init::xavier_uniform_(w);
    CHECK(stats(w).max_abs <= std::sqrt(6.0 / 700));
    CHECK(stats(w).std == Approx(std::sqrt(2.0 / 700)).epsilon(0.01));
    nn::init::xavier_normal_(w, 2.0);
    CHECK(stats(w).std == Approx(2.0 * std::sqrt(2.0 / 700)).epsilon(0.01));
    nn::init::normal_(w, 3.0, 0.5);
    CHECK(stats(w).mean == Approx(3.0).epsilon(0.01));
    CHECK(stats(w).std == Approx(0.5).epsilon(0.01));
    nn::init::uniform_(w, -2.0, 4.0);
    CHECK(stats(w).mean == Approx(1.0).epsilon(0.02));
    nn::init::constant_(w, 0.3);
    CHECK(w.data()(7, 9) == 0.3f);
    nn::init::zeros_(w);
    CHECK(stats(w).max_abs == 0.0);
    nn::init::ones_(w);
    CHECK(stats(w).mean == 1.0);
    CHECK(nn::init::calculate_gain("tanh") == Approx(5.0 / 3.0));
    CHECK(nn::init::calculate_gain("leaky_relu", 0.2) == Approx(std::sqrt(2.0 / 1.04)));
    CHECK_THROWS_WITH(nn::init::kaiming_uniform_(Tensor::zeros({5})), Catch::Contains("fewer than 2 dims, got [5]"));
    CHECK_THROWS_WITH(nn::init::kaiming_uniform_(w, 0.0, "fan_sideways"), Catch::Contains("mode must be"));
}

TEST_CASE("Dropout: zeroes about p and scales the rest by 1/(1-p) in training; identity in eval", "[nn]") {
    manual_seed(2);
    auto model = nn::Sequential(nn::Dropout(0.25f));
    Tensor x = Tensor::ones({100, 100});
    Tensor y = model(x);
    std::size_t zeros = 0;
    for (float v : y.data()) {
        if (v == 0.0f) ++zeros;
        else CHECK(v == Approx(1.0f / 0.75f));
    }
    CHECK(zeros == Approx(2500).margin(200));
    model.eval();
    CHECK(test::all_close(model(x), x));
    model.train();
    CHECK_FALSE(test::all_close(model(x), x));
    CHECK_THROWS_WITH(nn::Dropout(1.5f), Catch::Contains("between 0 and 1"));
    // The gradient flows only through the kept elements, with the same scale.
    Tensor w = Tensor::ones({4, 4}, true);
    Tensor out = nn::functional::dropout(w, 0.5f, true);
    sum(out).backward();
    CHECK(test::all_close(w.grad(), out.detach()));
}

TEST_CASE("Flatten and Identity", "[nn]") {
    CHECK(nn::Flatten()(Tensor::ones({2, 3, 4})).shape() == Shape{2, 12});
    CHECK(nn::Flatten(0)(Tensor::ones({2, 3, 4})).shape() == Shape{24});
    Tensor x = Tensor::randn({3});
    CHECK(test::all_close(nn::Identity()(x), x));
}
