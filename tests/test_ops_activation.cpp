// Activations: forward values, gradients kept off kinks, and softmax stability for large logits.
#include "helpers.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

using namespace xg;
using xg::test::Domain;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases({
    {"relu: grad", {{3, 4}}, [](V x) { return relu(x[0]); }, Domain::off_zero},
    {"leaky_relu: grad, slope 0.1", {{3, 4}}, [](V x) { return leaky_relu(x[0], 0.1f); }, Domain::off_zero},
    {"sigmoid: grad", {{3, 4}}, [](V x) { return sigmoid(x[0]); }},
    {"tanh: grad", {{3, 4}}, [](V x) { return tanh(x[0]); }},
    {"gelu: grad, exact (erf)", {{3, 4}}, [](V x) { return gelu(x[0]); }},
    {"gelu: grad, tanh approximation", {{3, 4}}, [](V x) { return gelu(x[0], "tanh"); }},
    {"softmax: grad, dim 1", {{3, 4}}, [](V x) { return softmax(x[0], 1); }},
    {"softmax: grad, dim 0 of 3-D", {{3, 2, 4}}, [](V x) { return softmax(x[0], 0); }},
    {"log_softmax: grad, dim -1", {{3, 4}}, [](V x) { return log_softmax(x[0], -1); }},
    {"log_softmax: grad, dim 1 of 3-D", {{2, 3, 4}}, [](V x) { return log_softmax(x[0], 1); }},
});
}  // namespace

TEST_CASE("activations: hand-worked values", "[ops]") {
    Tensor x = Tensor::from({-2, -0.5, 0, 1.5});
    CHECK(test::all_close(relu(x), Tensor::from({0, 0, 0, 1.5})));
    CHECK(test::all_close(leaky_relu(x, 0.1f), Tensor::from({-0.2, -0.05, 0, 1.5})));
    CHECK(test::all_close(sigmoid(Tensor::from({0})), Tensor::from({0.5})));
    CHECK(test::all_close(tanh(x), Tensor::from({std::tanh(-2.0f), std::tanh(-0.5f), 0, std::tanh(1.5f)})));
    // PyTorch: F.gelu(torch.tensor([-2, -0.5, 0, 1.5])) and with approximate='tanh'
    CHECK(test::all_close(gelu(x), Tensor::from({-0.0455001f, -0.1542688f, 0, 1.3997891f}), 1e-5f));
    CHECK(test::all_close(gelu(x, "tanh"), Tensor::from({-0.0454023f, -0.1542860f, 0, 1.3995715f}), 1e-5f));
    CHECK(test::all_close(softmax(Tensor::from({{1, 1}, {0, std::log(3.0f)}}), 1),
                          Tensor::from({{0.5, 0.5}, {0.25, 0.75}})));
    CHECK_THROWS_WITH(gelu(x, "fast"), Catch::Contains("gelu: approximate"));
}

TEST_CASE("relu: gradient at exactly 0 is 0, as in PyTorch", "[ops][grad]") {
    Tensor x = Tensor::from({-1, 0, 2}).requires_grad_();
    sum(relu(x)).backward();
    CHECK(test::all_close(x.grad(), Tensor::from({0, 0, 1})));
}

TEST_CASE("log_softmax: logits around 1e3 give finite values and gradients", "[ops][stability]") {
    Tensor x = Tensor::from({{1000, 1001, 1002}, {-1000, 0, 1000}}).requires_grad_();
    Tensor y = log_softmax(x, 1);
    for (float v : y.data()) CHECK(std::isfinite(v));
    CHECK(y.data()(0, 2) == Approx(-0.4076059f));
    CHECK(y.data()(1, 2) == Approx(0.0f).margin(1e-6));
    sum(y * Tensor::from({{1, 0, 0}, {0, 1, 0}})).backward();
    for (float v : x.grad().data()) CHECK(std::isfinite(v));
    Tensor s = softmax(x.detach(), 1);
    for (float v : s.data()) CHECK(std::isfinite(v));
    CHECK(std::accumulate(s.data().begin(), s.data().end(), 0.0f) == Approx(2.0f));
}

TEST_CASE("softmax: a dim out of range throws", "[ops][errors]") {
    CHECK_THROWS_WITH(softmax(Tensor::ones({2, 3}), 2), Catch::Contains("softmax: dim 2") && Catch::Contains("[2, 3]"));
    CHECK_THROWS_WITH(log_softmax(Tensor::ones({2, 3}), -3), Catch::Contains("log_softmax: dim -3"));
}

TEST_CASE("tanh: the vectorised kernel gives xt::tanh's bits for every value and tensor size", "[ops][tanh]") {
    // A sweep over [-12, 12] (both branches of the algorithm, the switch at 0.625 and saturation),
    // tiny and huge magnitudes, infinities and zeros; then each size 0..9 for the scalar tail.
    std::vector<float> values;
    for (int i = -1'200'000; i <= 1'200'000; ++i) values.push_back(static_cast<float>(i) * 1e-5f);
    for (float v : {0.625f, std::nextafter(0.625f, 0.0f), 1e-30f, 1e-45f, 44.0f, 88.0f, 1e30f, 3e38f, -0.0f,
                    std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()})
        values.insert(values.end(), {v, -v});
    while (values.size() % 4) values.push_back(0.5f);
    for (std::size_t n : {values.size(), std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5},
                          std::size_t{6}, std::size_t{7}, std::size_t{9}}) {
        const Tensor a = Tensor::from_values({n}, values.data() + (n < 10 ? 1'200'005 : 0));
        const Array got = tanh(a).data();
        std::size_t differing = 0;
#if defined(__FMA__) || defined(__AVX__)
        // -march=native (XGRAD_NATIVE): xsimd's tanh then fuses its multiply-adds and xtensor's
        // scalar tail is 8 wide, so its bits are not the kernel's; both stay within 2 ulp of std::tanh.
        auto ordered = [](float v) {  // floats in order as integers, so a difference counts ulps
            const auto b = static_cast<std::int64_t>(std::bit_cast<std::int32_t>(v));
            return b < 0 ? std::int64_t{INT32_MIN} - b : b;
        };
        for (std::size_t i = 0; i < n; ++i)
            differing += std::abs(ordered(got(i)) - ordered(std::tanh(a.data()(i)))) > 2;
#else
        const Array expected = xt::tanh(a.data());
        for (std::size_t i = 0; i < n; ++i)
            differing += std::bit_cast<std::uint32_t>(got(i)) != std::bit_cast<std::uint32_t>(expected(i));
#endif
        CHECK(differing == 0);
    }
    CHECK(std::isnan(tanh(Tensor::full({8}, std::nanf(""))).data()(5)));  // NaN stays NaN
}
