// batch_norm: values, running statistics, train and eval gradients.
#include "helpers.hpp"

#include <cmath>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases(
    {
        {"batch_norm: grad, training, [6, 3] with weight and bias",
         {{6, 3}, {3}, {3}},
         [](V x) { return batch_norm(x[0], Tensor(), Tensor(), x[1], x[2], true); }},
        {"batch_norm: grad, training, [2, 3, 2, 2]",
         {{2, 3, 2, 2}, {3}, {3}},
         [](V x) { return batch_norm(x[0], Tensor(), Tensor(), x[1], x[2], true); }},
        {"batch_norm: grad, eval with running statistics",
         {{4, 3}, {3}, {3}},
         [](V x) {
             return batch_norm(x[0], Tensor::from({0.1, -0.2, 0.3}), Tensor::from({1.5, 0.5, 2.0}), x[1], x[2], false);
         }},
    },
    test::Order::first);  // fused kernels: first-order only
}  // namespace

TEST_CASE("batch_norm: normalises per channel and updates the running statistics", "[ops][norm]") {
    Tensor x = Tensor::from({{1, 10}, {3, 20}, {5, 30}, {7, 40}});  // channel means 4 and 25
    Tensor rm = Tensor::zeros({2}), rv = Tensor::ones({2});
    Tensor y = batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.1f, 0.0f);
    // channel 0: values 1 3 5 7, mean 4, biased variance 5
    CHECK(y.data()(0, 0) == Approx(-3.0 / std::sqrt(5.0)));
    CHECK(y.data()(3, 1) == Approx(15.0 / std::sqrt(125.0)));
    CHECK(rm.data()(0) == Approx(0.4f));                        // 0.9·0 + 0.1·4
    CHECK(rv.data()(0) == Approx(0.9f + 0.1f * 20.0f / 3.0f));  // unbiased: 20/3
    Tensor e = batch_norm(x, rm, rv, Tensor::from({2, 1}), Tensor::from({1, 0}), false);
    CHECK(e.data()(0, 0) == Approx((1.0 - 0.4) / std::sqrt(rv.data()(0) + 1e-5) * 2 + 1));
    CHECK_THROWS_WITH(batch_norm(Tensor::ones({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true),
                      Catch::Contains("more than 1 value per channel"));
    CHECK_THROWS_WITH(batch_norm(x, Tensor::zeros({3}), rv, Tensor(), Tensor(), true),
                      Catch::Contains("running_mean [3] doesn't match 2 channels"));
}
