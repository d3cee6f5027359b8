// Shape ops: reshape with -1, permute/transpose round trips, squeeze/unsqueeze, cat/stack,
// slicing, their gradients and their errors.
#include "helpers.hpp"

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases({
    {"reshape: grad, [2, 3, 4] -> [4, -1]",
     {{2, 3, 4}},
     [](V x) {
         return reshape(x[0], {4, -1});
     }},
    {"view: grad, [6] -> [2, 3]",
     {{6}},
     [](V x) {
         return x[0].view({2, 3});
     }},
    {"flatten: grad, dims 1..-1", {{2, 3, 4}}, [](V x) { return flatten(x[0], 1); }},
    {"transpose: grad, dims 0 and 2", {{2, 3, 4}}, [](V x) { return transpose(x[0], 0, 2); }},
    {"t: grad, [3, 4]", {{3, 4}}, [](V x) { return x[0].t(); }},
    {"permute: grad, (2, 0, 1)",
     {{2, 3, 4}},
     [](V x) {
         return permute(x[0], {2, 0, 1});
     }},
    {"squeeze: grad, all size-1 dims", {{2, 1, 3, 1}}, [](V x) { return squeeze(x[0]); }},
    {"squeeze: grad, dim -1", {{2, 1, 3, 1}}, [](V x) { return squeeze(x[0], -1); }},
    {"unsqueeze: grad, dim 1", {{2, 3}}, [](V x) { return unsqueeze(x[0], 1); }},
    {"cat: grad, dim 0 of [2, 3] and [1, 3]",
     {{2, 3}, {1, 3}},
     [](V x) {
         return cat({x[0], x[1]}, 0);
     }},
    {"cat: grad, dim -1 of [2, 3] and [2, 2]",
     {{2, 3}, {2, 2}},
     [](V x) {
         return cat({x[0], x[1]}, -1);
     }},
    {"stack: grad, dim 1 of two [2, 3]",
     {{2, 3}, {2, 3}},
     [](V x) {
         return stack({x[0], x[1]}, 1);
     }},
    {"slice: grad, dim 1 [1:4:2]", {{2, 5}}, [](V x) { return slice(x[0], 1, 1, 4, 2); }},
    {"select: grad, dim 0 index -1", {{3, 4}}, [](V x) { return select(x[0], 0, -1); }},
    {"index_select: grad, repeated rows",
     {{3, 2}},
     [](V x) {
         return index_select(x[0], 0, {2, 0, 2});
     }},
    {"clone: grad", {{2, 2}}, [](V x) { return x[0].clone(); }},
});
}  // namespace

TEST_CASE("reshape: -1 is inferred; wrong sizes throw", "[ops]") {
    Tensor a = Tensor::arange(24);
    CHECK(reshape(a, {2, -1, 4}).shape() == Shape{2, 3, 4});
    CHECK(a.reshape({-1}).shape() == Shape{24});
    CHECK(test::all_close(a.reshape({4, 6}).data(), Array(xt::reshape_view(a.data(), {4, 6}))));
    CHECK_THROWS_WITH(reshape(a, {5, -1}),
                      Catch::Contains("reshape: can't reshape [24]") && Catch::Contains("[5, -1]"));
    CHECK_THROWS_WITH(reshape(a, {2, 3}), Catch::Contains("reshape: can't reshape [24] (24 elements) to [2, 3]"));
    CHECK_THROWS_WITH(reshape(a, {-1, -1}), Catch::Contains("only one dim may be -1"));
}

