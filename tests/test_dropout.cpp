// Dropout: train/eval behaviour, the kept elements' scale, and its gradient.
#include "helpers.hpp"

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
