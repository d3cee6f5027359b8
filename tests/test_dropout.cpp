// Dropout and Dropout2d: train/eval behaviour, the kept elements' scale, and the gradient.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_grad_cases({
    {"dropout: grad, p 0.3 (the same mask every call)",
     {{4, 5}},
     [](V x) {
         manual_seed(12);
         return nn::functional::dropout(x[0], 0.3f, true);
     }},
});
// dropout2d is x times a constant mask (a mul): differentiable to any order.
const bool registered_any_order = test::register_grad_cases(
    {
        {"dropout2d: grad, p 0.4 (the same channel mask every call)",
         {{3, 4, 2, 2}},
         [](V x) {
             manual_seed(13);
             return nn::functional::dropout2d(x[0], 0.4f, true);
         }},
    },
    test::Order::second);
}  // namespace

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

TEST_CASE("Dropout2d: zeroes whole channels with probability p and scales the rest; identity in eval",
          "[layers12][nn]") {
    manual_seed(4);
    nn::Dropout2d drop(0.3f);
    Tensor x = Tensor::ones({50, 40, 3, 2});
    Tensor y = drop(x);
    std::size_t dropped = 0;
    for (std::size_t p = 0; p < 50 * 40; ++p) {
        const float* c = y.data().data() + p * 6;
        const bool zero = c[0] == 0.0f;
        if (zero) ++dropped;
        for (int i = 0; i < 6; ++i) CHECK(c[i] == Approx(zero ? 0.0f : 1.0f / 0.7f));  // whole channels
    }
    CHECK(dropped == Approx(600).margin(80));  // 0.3 of 2000 channels; sd ≈ 20
    // One draw per channel from the global generator: the same seed gives the same channels.
    manual_seed(4);
    CHECK(test::all_close(nn::functional::dropout2d(x, 0.3f, true), y, 0.0f));
    // A 3-D input is (N, C, L), as PyTorch 1.13 treats it; eval and p = 0 give the input itself.
    Tensor z = nn::functional::dropout2d(Tensor::ones({4, 5, 6}), 0.5f, true);
    for (std::size_t p = 0; p < 20; ++p) CHECK(z.data()(p / 5, p % 5, 0) == z.data()(p / 5, p % 5, 5));
    drop.eval();
    CHECK(test::all_close(drop(x), x, 0.0f));
    CHECK(drop.check({3}) == Shape{3});  // eval doesn't look at the input, as PyTorch
    drop.train();
    CHECK(test::all_close(nn::functional::dropout2d(x, 1.0f, true), Tensor::zeros(x.shape()), 0.0f));
    std::ostringstream s;
    s << drop;
    CHECK(s.str() == "Dropout2d(p=0.3, inplace=false)");
    CHECK_THROWS_WITH(nn::Dropout2d(-0.1f), Catch::Contains("Dropout2d: probability must be between 0 and 1"));
    CHECK_THROWS_WITH(
        drop(Tensor::ones({5})),
        Catch::Contains("dropout2d: input must have at least 2 dims [N, C, ...] to drop channels, got [5]"));
    CHECK_THROWS_WITH(drop.check({5}), Catch::Contains("Dropout2d: input must have at least 2 dims"));
}
