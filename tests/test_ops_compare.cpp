// Comparisons, where, minimum/maximum and clamp: gradients and second derivatives against central
// differences and PyTorch (rows kept off the kinks), NaN and tie behaviour worked by hand from
// torch 1.13, and the errors.
#include "helpers.hpp"

#include <cmath>
#include <limits>

using namespace xg;
using xg::test::Domain;

namespace {
using V = const std::vector<Tensor>&;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

const bool registered = test::register_op_cases({
    {"clamp: grad, min -0.35 max 0.25", {{3, 4}}, [](V x) { return clamp(x[0], -0.35f, 0.25f); }, Domain::distinct},
    {"clamp: grad, min only -0.15", {{3, 4}}, [](V x) { return clamp(x[0], -0.15f); }, Domain::distinct},
    {"clamp: grad, max only 0.25", {{2, 3}}, [](V x) { return clamp(x[0], std::nullopt, 0.25f); }, Domain::distinct},
    {"clamp: grad, min above max gives max",
     {{2, 3}},
     [](V x) { return clamp(x[0], 0.25f, -0.15f); },
     Domain::distinct},
    {"clamp: grad, clamp(x) * x", {{3, 4}}, [](V x) { return x[0].clamp(-0.35f, 0.25f) * x[0]; }, Domain::distinct},
    {"clamp_min: grad", {{3, 4}}, [](V x) { return clamp_min(x[0], 0.05f); }, Domain::distinct},
    {"clamp_max: grad", {{3, 4}}, [](V x) { return x[0].clamp_max(-0.05f); }, Domain::distinct},
    {"maximum: grad, equal shapes [2, 3]", {{2, 3}, {2, 3}}, [](V x) { return maximum(x[0], x[1]); }},
    {"maximum: grad, broadcast [3, 1] and [1, 4]", {{3, 1}, {1, 4}}, [](V x) { return maximum(x[0], x[1]); }},
    {"maximum: grad, maximum(a, b) * a", {{2, 3}, {3}}, [](V x) { return x[0].maximum(x[1]) * x[0]; }},
    {"minimum: grad, equal shapes [2, 3]", {{2, 3}, {2, 3}}, [](V x) { return minimum(x[0], x[1]); }},
    {"minimum: grad, broadcast [2, 3] and [3]", {{2, 3}, {3}}, [](V x) { return minimum(x[0], x[1]); }},
    {"minimum: grad, minimum(a, b) * b", {{4, 1, 3}, {2, 3}}, [](V x) { return x[0].minimum(x[1]) * x[1]; }},
    {"where: grad, cond a > 0 picks a or b [2, 3]",
     {{2, 3}, {2, 3}},
     [](V x) { return where(x[0] > 0.0f, x[0], x[1]); },
     Domain::off_zero},
    {"where: grad, broadcast cond [2, 1], a [3], b [2, 3]",
     {{2, 1}, {3}, {2, 3}},
     [](V x) { return where(x[0] > 0.0f, x[1], x[2]); },
     Domain::off_zero},
    {"where: grad, float operands",
     {{2, 3}},
     [](V x) { return where(x[0] > 0.0f, x[0] * x[0], -0.5f) + where(x[0] < 0.0f, 2.0f, x[0]); },
     Domain::off_zero},
    {"where: grad, where(cond, a * b, b) with b broadcast",
     {{2, 3}, {3}},
     [](V x) { return (x[0] * x[1]).where(x[0] > 0.0f, x[1]); },
     Domain::off_zero},
});

// Exactly equal, NaN matching NaN.
bool same(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return false;
    for (std::size_t i = 0; i < a.numel(); ++i) {
        const float x = a.data().data()[i], y = b.data().data()[i];
        if (!(x == y || (std::isnan(x) && std::isnan(y)))) {
            UNSCOPED_INFO("element " << i << ": " << x << " vs " << y);
            return false;
        }
    }
    return true;
}
}  // namespace

TEST_CASE("comparisons: 0/1 results, broadcasting, operators and methods", "[ops-new][ops]") {
    Tensor a = Tensor::from({{1, 2, 3}, {4, 5, 6}});
    Tensor b = Tensor::from({3, 2, 1});
    CHECK(same(a == b, Tensor::from({{0, 1, 0}, {0, 0, 0}})));
    CHECK(same(a != b, Tensor::from({{1, 0, 1}, {1, 1, 1}})));
    CHECK(same(a < b, Tensor::from({{1, 0, 0}, {0, 0, 0}})));
    CHECK(same(a <= b, Tensor::from({{1, 1, 0}, {0, 0, 0}})));
    CHECK(same(a > b, Tensor::from({{0, 0, 1}, {1, 1, 1}})));
    CHECK(same(a >= b, Tensor::from({{0, 1, 1}, {1, 1, 1}})));
    CHECK(same(a.eq(b), eq(a, b)));
    CHECK(same(a.ge(b), ge(a, b)));
    CHECK(same(a > 3.0f, Tensor::from({{0, 0, 0}, {1, 1, 1}})));
    CHECK(same(a.le(2.0f), Tensor::from({{1, 1, 0}, {0, 0, 0}})));
    CHECK(same(3.0f < a, a > 3.0f));  // mirrored, as Python's reflected operators
    CHECK(same(2.0f >= a, a <= 2.0f));
    CHECK(same(5.0f == a, a == 5.0f));
    CHECK(same(ne(a, 5.0f), Tensor::from({{1, 1, 1}, {1, 0, 1}})));
    CHECK((a == b).shape() == Shape{2, 3});
}

