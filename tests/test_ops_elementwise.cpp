// Elementwise ops: forward values, gradients and second derivatives (equal shapes, each broadcast
// direction, scalars), and the errors for shapes that can't broadcast.
#include "helpers.hpp"

#include <cmath>
#include <limits>

using namespace xg;
using xg::test::Domain;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases({
    {"add: grad, equal shapes [2, 3]", {{2, 3}, {2, 3}}, [](V x) { return x[0] + x[1]; }},
    {"add: grad, broadcast [4, 1, 3] + [2, 3]", {{4, 1, 3}, {2, 3}}, [](V x) { return x[0] + x[1]; }},
    {"add: grad, broadcast [3] + [2, 3]", {{3}, {2, 3}}, [](V x) { return x[0] + x[1]; }},
    {"add: grad, 0-d scalar + matrix", {{}, {2, 3}}, [](V x) { return x[0] + x[1]; }},
    {"add: grad, tensor + float", {{2, 3}}, [](V x) { return 2.5f + x[0] + 1.0f; }},
    {"sub: grad, broadcast [3, 1] - [1, 4]", {{3, 1}, {1, 4}}, [](V x) { return x[0] - x[1]; }},
    {"sub: grad, float - tensor and tensor - float", {{2, 3}}, [](V x) { return (1.0f - x[0]) - 2.0f; }},
    {"mul: grad, equal shapes [2, 3]", {{2, 3}, {2, 3}}, [](V x) { return x[0] * x[1]; }},
    {"mul: grad, broadcast [3, 1] * [1, 4]", {{3, 1}, {1, 4}}, [](V x) { return x[0] * x[1]; }},
    {"mul: grad, broadcast [4, 1, 3] * [2, 3]", {{4, 1, 3}, {2, 3}}, [](V x) { return x[0] * x[1]; }},
    {"mul: grad, scalar [1] * matrix [2, 3]", {{1}, {2, 3}}, [](V x) { return x[0] * x[1]; }},
    {"mul: grad, tensor * float", {{2, 3}}, [](V x) { return 3.0f * x[0] * 0.5f; }},
    {"mul: grad, same tensor twice x * x", {{2, 3}}, [](V x) { return x[0] * x[0]; }},
    {"div: grad, equal shapes", {{2, 3}, {2, 3}}, [](V x) { return x[0] / x[1]; }, Domain::positive},
    {"div: grad, broadcast [2, 3] / [3]", {{2, 3}, {3}}, [](V x) { return x[0] / x[1]; }, Domain::positive},
    {"div: grad, broadcast [1] / [2, 3]", {{1}, {2, 3}}, [](V x) { return x[0] / x[1]; }, Domain::positive},
    {"div: grad, float / tensor and tensor / float",
     {{2, 3}},
     [](V x) { return 2.0f / x[0] / 4.0f; },
     Domain::positive},
    {"neg: grad", {{2, 3}}, [](V x) { return -x[0]; }},
    {"exp: grad", {{2, 3}}, [](V x) { return exp(x[0]); }},
    {"log: grad", {{2, 3}}, [](V x) { return log(x[0]); }, Domain::positive},
    {"sqrt: grad", {{2, 3}}, [](V x) { return sqrt(x[0]); }, Domain::positive},
    {"pow: grad, float exponent 3", {{2, 3}}, [](V x) { return pow(x[0], 3.0f); }},
    {"pow: grad, float exponent -1.5", {{2, 3}}, [](V x) { return pow(x[0], -1.5f); }, Domain::positive},
    {"pow: grad, tensor exponent broadcast [2, 3] ^ [3]",
     {{2, 3}, {3}},
     [](V x) { return pow(x[0], x[1]); },
     Domain::positive},
    {"abs: grad", {{2, 3}}, [](V x) { return abs(x[0]); }, Domain::off_zero},
    {"sin: grad", {{2, 3}}, [](V x) { return sin(x[0] * 3.0f); }},
    {"cos: grad", {{2, 3}}, [](V x) { return cos(x[0] * 3.0f); }},
    {"erf: grad", {{2, 3}}, [](V x) { return erf(x[0] * 2.0f); }},
    {"composite: grad, exp(sin(a) * b) / (1 + b²)",
     {{2, 3}, {3}},
     [](V x) { return exp(sin(x[0]) * x[1]) / (1.0f + x[1] * x[1]); }},
});
}  // namespace