TEST_CASE("permute and transpose: values and round trips", "[ops]") {
    Tensor a = Tensor::arange(24).reshape({2, 3, 4});
    Tensor p = permute(a, {2, 0, 1});
    CHECK(p.shape() == Shape{4, 2, 3});
    CHECK(p.data()(3, 1, 2) == a.data()(1, 2, 3));
    CHECK(test::all_close(permute(p, {1, 2, 0}), a));
    CHECK(test::all_close(transpose(transpose(a, 0, 2), 0, 2), a));
    CHECK(test::all_close(Tensor::from({{1, 2, 3}, {4, 5, 6}}).t(), Tensor::from({{1, 4}, {2, 5}, {3, 6}})));
    CHECK_THROWS_WITH(permute(a, {0, 0, 1}), Catch::Contains("permute: dim 0 appears twice"));
    CHECK_THROWS_WITH(permute(a, {0, 1}), Catch::Contains("permute: 2 dims given") && Catch::Contains("[2, 3, 4]"));
    CHECK_THROWS_WITH(t(a), Catch::Contains("t: expects a tensor with <= 2 dims, got [2, 3, 4]"));
}

TEST_CASE("squeeze, unsqueeze, flatten: shapes", "[ops]") {
    Tensor a = Tensor::zeros({2, 1, 3, 1});
    CHECK(squeeze(a).shape() == Shape{2, 3});
    CHECK(squeeze(a, 1).shape() == Shape{2, 3, 1});
    CHECK(squeeze(a, 0).shape() == Shape{2, 1, 3, 1});  // not size 1: unchanged, as PyTorch
    CHECK(unsqueeze(Tensor::zeros({2, 3}), -1).shape() == Shape{2, 3, 1});
    CHECK(unsqueeze(Tensor::zeros({2, 3}), 0).shape() == Shape{1, 2, 3});
    CHECK(flatten(Tensor::zeros({2, 3, 4})).shape() == Shape{24});
    CHECK(flatten(Tensor::zeros({2, 3, 4}), 1).shape() == Shape{2, 12});
    CHECK(flatten(Tensor::zeros({2, 3, 4, 5}), 1, 2).shape() == Shape{2, 12, 5});
    CHECK_THROWS_WITH(unsqueeze(Tensor::zeros({2, 3}), 3), Catch::Contains("unsqueeze: dim 3"));
}

TEST_CASE("cat, stack, slice, select: values", "[ops]") {
    Tensor a = Tensor::from({{1, 2}, {3, 4}}), b = Tensor::from({{5, 6}});
    CHECK(test::all_close(cat({a, b}, 0), Tensor::from({{1, 2}, {3, 4}, {5, 6}})));
    CHECK(test::all_close(cat({a, a}, 1), Tensor::from({{1, 2, 1, 2}, {3, 4, 3, 4}})));
    CHECK(test::all_close(stack({a, a}, 0).reshape({-1}), Tensor::from({1, 2, 3, 4, 1, 2, 3, 4})));
    CHECK(stack({a, a}, 2).shape() == Shape{2, 2, 2});
    Tensor r = Tensor::arange(10);
    CHECK(test::all_close(slice(r, 0, 2, 9, 3), Tensor::from({2, 5, 8})));
    CHECK(test::all_close(slice(r, 0, -3, 100), Tensor::from({7, 8, 9})));
    CHECK(test::all_close(select(a, 1, 0), Tensor::from({1, 3})));
    CHECK(test::all_close(index_select(a, 0, {1, 1}), Tensor::from({{3, 4}, {3, 4}})));
    CHECK_THROWS_WITH(cat({a, b}, 1), Catch::Contains("cat: tensor 1 has shape [1, 2]") && Catch::Contains("[2, 2]"));
    CHECK_THROWS_WITH(stack({a, b}), Catch::Contains("stack: tensor 1 has shape [1, 2]"));
    CHECK_THROWS_WITH(select(a, 0, 2), Catch::Contains("select: index 2 is out of range") && Catch::Contains("[2, 2]"));
    CHECK_THROWS_WITH(index_select(a, 0, {5}), Catch::Contains("index_select: index 5"));
    CHECK_THROWS_WITH(slice(r, 0, 0, 5, 0), Catch::Contains("slice: step must be positive"));
}