TEST_CASE("comparisons: never recorded, so accuracy reads as in PyTorch", "[ops-new][ops]") {
    Tensor logits = Tensor::from({{0.1, 2.0, 0.3}, {1.5, 0.2, 0.1}, {0.0, 0.1, 0.9}}).requires_grad_();
    Tensor y = Tensor::from({1, 2, 2});
    Tensor hits = logits.argmax(1) == y;
    CHECK_FALSE(hits.requires_grad());
    CHECK_FALSE(hits.grad_fn());
    CHECK((logits.argmax(1) == y).sum().item() == 2.0f);
    CHECK_FALSE((logits > 0.5f).requires_grad());
}

TEST_CASE("comparisons: NaN compares as IEEE (NaN != NaN)", "[ops-new][ops]") {
    Tensor a = Tensor::from({kNaN, 1.0f, kNaN});
    Tensor b = Tensor::from({kNaN, kNaN, 2.0f});
    CHECK(same(a == b, Tensor::from({0, 0, 0})));
    CHECK(same(a != b, Tensor::from({1, 1, 1})));
    CHECK(same(a < b, Tensor::from({0, 0, 0})));
    CHECK(same(a >= b, Tensor::from({0, 0, 0})));
    CHECK(same(a != a, Tensor::from({1, 0, 1})));
    CHECK(same(a == kNaN, Tensor::from({0, 0, 0})));
}

TEST_CASE("comparisons: shapes that can't broadcast throw naming the op", "[ops-new][errors]") {
    Tensor a = Tensor::ones({4, 3}), b = Tensor::ones({2, 3});
    CHECK_THROWS_WITH(a == b, Catch::Contains("eq: shapes [4, 3] and [2, 3]"));
    CHECK_THROWS_WITH(a >= b, Catch::Contains("ge: shapes [4, 3] and [2, 3]"));
}

TEST_CASE("where: forward values, broadcasting and float overloads as torch.where", "[ops-new][ops]") {
    Tensor cond = Tensor::from({{1}, {0}});  // [2, 1]
    Tensor a = Tensor::from({1, 2, 3});      // [3]
    Tensor b = Tensor::from({{10, 20, 30}, {40, 50, 60}});
    CHECK(same(where(cond, a, b), Tensor::from({{1, 2, 3}, {40, 50, 60}})));
    CHECK(same(where(cond, a, -1.0f), Tensor::from({{1, 2, 3}, {-1, -1, -1}})));
    CHECK(same(where(cond, 7.0f, b), Tensor::from({{7, 7, 7}, {40, 50, 60}})));
    CHECK(same(where(Tensor::from({1, 0}), 1.0f, 2.0f), Tensor::from({1, 2})));  // torch: tensor([1., 2.])
    CHECK(same(a.where(a > 1.5f, 0.0f), Tensor::from({0, 2, 3})));
    CHECK(std::isnan(where(Tensor::from({1}), Tensor::from({kNaN}), 0.0f).item()));  // NaN picked stays NaN
}

TEST_CASE("where, maximum, clamp: an input not picked gets 0, even where g is inf", "[ops-new][grad]") {
    // The usual guard where(x > 0, x², 0): d/dx = 2x where x > 0, and 0 at x = 0.
    Tensor x = Tensor::from({0, 2}).requires_grad_();
    where(x > 0.0f, x * x, 0.0f).sum().backward();
    CHECK(same(x.grad(), Tensor::from({0, 4})));
    // PyTorch's backwards zero the entries an input didn't reach instead of scaling g by 0, so
    // an inf in g doesn't become NaN there: torch gives a.grad [0, 1], b.grad [inf, 0] here.
    const float inf = std::numeric_limits<float>::infinity();
    Tensor a = Tensor::from({1, 5}).requires_grad_(), b = Tensor::from({2, 0}).requires_grad_();
    (maximum(a, b) * Tensor::from({inf, 1.0f})).sum().backward();
    CHECK(same(a.grad(), Tensor::from({0, 1})));
    CHECK(same(b.grad(), Tensor::from({inf, 0})));
    Tensor c = Tensor::from({-2, 0.5}).requires_grad_();
    (clamp(c, -1.0f, 1.0f) * Tensor::from({inf, 1.0f})).sum().backward();
    CHECK(same(c.grad(), Tensor::from({0, 1})));
}

