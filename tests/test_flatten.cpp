// Flatten and Unflatten: shapes, gradient, repr, and errors that name the op whose rule they use.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_grad_cases({
    {"Flatten: grad", {{2, 3, 2}}, [](V x) { return nn::Flatten()(x[0]); }},
    {"Unflatten: grad",
     {{2, 6}},
     [](V x) {
         return nn::Unflatten(1, {3, -1})(x[0]);
     }},
});
}  // namespace

TEST_CASE("Flatten: PyTorch's default keeps the batch dim; start_dim and end_dim", "[nn]") {
    CHECK(nn::Flatten()(Tensor::ones({2, 3, 4})).shape() == Shape{2, 12});
    CHECK(nn::Flatten(0)(Tensor::ones({2, 3, 4})).shape() == Shape{24});
    CHECK(nn::Flatten(1, 2).check({2, 3, 4, 5}) == Shape{2, 12, 5});
    CHECK(nn::Flatten().check({}) == Shape{1});
    CHECK_THROWS_WITH(nn::Flatten(2, 1).check({2, 3, 4}),
                      Catch::Contains("flatten: start_dim 2 comes after end_dim 1"));
    CHECK_THROWS_WITH(nn::Flatten()(Tensor::ones({5})), Catch::Contains("flatten: dim 1 is out of range"));
    std::ostringstream s;
    s << nn::Flatten();
    CHECK(s.str() == "Flatten(start_dim=1, end_dim=-1)");
}

TEST_CASE("Unflatten: splits a dim, one size may be -1; printed as PyTorch", "[nn]") {
    Tensor x = Tensor::arange(12).reshape({2, 6});
    Tensor y = nn::Unflatten(1, {2, 3})(x);
    CHECK(y.shape() == Shape{2, 2, 3});
    CHECK(y.data()(1, 1, 2) == 11.0f);
    CHECK(nn::Unflatten(-1, {-1, 2}).check({4, 6}) == Shape{4, 3, 2});
    CHECK(nn::Unflatten(0, {2, 1}).check({2, 6}) == Shape{2, 1, 6});
    CHECK_THROWS_WITH(nn::Unflatten(1, {4, 4})(x),
                      Catch::Contains("reshape: can't reshape [2, 6]") && Catch::Contains("[2, 4, 4]"));
    CHECK_THROWS_WITH(nn::Unflatten(1, {4, -1}).check({2, 6}), Catch::Contains("the sizes don't divide"));
    CHECK_THROWS_WITH(nn::Unflatten(2, {1}).check({2, 6}), Catch::Contains("Unflatten: dim 2 is out of range"));
    std::ostringstream s;
    s << nn::Unflatten(1, {2, 3}) << ' ' << nn::Unflatten(1, {6});
    CHECK(s.str() == "Unflatten(dim=1, unflattened_size=(2, 3)) Unflatten(dim=1, unflattened_size=(6,))");
}
