// Shape ops: reshape with -1, permute/transpose round trips, squeeze/unsqueeze, cat/stack,
// slicing, split/chunk, their gradients and their errors.
#include "helpers.hpp"

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
// Each piece times its position + 1, joined again (make_op_reference.py's scaled_cat): one output
// whose gradient tells the pieces apart.
Tensor scaled_cat(const std::vector<Tensor>& pieces, std::int64_t dim) {
    std::vector<Tensor> parts;
    for (std::size_t i = 0; i < pieces.size(); ++i) parts.push_back(pieces[i] * static_cast<float>(i + 1));
    return cat(parts, dim);
}
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
    {"split: grad, split_size 2 of 5 rows", {{5, 3}}, [](V x) { return scaled_cat(split(x[0], 2), 0); }},
    {"split: grad, sizes {1, 3} along dim -1",
     {{2, 4}},
     [](V x) {
         return scaled_cat(split(x[0], std::vector<std::int64_t>{1, 3}, -1), -1);
     }},
    {"split: grad, only the second piece used",
     {{6, 2}},
     [](V x) {
         const std::vector<Tensor> p = split(x[0], 4);
         return p[1] * p[1];
     }},
    {"chunk: grad, 3 chunks of 7 along dim 1", {{2, 7}}, [](V x) { return scaled_cat(chunk(x[0], 3, 1), 1); }},
    {"chunk: grad, 4 chunks of 6 rows gives 3", {{6, 2}}, [](V x) { return scaled_cat(chunk(x[0], 4), 0); }},
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

// Under UBSan these copied through memcpy(null, ..., 0) (an empty tensor's data is null) before
// gather_along and cat skipped empty blocks; found by an LSTM on a batch of 0 ([rnn]).
TEST_CASE("slice select cat and stack: tensors with an empty dim give empty results", "[ops][rnn]") {
    const Tensor e = Tensor::zeros({3, 0, 2}, true);
    CHECK(slice(e, 0, 0, 2).shape() == Shape{2, 0, 2});
    CHECK(select(e, 0, 1).shape() == Shape{0, 2});
    CHECK(stack({select(e, 0, 0), select(e, 0, 1)}, 0).shape() == Shape{2, 0, 2});
    CHECK(cat({Tensor::ones({2, 0}), Tensor::ones({2, 3})}, 1).shape() == Shape{2, 3});
    Tensor s = sum(cat({slice(e, 0, 0, 1), select(e, 0, 2).unsqueeze(0)}, 0));
    s.backward();
    CHECK(e.grad().shape() == Shape{3, 0, 2});
}

TEST_CASE("split and chunk: piece sizes as PyTorch / values / errors", "[layers12][ops]") {
    auto sizes = [](const std::vector<Tensor>& pieces, std::size_t dim) {
        std::vector<std::size_t> out;
        for (const Tensor& p : pieces) out.push_back(p.shape()[dim]);
        return out;
    };
    const Tensor a = Tensor::arange(14).reshape({7, 2});
    CHECK(sizes(split(a, 3), 0) == std::vector<std::size_t>{3, 3, 1});
    CHECK(sizes(split(a, 7), 0) == std::vector<std::size_t>{7});
    CHECK(sizes(split(a, 10), 0) == std::vector<std::size_t>{7});
    CHECK(sizes(split(a, 1, 1), 1) == std::vector<std::size_t>{1, 1});
    CHECK(sizes(split(a, std::vector<std::int64_t>{2, 0, 5}), 0) == std::vector<std::size_t>{2, 0, 5});
    // chunk: split_size = ceil(n / chunks), so fewer pieces than asked where PyTorch gives fewer.
    CHECK(sizes(chunk(a, 3), 0) == std::vector<std::size_t>{3, 3, 1});
    CHECK(sizes(chunk(a, 7), 0) == std::vector<std::size_t>{1, 1, 1, 1, 1, 1, 1});
    CHECK(sizes(chunk(Tensor::zeros({6}), 4), 0) == std::vector<std::size_t>{2, 2, 2});
    CHECK(sizes(chunk(Tensor::zeros({5}), 4), 0) == std::vector<std::size_t>{2, 2, 1});
    CHECK(sizes(chunk(a, 9), 0) == std::vector<std::size_t>{1, 1, 1, 1, 1, 1, 1});
    CHECK(sizes(chunk(Tensor::zeros({0, 2}), 3), 0) == std::vector<std::size_t>{0, 0, 0});
    CHECK(sizes(split(Tensor::zeros({0, 2}), 2), 0) == std::vector<std::size_t>{0});
    const std::vector<Tensor> p = chunk(a, 2, -1);
    CHECK(test::all_close(p[1].reshape({-1}), Tensor::from({1, 3, 5, 7, 9, 11, 13})));
    CHECK(test::all_close(cat(split(a, 3), 0), a, 0.0f));
    // The methods are the free functions, as x.split / x.chunk in PyTorch.
    CHECK(sizes(a.split(3), 0) == std::vector<std::size_t>{3, 3, 1});
    CHECK(sizes(a.split(std::vector<std::int64_t>{1, 1}, 1), 1) == std::vector<std::size_t>{1, 1});
    CHECK(test::all_close(a.chunk(2, -1)[1], p[1], 0.0f));
    // Each piece's gradient lands in its slice; unused pieces leave zeros.
    Tensor x = Tensor::ones({5, 2}, true);
    (split(x, 2)[1] * 3.0f).sum().backward();
    CHECK(test::all_close(x.grad().reshape({-1}), Tensor::from({0, 0, 0, 0, 3, 3, 3, 3, 0, 0})));
    CHECK_THROWS_WITH(split(a, std::vector<std::int64_t>{2, 4}),
                      Catch::Contains("split: sizes [2, 4] add up to 6, but dim 0 of [7, 2] has 7"));
    CHECK_THROWS_WITH(split(a, std::vector<std::int64_t>{8, -1}), Catch::Contains("split: sizes [8, -1] must not"));
    CHECK_THROWS_WITH(split(a, 0), Catch::Contains("split: split_size 0 must be positive for dim 0 of [7, 2]"));
    CHECK_THROWS_WITH(split(a, 2, 2), Catch::Contains("split") && Catch::Contains("[7, 2]"));
    CHECK_THROWS_WITH(chunk(a, 0), Catch::Contains("chunk: chunks must be positive, got 0"));
}
