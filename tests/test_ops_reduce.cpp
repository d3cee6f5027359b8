// Reductions: forward values, every dim with and without keepdim, negative dims, gradients, errors.
#include "helpers.hpp"

using namespace xg;
using xg::test::Domain;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases({
    {"sum: grad, all elements", {{2, 3, 4}}, [](V x) { return sum(x[0]); }},
    {"sum: grad, dim 0", {{2, 3, 4}}, [](V x) { return sum(x[0], 0); }},
    {"sum: grad, dim 1 keepdim", {{2, 3, 4}}, [](V x) { return sum(x[0], 1, true); }},
    {"sum: grad, dim -1", {{2, 3, 4}}, [](V x) { return sum(x[0], -1); }},
    {"sum: grad, dim -1 keepdim", {{2, 3, 4}}, [](V x) { return sum(x[0], -1, true); }},
    {"mean: grad, all elements", {{2, 3}}, [](V x) { return mean(x[0]); }},
    {"mean: grad, dim 1", {{2, 3, 4}}, [](V x) { return mean(x[0], 1); }},
    {"mean: grad, dim -3 keepdim", {{2, 3, 4}}, [](V x) { return mean(x[0], -3, true); }},
    {"max: grad, all elements", {{3, 4}}, [](V x) { return max(x[0]); }, Domain::distinct},
    {"max: grad, dim 0", {{3, 4}}, [](V x) { return max(x[0], 0); }, Domain::distinct},
    {"max: grad, dim 1 keepdim", {{2, 3, 4}}, [](V x) { return max(x[0], 1, true); }, Domain::distinct},
    {"max: grad, dim -1", {{2, 3, 4}}, [](V x) { return max(x[0], -1); }, Domain::distinct},
});
}  // namespace

TEST_CASE("sum: every dim, with and without keepdim, on hand-worked values", "[ops]") {
    Tensor a = Tensor::from({{{1, 2}, {3, 4}, {5, 6}}, {{7, 8}, {9, 10}, {11, 12}}});  // [2, 3, 2]
    CHECK(sum(a).item() == 78.0f);
    CHECK(sum(a).dim() == 0);
    CHECK(test::all_close(sum(a, 0), Tensor::from({{8, 10}, {12, 14}, {16, 18}})));
    CHECK(test::all_close(sum(a, 1), Tensor::from({{9, 12}, {27, 30}})));
    CHECK(test::all_close(sum(a, 2), Tensor::from({{3, 7, 11}, {15, 19, 23}})));
    CHECK(sum(a, 0, true).shape() == Shape{1, 3, 2});
    CHECK(sum(a, 1, true).shape() == Shape{2, 1, 2});
    CHECK(sum(a, -1, true).shape() == Shape{2, 3, 1});
    CHECK(test::all_close(sum(a, -1), sum(a, 2)));
    CHECK(test::all_close(a.sum(-3), sum(a, 0)));
}

TEST_CASE("mean and max: hand-worked values", "[ops]") {
    Tensor a = Tensor::from({{1, 5, 3}, {4, 2, 6}});
    CHECK(mean(a).item() == Approx(3.5f));
    CHECK(test::all_close(mean(a, 0), Tensor::from({2.5, 3.5, 4.5})));
    CHECK(test::all_close(mean(a, 1, true), Tensor::from({{3}, {4}})));
    CHECK(max(a).item() == 6.0f);
    CHECK(test::all_close(max(a, 0), Tensor::from({4, 5, 6})));
    CHECK(test::all_close(max(a, 1), Tensor::from({5, 6})));
    CHECK(test::all_close(argmax(a, 1), Tensor::from({1, 2})));
    CHECK(test::all_close(a.argmax(0, true), Tensor::from({{1, 0, 1}})));
}

TEST_CASE("max: gradient goes to the element picked; full max splits ties evenly", "[ops][grad]") {
    Tensor a = Tensor::from({{1, 7, 7}, {4, 2, 0}}).requires_grad_();
    sum(max(a, 1)).backward();
    CHECK(test::all_close(a.grad(), Tensor::from({{0, 1, 0}, {1, 0, 0}})));  // first of the tie
    a.mutable_grad() = Tensor();
    max(a).backward();
    CHECK(test::all_close(a.grad(), Tensor::from({{0, 0.5, 0.5}, {0, 0, 0}})));
}

TEST_CASE("reductions: a dim out of range throws, naming the op, dim and shape", "[ops][errors]") {
    Tensor a = Tensor::ones({2, 3});
    CHECK_THROWS_WITH(sum(a, 2), Catch::Contains("sum: dim 2") && Catch::Contains("[2, 3]"));
    CHECK_THROWS_WITH(mean(a, -3), Catch::Contains("mean: dim -3") && Catch::Contains("[2, 3]"));
    CHECK_THROWS_WITH(max(a, 5), Catch::Contains("max: dim 5"));
    CHECK_THROWS_WITH(max(Tensor::zeros({0})), Catch::Contains("max: the tensor [0] is empty"));
}