TEST_CASE("where: errors name all three shapes", "[ops-new][errors]") {
    CHECK_THROWS_WITH(where(Tensor::ones({4}), Tensor::ones({2, 3}), Tensor::ones({3})),
                      Catch::Contains("where: condition [4], input [2, 3] and other [3] can't broadcast"));
    CHECK_THROWS_WITH(where(Tensor::ones({3}), Tensor::ones({2}), 0.0f), Catch::Contains("where:"));
}

TEST_CASE("maximum/minimum: ties split the gradient in half, NaN reaches both, as torch 1.13", "[ops-new][grad]") {
    // torch.maximum([1, 2, 3, nan, 1], [1, 3, 2, 1, nan]) = [1, 3, 3, nan, nan];
    // a.grad = [0.5, 0, 1, 1, 1], b.grad = [0.5, 1, 0, 1, 1] (minimum mirrors it).
    Tensor a = Tensor::from({1, 2, 3, kNaN, 1}).requires_grad_();
    Tensor b = Tensor::from({1, 3, 2, 1, kNaN}).requires_grad_();
    Tensor m = maximum(a, b);
    CHECK(same(m, Tensor::from({1, 3, 3, kNaN, kNaN})));
    m.sum().backward();
    CHECK(same(a.grad(), Tensor::from({0.5, 0, 1, 1, 1})));
    CHECK(same(b.grad(), Tensor::from({0.5, 1, 0, 1, 1})));
    a.mutable_grad() = Tensor();
    b.mutable_grad() = Tensor();
    Tensor n = minimum(a, b);
    CHECK(same(n, Tensor::from({1, 2, 2, kNaN, kNaN})));
    n.sum().backward();
    CHECK(same(a.grad(), Tensor::from({0.5, 1, 0, 1, 1})));
    CHECK(same(b.grad(), Tensor::from({0.5, 0, 1, 1, 1})));
}

TEST_CASE("maximum: a broadcast tie sums its halves back", "[ops-new][grad]") {
    Tensor a = Tensor::from({2}).requires_grad_();  // [1] against [3]: two ties, one loss
    Tensor b = Tensor::from({2, 2, 3}).requires_grad_();
    maximum(a, b).sum().backward();
    CHECK(same(a.grad(), Tensor::from({1})));  // 0.5 + 0.5 + 0
    CHECK(same(b.grad(), Tensor::from({0.5, 0.5, 1})));
    CHECK_THROWS_WITH(maximum(Tensor::ones({2}), Tensor::ones({3})), Catch::Contains("maximum: shapes [2] and [3]"));
    CHECK_THROWS_WITH(minimum(Tensor::ones({2}), Tensor::ones({3})), Catch::Contains("minimum: shapes [2] and [3]"));
}

TEST_CASE("clamp: values, inclusive bounds in the gradient, NaN as torch 1.13", "[ops-new][grad]") {
    // torch.clamp([-2, -1, 0, 1, 2, nan], -1, 1) = [-1, -1, 0, 1, 1, nan], grad [0, 1, 1, 1, 0, 0].
    Tensor x = Tensor::from({-2, -1, 0, 1, 2, kNaN}).requires_grad_();
    Tensor y = clamp(x, -1.0f, 1.0f);
    CHECK(same(y, Tensor::from({-1, -1, 0, 1, 1, kNaN})));
    CHECK(std::isnan(y.data()(5)));
    y.sum().backward();
    CHECK(same(x.grad(), Tensor::from({0, 1, 1, 1, 0, 0})));
    x.mutable_grad() = Tensor();
    // min > max: max everywhere, gradient 0 everywhere.
    Tensor z = clamp(x, 1.0f, -1.0f);
    CHECK(same(z, Tensor::from({-1, -1, -1, -1, -1, kNaN})));
    z.sum().backward();
    CHECK(same(x.grad(), Tensor::zeros({6})));
    x.mutable_grad() = Tensor();
    // clamp_min(x, 0) is relu with PyTorch's gradient 1 at 0 (the bound is inclusive).
    clamp_min(x, 0.0f).sum().backward();
    CHECK(same(x.grad(), Tensor::from({0, 0, 1, 1, 1, 0})));
    // A NaN bound is ignored by torch 1.13 (the values pass through); its gradient is 0.
    CHECK(same(clamp(Tensor::from({-2, 3}), kNaN), Tensor::from({-2, 3})));
    CHECK(same(clamp_max(Tensor::from({-2, 3}), 1.0f), Tensor::from({-2, 1})));
}

TEST_CASE("clamp: without a bound throws as PyTorch", "[ops-new][errors]") {
    CHECK_THROWS_WITH(clamp(Tensor::ones({2, 3}), std::nullopt, std::nullopt),
                      Catch::Contains("clamp: at least one of min or max") && Catch::Contains("[2, 3]"));
}