TEST_CASE("elementwise: forward values on hand-worked inputs", "[ops]") {
    Tensor a = Tensor::from({{1, 2, 3}, {4, 5, 6}});
    Tensor b = Tensor::from({10, 20, 30});
    CHECK(test::all_close(a + b, Tensor::from({{11, 22, 33}, {14, 25, 36}})));
    CHECK(test::all_close(a - b, Tensor::from({{-9, -18, -27}, {-6, -15, -24}})));
    CHECK(test::all_close(a * b, Tensor::from({{10, 40, 90}, {40, 100, 180}})));
    CHECK(test::all_close(b / a, Tensor::from({{10, 10, 10}, {2.5, 4, 5}})));
    CHECK(test::all_close(-a, Tensor::from({{-1, -2, -3}, {-4, -5, -6}})));
    CHECK(test::all_close(2.0f - a, Tensor::from({{1, 0, -1}, {-2, -3, -4}})));
    CHECK(test::all_close(6.0f / a, Tensor::from({{6, 3, 2}, {1.5, 1.2, 1}})));
    CHECK(test::all_close(pow(a, 2.0f), Tensor::from({{1, 4, 9}, {16, 25, 36}})));
    CHECK(test::all_close(sqrt(Tensor::from({4, 9})), Tensor::from({2, 3})));
    CHECK(test::all_close(abs(Tensor::from({-2, 0, 3})), Tensor::from({2, 0, 3})));
    CHECK(test::all_close(log(exp(a)), a, 1e-5f));
    CHECK(test::all_close(pow(Tensor::from({2, 3}), Tensor::from({3, 2})), Tensor::from({8, 9})));
}

TEST_CASE("elementwise: broadcast [4, 1, 3] with [2, 3] gives [4, 2, 3]", "[ops]") {
    Tensor a = Tensor::ones({4, 1, 3}), b = Tensor::ones({2, 3});
    CHECK((a + b).shape() == Shape{4, 2, 3});
    CHECK((a * b).shape() == Shape{4, 2, 3});
}

TEST_CASE("elementwise: gradient of a broadcast input is summed back to its shape", "[ops][grad]") {
    Tensor a = Tensor::from({{1}, {2}}).requires_grad_();    // [2, 1]
    Tensor b = Tensor::from({1, 10, 100}).requires_grad_();  // [3]
    sum(a * b).backward();
    CHECK(test::all_close(a.grad(), Tensor::from({{111}, {111}})));
    CHECK(test::all_close(b.grad(), Tensor::from({3, 3, 3})));
}

TEST_CASE("elementwise: shapes that can't broadcast throw, naming the op and both shapes", "[ops][errors]") {
    Tensor a = Tensor::ones({4, 3}), b = Tensor::ones({2, 3});
    CHECK_THROWS_WITH(a + b, Catch::Contains("add") && Catch::Contains("[4, 3]") && Catch::Contains("[2, 3]"));
    CHECK_THROWS_WITH(a - b, Catch::Contains("sub: shapes [4, 3] and [2, 3]"));
    CHECK_THROWS_WITH(a * b, Catch::Contains("mul: shapes [4, 3] and [2, 3]"));
    CHECK_THROWS_WITH(a / b, Catch::Contains("div: shapes [4, 3] and [2, 3]"));
    CHECK_THROWS_WITH(pow(a, b), Catch::Contains("pow: shapes [4, 3] and [2, 3]"));
    CHECK_THROWS_AS(a + b, xg::Error);
}

TEST_CASE("pow: gradients at a = 0 are PyTorch's zeros, not NaN", "[ops][grad]") {
    Tensor a = Tensor::from({0, 2}).requires_grad_();
    sum(pow(a, 0.0f)).backward();
    CHECK(test::all_close(a.grad(), Tensor::from({0, 0})));  // PyTorch: 0 where the exponent is 0
    a.mutable_grad() = Tensor();
    Tensor b = Tensor::from({0, 3}).requires_grad_();
    sum(pow(a, b)).backward();
    CHECK(test::all_close(a.grad(), Tensor::from({0, 12})));                     // b·a^(b-1), 0 where b = 0
    CHECK(test::all_close(b.grad(), Tensor::from({0, 8.0f * std::log(2.0f)})));  // a^b·log a, 0 where a = 0
    Tensor c = Tensor::from({0, 0}).requires_grad_(), e = Tensor::from({2, 0.5}).requires_grad_();
    sum(pow(c, e)).backward();
    CHECK(test::all_close(c.grad(), Tensor::from({0, std::numeric_limits<float>::infinity()})));  // as PyTorch
    CHECK(test::all_close(e.grad(), Tensor::from({0, 0})));
}
