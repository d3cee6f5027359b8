// masked_fill, tril, triu, gather, embedding (core/ops_index.cpp), matmul over several batch
// dims and softmax with -inf entries: values, gradients of any order, and their errors.
#include "helpers.hpp"

#include <cmath>
#include <limits>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
constexpr float inf = std::numeric_limits<float>::infinity();
// make_op_reference.py's MASK34, MASK4 and index tensors, the same values as 0/1 and whole-number floats.
Tensor mask34() { return Tensor::from({{0, 1, 0, 0}, {1, 0, 0, 1}, {0, 0, 1, 1}}); }
Tensor mask4() { return Tensor::from({0, 1, 1, 0}); }
Tensor tokens() { return Tensor::from({{0, 4, 4}, {2, 0, 1}}); }

const bool registered = test::register_op_cases({
    {"masked_fill: grad, mask [3, 4]", {{3, 4}}, [](V x) { return x[0].masked_fill(mask34(), -2.5f); }},
    {"masked_fill: grad, mask [4] broadcast over [3, 4]",
     {{3, 4}},
     [](V x) { return x[0].masked_fill(mask4(), 0.5f); }},
    {"masked_fill: grad, input [4] broadcast to mask [3, 4]",
     {{4}},
     [](V x) { return masked_fill(x[0], mask34(), 3); }},
    {"masked_fill: grad, -inf then softmax",
     {{3, 4}},
     [](V x) { return softmax(x[0].masked_fill(mask34(), -inf), -1); }},
    {"tril: grad, [4, 3]", {{4, 3}}, [](V x) { return tril(x[0]); }},
    {"tril: grad, diagonal -1 of [2, 3, 4]", {{2, 3, 4}}, [](V x) { return x[0].tril(-1); }},
    {"triu: grad, diagonal 1 of [3, 4]", {{3, 4}}, [](V x) { return triu(x[0], 1); }},
    {"triu: grad, diagonal -2 of [2, 4, 3] squared", {{2, 4, 3}}, [](V x) { return pow(x[0].triu(-2), 2.0f); }},
    {"gather: grad, dim 1 with repeated indices",
     {{3, 4}},
     [](V x) {
         return gather(x[0], 1, Tensor::from({{0, 3, 3}, {1, 1, 0}, {2, 0, 3}}));
     }},
    {"gather: grad, dim 0 of [3, 4] index [2, 4]",
     {{3, 4}},
     [](V x) {
         return x[0].gather(0, Tensor::from({{2, 0, 1, 2}, {2, 2, 0, 1}}));
     }},
    {"gather: grad, dim -1 of [2, 3, 4] index [2, 2, 2] squared",
     {{2, 3, 4}},
     [](V x) {
         return pow(x[0].gather(-1, Tensor::from({{{3, 0}, {1, 1}}, {{2, 2}, {0, 3}}})), 2.0f);
     }},
    {"embedding: grad, repeated indices", {{5, 3}}, [](V x) { return embedding(tokens(), x[0]); }},
    {"embedding: grad, times itself",
     {{4, 2}},
     [](V x) {
         return pow(embedding(Tensor::from({3, 3, 1}), x[0]), 2.0f);
     }},
    {"matmul: grad, 4-D [2, 3, 2, 4] @ [2, 3, 4, 5]",
     {{2, 3, 2, 4}, {2, 3, 4, 5}},
     [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, broadcast batch [2, 1, 3, 4] @ [3, 4, 2]",
     {{2, 1, 3, 4}, {3, 4, 2}},
     [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, 4-D [2, 2, 3, 4] @ shared [4, 5]", {{2, 2, 3, 4}, {4, 5}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, shared [3, 4] @ 4-D [2, 2, 4, 5]", {{3, 4}, {2, 2, 4, 5}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, vector [4] @ 4-D [2, 3, 4, 5]", {{4}, {2, 3, 4, 5}}, [](V x) { return matmul(x[0], x[1]); }},
    {"matmul: grad, 4-D [2, 3, 2, 4] @ vector [4]", {{2, 3, 2, 4}, {4}}, [](V x) { return matmul(x[0], x[1]); }},
});
}  // namespace

TEST_CASE("masked_fill: values, broadcasting, no gradient where filled", "[seq][ops]") {
    Tensor x = Tensor::from({{1, 2}, {3, 4}}).requires_grad_();
    Tensor y = x.masked_fill(Tensor::from({{0, 1}, {1, 0}}), -inf);
    CHECK(y.data()(0, 0) == 1.0f);
    CHECK(y.data()(0, 1) == -inf);
    CHECK(y.data()(1, 0) == -inf);
    CHECK(masked_fill(Tensor::from({1, 2}), Tensor::from({{1, 0}, {0, 0}, {0, 1}}), 7).shape() == Shape{3, 2});
    // The gradient is exactly 0 where filled, even when the incoming gradient is inf there.
    y.backward(Tensor::from({{1, inf}, {inf, 1}}));
    CHECK(test::all_close(x.grad(), Tensor::from({{1, 0}, {0, 1}})));
    // NaN in the input stays where it isn't masked.
    Tensor n = Tensor::from({NAN, NAN});
    const Tensor filled = n.masked_fill(Tensor::from({1, 0}), 0);
    CHECK(filled.data()(0) == 0.0f);
    CHECK(std::isnan(filled.data()(1)));
}

TEST_CASE("masked_fill: errors name the op and the shapes", "[seq][ops]") {
    CHECK_THROWS_WITH(Tensor::zeros({2, 3}).masked_fill(Tensor::zeros({2}), 1),
                      Catch::Contains("masked_fill: mask [2] doesn't broadcast with input [2, 3]"));
    CHECK_THROWS_WITH(Tensor::zeros({2}).masked_fill(Tensor::from({0, 0.5}), 1),
                      Catch::Contains("masked_fill: mask [2] must hold 0 or 1") && Catch::Contains("0.5"));
}

TEST_CASE("tril and triu: values as PyTorch, leading dims, errors", "[seq][ops]") {
    const Tensor a = Tensor::arange(1, 13).reshape({3, 4});
    CHECK(test::all_close(tril(a), Tensor::from({{1, 0, 0, 0}, {5, 6, 0, 0}, {9, 10, 11, 0}})));
    CHECK(test::all_close(triu(a, 1), Tensor::from({{0, 2, 3, 4}, {0, 0, 7, 8}, {0, 0, 0, 12}})));
    CHECK(test::all_close(tril(a, -2), Tensor::from({{0, 0, 0, 0}, {0, 0, 0, 0}, {9, 0, 0, 0}})));
    CHECK(test::all_close(triu(a, 5), Tensor::zeros({3, 4})));
    CHECK(test::all_close(tril(a, 10), a));
    const Tensor b = stack({a, a * 2.0f});
    CHECK(test::all_close(b.triu(), stack({triu(a), triu(a) * 2.0f})));
    CHECK_THROWS_WITH(tril(Tensor::zeros({4})), Catch::Contains("tril: input must have at least 2 dims, got [4]"));
    CHECK_THROWS_WITH(triu(Tensor::zeros({})), Catch::Contains("triu: input must have at least 2 dims, got []"));
}

TEST_CASE("gather: values as PyTorch and the index checks", "[seq][ops]") {
    const Tensor a = Tensor::from({{1, 2}, {3, 4}});
    CHECK(test::all_close(gather(a, 1, Tensor::from({{0, 0}, {1, 0}})), Tensor::from({{1, 1}, {4, 3}})));
    CHECK(test::all_close(a.gather(0, Tensor::from({{1, 0}})), Tensor::from({{3, 2}})));
    CHECK_THROWS_WITH(gather(a, 1, Tensor::from({{0, 2}})),
                      Catch::Contains("gather: index 2 is out of range for dim 1 of input [2, 2]"));
    CHECK_THROWS_WITH(gather(a, 1, Tensor::from({{0, -1}})), Catch::Contains("gather: index -1 is out of range"));
    CHECK_THROWS_WITH(gather(a, 1, Tensor::from({{0, 0.5}})),
                      Catch::Contains("gather: index 0.5") && Catch::Contains("is not a whole number"));
    CHECK_THROWS_WITH(gather(a, 1, Tensor::from({{0, NAN}})), Catch::Contains("is not a whole number"));
    CHECK_THROWS_WITH(gather(a, 1, Tensor::from({0, 1})),
                      Catch::Contains("gather: index [2] must have as many dims as input [2, 2]"));
    CHECK_THROWS_WITH(gather(a, 1, Tensor::zeros({3, 1})),
                      Catch::Contains("gather: index [3, 1] is larger than input [2, 2] in dim 0"));
    CHECK_THROWS_WITH(gather(a, 2, Tensor::zeros({2, 2})), Catch::Contains("gather"));
}

TEST_CASE("embedding: values, repeated rows add their gradients, padding_idx gets none", "[seq][ops]") {
    Tensor w = Tensor::from({{1, 2}, {3, 4}, {5, 6}}).requires_grad_();
    Tensor y = embedding(Tensor::from({{2, 0}, {2, 1}}), w, 1);
    CHECK(y.shape() == Shape{2, 2, 2});
    CHECK(test::all_close(y.reshape({4, 2}), Tensor::from({{5, 6}, {1, 2}, {5, 6}, {3, 4}})));
    y.sum().backward();
    CHECK(test::all_close(w.grad(), Tensor::from({{1, 1}, {0, 0}, {2, 2}})));
    CHECK_THROWS_WITH(embedding(Tensor::from({12}), w),
                      Catch::Contains("embedding: index 12 is out of range for 3 embeddings"));
    CHECK_THROWS_WITH(embedding(Tensor::from({-1}), w), Catch::Contains("embedding: index -1 is out of range"));
    CHECK_THROWS_WITH(embedding(Tensor::from({1.5}), w), Catch::Contains("embedding: index 1.5"));
    CHECK_THROWS_WITH(embedding(Tensor::from({0}), Tensor::zeros({3})),
                      Catch::Contains("embedding: weight must be 2-D") && Catch::Contains("[3]"));
    CHECK_THROWS_WITH(embedding(Tensor::from({0}), w, 3), Catch::Contains("embedding: padding_idx 3 is out of range"));
}

// Not a table row: the padding row gets no gradient although the output depends on it, so the
// numerical gradient disagrees by design (PyTorch's gradcheck would too). Its row in
// make_op_reference.py gives PyTorch's numbers.
TEST_CASE("embedding: padding_idx 4 gives PyTorch's values and gradients", "[seq][ops]") {
    const std::string row = "embedding: grad, padding_idx 4";
    const test::GradCase gc{row, {{5, 3}}, nullptr};
    const std::vector<Tensor> x = test::make_inputs(gc);
    const Tensor out = embedding(tokens(), x[0], 4);
    test::check_against("forward", out, test::op_reference(row, "forward"), 1e-6f, 1e-5f);
    test::Stream ws(row + "#w");
    const Tensor g = autograd::grad({sum(out * test::random_like(ws, out.shape()))}, {x[0]}, {.create_graph = true})[0];
    test::check_against("grad.0", g, test::op_reference(row, "grad.0"), 1e-6f, 1e-5f);
    CHECK(test::all_close(select(g, 0, 4), Tensor::zeros({3})));
    CHECK(test::op_reference(row, "grad2.0") == std::vector<float>(15, 0.0f));  // linear in the weight
}

TEST_CASE("gather and embedding: gradients of gradients stay on the tape", "[seq][ops]") {
    // y = Σ (w[idx])³ -> dy/dw = 3·w² at each picked row (times its count), d²y/dw² = 6·w·count.
    Tensor w = Tensor::from({{0.5f, -1.0f}, {2.0f, 0.25f}}).requires_grad_();
    Tensor y = sum(pow(embedding(Tensor::from({1, 1, 0}), w), 3.0f));
    Tensor g = autograd::grad({y}, {w}, {.create_graph = true})[0];
    CHECK(test::all_close(g, Tensor::from({{0.75f, 3.0f}, {24.0f, 0.375f}})));
    Tensor h = autograd::grad({sum(g)}, {w})[0];
    CHECK(test::all_close(h, Tensor::from({{3.0f, -6.0f}, {24.0f, 3.0f}})));
}

TEST_CASE("matmul: several batch dims broadcast; mismatches name both shapes", "[seq][ops]") {
    const Tensor a = Tensor::arange(24).reshape({2, 3, 1, 4}), b = Tensor::arange(8).reshape({4, 2});
    const Tensor c = matmul(a, b);
    CHECK(c.shape() == Shape{2, 3, 1, 2});
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            const Tensor row = a.select(0, static_cast<std::int64_t>(i)).select(0, static_cast<std::int64_t>(j));
            CHECK(test::all_close(c.select(0, static_cast<std::int64_t>(i)).select(0, static_cast<std::int64_t>(j)),
                                  matmul(row, b)));
        }
    CHECK(matmul(Tensor::ones({5, 1, 2, 3}), Tensor::ones({4, 3, 6})).shape() == Shape{5, 4, 2, 6});
    CHECK_THROWS_WITH(matmul(Tensor::ones({2, 3, 2, 3}), Tensor::ones({4, 3, 6})),
                      Catch::Contains("matmul: batch sizes of [2, 3, 2, 3] and [4, 3, 6] don't broadcast"));
    CHECK_THROWS_WITH(matmul(Tensor::ones({2, 3, 2, 3}), Tensor::ones({2, 3, 4, 6})),
                      Catch::Contains("don't line up (3 != 4)"));
}

TEST_CASE("softmax: -inf entries give exact zeros; an all -inf row gives NaN as PyTorch", "[seq][ops]") {
    Tensor x = Tensor::from({{0.5f, -inf, 1.0f}, {-inf, -inf, -inf}}).requires_grad_();
    Tensor y = softmax(x, -1);
    CHECK(y.data()(0, 1) == 0.0f);
    CHECK(y.data()(0, 0) + y.data()(0, 2) == Approx(1.0f));
    for (std::size_t j = 0; j < 3; ++j) CHECK(std::isnan(y.data()(1, j)));
    // The masked entry's gradient is exactly 0; the all-masked row's is NaN (not hidden).
    y.backward(Tensor::from({{1, 2, 3}, {1, 2, 3}}));
    CHECK(x.grad().data()(0, 1) == 0.0f);
    CHECK(std::isnan(x.grad().data()(1, 0)));
}
