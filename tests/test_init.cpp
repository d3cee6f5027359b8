// Initialisers: PyTorch's formulas and statistics, and the layers' default init (reset_parameters).
#include "helpers.hpp"

#include <cmath>

using namespace xg;

namespace {
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

TEST_CASE("Conv2d: weight drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in·k·k, as PyTorch", "[nn][init]") {
    manual_seed(0);
    nn::Conv2d conv(6, 16, 5);
    const double bound = 1.0 / std::sqrt(6.0 * 25.0);
    CHECK(conv.weight.shape() == Shape{16, 6, 5, 5});
    CHECK(stats(conv.weight).max_abs <= bound);
    CHECK(stats(conv.weight).max_abs > 0.95 * bound);
    CHECK(stats(conv.bias).max_abs <= bound);
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
