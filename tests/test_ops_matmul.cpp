// matmul (1-D, 2-D, batched 3-D) and linear: values against a naive product, gradients, errors.
#include "helpers.hpp"

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases({
    {"matmul: grad, [3, 4] @ [4, 5]", {{3, 4}, {4, 5}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, [1, 4] @ [4, 1]", {{1, 4}, {4, 1}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, vector [4] @ [4, 3]", {{4}, {4, 3}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, [3, 4] @ vector [4]", {{3, 4}, {4}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, dot [4] @ [4]", {{4}, {4}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, batched [2, 3, 4] @ [2, 4, 5]", {{2, 3, 4}, {2, 4, 5}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, batched [2, 3, 4] @ shared [4, 5]", {{2, 3, 4}, {4, 5}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, shared [3, 4] @ batched [2, 4, 5]", {{3, 4}, {2, 4, 5}}, [](V x) { return matmul(x[0], x[1]); }},
    {"linear: grad, x [3, 4], weight [5, 4], bias [5]",
     {{3, 4}, {5, 4}, {5}},
     [](V x) { return linear(x[0], x[1], x[2]); }},
    {"linear: grad, without bias", {{3, 4}, {2, 4}}, [](V x) { return linear(x[0], x[1]); }},
});

Array naive_matmul(const Array& a, const Array& b) {
    const std::size_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
    Array c = xt::zeros<float>({m, n});
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t p = 0; p < k; ++p) c(i, j) += a(i, p) * b(p, j);
    return c;
}
}  // namespace

TEST_CASE("matmul: hand-worked 2x2 and a naive product at an MLP shape", "[ops]") {
    Tensor a = Tensor::from({{1, 2}, {3, 4}}), b = Tensor::from({{5, 6}, {7, 8}});
    CHECK(test::all_close(matmul(a, b), Tensor::from({{19, 22}, {43, 50}})));
    manual_seed(0);
    Tensor x = Tensor::randn({64, 30}), w = Tensor::randn({30, 20});
    CHECK(test::all_close(matmul(x, w).data(), naive_matmul(x.data(), w.data()), 1e-4f));
    CHECK(matmul(Tensor::from({1, 2}), Tensor::from({3, 4})).item() == 11.0f);
    CHECK(matmul(Tensor::ones({2, 3, 4}), Tensor::ones({4, 5})).shape() == Shape{2, 3, 5});
}

TEST_CASE("matmul: zero-size dims give PyTorch's shapes", "[ops]") {
    // The batched paths reshape with explicit sizes: a -1 can't be solved next to a 0.
    Tensor a = Tensor::ones({2, 3, 0}, true);
    Tensor y = matmul(a, Tensor::ones({0, 4}));
    CHECK(y.shape() == Shape{2, 3, 4});
    CHECK(y.abs().max().item() == 0.0f);
    y.sum().backward();
    CHECK(a.grad().shape() == Shape{2, 3, 0});
    CHECK(matmul(Tensor::ones({2, 0, 3}), Tensor::ones({2, 3, 4})).shape() == Shape{2, 0, 4});
    CHECK(matmul(Tensor::ones({0, 2, 3}), Tensor::ones({3, 4})).shape() == Shape{0, 2, 4});
    CHECK(matmul(Tensor::ones({0, 2, 3}), Tensor::ones({1, 3, 4})).shape() == Shape{0, 2, 4});
}

TEST_CASE("linear: equals x @ w.t() + b", "[ops]") {
    manual_seed(1);
    Tensor x = Tensor::randn({8, 5}), w = Tensor::randn({3, 5}), b = Tensor::randn({3});
    CHECK(test::all_close(linear(x, w, b), matmul(x, w.t()) + b, 1e-5f));
    CHECK(test::all_close(linear(x, w), matmul(x, w.t()), 1e-5f));
}

TEST_CASE("matmul: shapes that don't line up throw with both shapes", "[ops][errors]") {
    CHECK_THROWS_WITH(matmul(Tensor::ones({64, 10}), Tensor::ones({20, 1})),
                      Catch::Contains("matmul: shapes [64, 10] and [20, 1] don't line up (10 != 20)"));
    CHECK_THROWS_WITH(matmul(Tensor::ones({2, 3, 4}), Tensor::ones({3, 4, 5})), Catch::Contains("batch sizes"));
    CHECK_THROWS_WITH(matmul(Tensor::ones({3}), Tensor::ones({4})), Catch::Contains("[3] and [4]"));
    CHECK_THROWS_WITH(matmul(Tensor::ones({}), Tensor::ones({2, 2})), Catch::Contains("at least 1 dim"));
    CHECK_THROWS_WITH(linear(Tensor::ones({4, 7}), Tensor::ones({3, 5})),
                      Catch::Contains("linear: input [4, 7]") && Catch::Contains("[3, 5]"));
    CHECK_THROWS_WITH(linear(Tensor::ones({4, 5}), Tensor::ones({3, 5}), Tensor::ones({4})),
                      Catch::Contains("linear: bias [4]"));
}

TEST_CASE("matmul: results don't depend on the thread count the per-shape tuner picks", "[ops][threads]") {
    manual_seed(4);
    Tensor a = Tensor::randn({96, 300}, true), b = Tensor::randn({300, 80}, true);
    const Array want = naive_matmul(a.data(), b.data());
    const int before = get_num_threads();
    set_num_threads(2);
    for (int call = 0; call < 20; ++call) {  // spans the measuring calls (1 and 2 threads) and the decision
        Tensor c = matmul(a, b);
        REQUIRE(test::all_close(c.data(), want, 2e-4f));
        sum(c).backward();
    }
    CHECK(get_num_threads() == 2);
    set_num_threads(before);
    CHECK_THROWS_WITH(set_num_threads(0), Catch::Contains("set_num_threads: need at least 1 thread"));
}
