// Losses against PyTorch's values and gradients (tests/reference), gradcheck, stability, errors.
#include "helpers.hpp"

#include <cmath>

using namespace xg;
using nn::Reduction;
using xg::test::Domain;

namespace {
using V = const std::vector<Tensor>&;
namespace F = nn::functional;

Tensor x() { return Tensor::from({{0.2, -1.3, 0.7}, {1.1, 0.05, -0.4}}); }
Tensor t() { return Tensor::from({{0.0, -1.0, 1.5}, {1.0, 0.5, -0.4}}); }
Tensor p() { return Tensor::from({{0.1, 0.9, 0.5}, {0.999, 0.3, 0.0}}); }
Tensor pt() { return Tensor::from({{0.0, 1.0, 1.0}, {1.0, 0.2, 0.0}}); }
Tensor logits() { return Tensor::from({{1.0, -2.0, 0.5, 3.0}, {0.1, 0.2, 0.3, 0.4}, {-1.0, 2.0, 0.0, 1.0}}); }
Tensor classes() { return Tensor::from({3, 0, 1}); }
Tensor big() { return Tensor::from({{1e4, -1e4, 0.0, 5e3}}); }

using LossFn = std::function<Tensor(const Tensor&, Reduction)>;
struct LossCase {
    std::string name;
    LossFn fn;
    Tensor input;
};

std::vector<LossCase> loss_cases() {
    return {
        {"mse", [](const Tensor& a, Reduction r) { return F::mse_loss(a, t(), r); }, x()},
        {"l1", [](const Tensor& a, Reduction r) { return F::l1_loss(a, t(), r); }, x()},
        {"bce", [](const Tensor& a, Reduction r) { return F::binary_cross_entropy(a, pt(), r); }, p()},
        {"bce_logits", [](const Tensor& a, Reduction r) { return F::binary_cross_entropy_with_logits(a, pt(), r); },
         x() * 3.0f},
        {"bce_logits_large",
         [](const Tensor& a, Reduction r) {
             return F::binary_cross_entropy_with_logits(a, Tensor::from({{1, 0, 1, 0}}), r);
         },
         big()},
        {"cross_entropy", [](const Tensor& a, Reduction r) { return F::cross_entropy(a, classes(), r); }, logits()},
        {"cross_entropy_large", [](const Tensor& a, Reduction r) { return F::cross_entropy(a, Tensor::from({1}), r); },
         big()},
        {"nll", [](const Tensor& a, Reduction r) { return F::nll_loss(a, classes(), r); }, log_softmax(logits(), 1)},
        {"cross_entropy_ignore",
         [](const Tensor& a, Reduction r) {
             return F::cross_entropy(a, Tensor::from({3, -100, 1}), r);
         },
         logits()},
    };
}

void check_against(const Tensor& got, const std::string& name) {
    std::vector<float> want = test::reference(name);
    INFO(name);
    REQUIRE(got.numel() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        CHECK(got.data().data()[i] == Approx(want[i]).epsilon(1e-5).margin(1e-6));
}

const bool registered = test::register_op_cases({
    {"mse_loss: grad for input and target", {{2, 3}, {2, 3}}, [](V v) { return F::mse_loss(v[0], v[1]); }},
    {"l1_loss: grad, sum", {{2, 3}, {2, 3}}, [](V v) { return F::l1_loss(v[0], v[1] + 3.0f, Reduction::sum); }},
    {"binary_cross_entropy_with_logits: grad for input and target",
     {{2, 3}, {2, 3}},
     [](V v) { return F::binary_cross_entropy_with_logits(v[0] * 3.0f, sigmoid(v[1])); }},
    {"nll_loss: grad, sum", {{3, 4}}, [](V v) { return F::nll_loss(v[0], classes(), Reduction::sum); }},
    {"nll_loss: grad, none", {{3, 4}}, [](V v) { return F::nll_loss(v[0], classes(), Reduction::none); }},
});
// Fused kernels: first-order only.
const bool registered_first_order = test::register_op_cases(
    {
        {"binary_cross_entropy: grad for input and target",
         {{2, 3}, {2, 3}},
         [](V v) { return F::binary_cross_entropy(sigmoid(v[0]), sigmoid(v[1]), Reduction::none); }},
        {"cross_entropy: grad, mean", {{3, 4}}, [](V v) { return F::cross_entropy(v[0], classes()); }},
        {"cross_entropy: grad, none", {{3, 4}}, [](V v) { return F::cross_entropy(v[0], classes(), Reduction::none); }},
    },
    test::Order::first);
}  // namespace

TEST_CASE("losses: values and gradients match PyTorch for mean, sum and none", "[nn][loss]") {
    for (const LossCase& c : loss_cases()) {
        check_against(c.fn(c.input, Reduction::mean), "loss/" + c.name + "/mean");
        check_against(c.fn(c.input, Reduction::sum), "loss/" + c.name + "/sum");
        check_against(c.fn(c.input, Reduction::none), "loss/" + c.name + "/none");
        Tensor a = c.input.detach().requires_grad_();
        c.fn(a, Reduction::mean).backward();
        check_against(a.grad(), "loss/" + c.name + "/grad");
    }
}

TEST_CASE("losses: modules equal their functions", "[nn][loss]") {
    CHECK(nn::MSELoss()(x(), t()).item() == F::mse_loss(x(), t()).item());
    CHECK(nn::L1Loss(Reduction::sum)(x(), t()).item() == F::l1_loss(x(), t(), Reduction::sum).item());
    CHECK(nn::BCELoss()(p(), pt()).item() == F::binary_cross_entropy(p(), pt()).item());
    CHECK(nn::BCEWithLogitsLoss()(x(), pt()).item() == F::binary_cross_entropy_with_logits(x(), pt()).item());
    CHECK(nn::CrossEntropyLoss()(logits(), classes()).item() == F::cross_entropy(logits(), classes()).item());
    CHECK(nn::NLLLoss()(logits(), classes()).item() == F::nll_loss(logits(), classes()).item());
    CHECK_THROWS_WITH(nn::MSELoss().forward(x()), Catch::Contains("MSELoss: a loss takes (input, target)"));
}

TEST_CASE("losses: logits of 1e4 stay finite", "[nn][loss][stability]") {
    Tensor a = Tensor::from({{1e4, -1e4, 3.0}, {-1e4, 1e4, 0.0}}).requires_grad_();
    Tensor ce = F::cross_entropy(a, Tensor::from({0, 0}));
    CHECK(std::isfinite(ce.item()));
    ce.backward();
    for (float v : a.grad().data()) CHECK(std::isfinite(v));
    Tensor b = Tensor::from({1e4, -1e4, 1e4, -1e4}).requires_grad_();
    Tensor bce = F::binary_cross_entropy_with_logits(b, Tensor::from({1, 0, 0, 1}));
    CHECK(bce.item() == Approx(1e4 / 2));
    bce.backward();
    for (float v : b.grad().data()) CHECK(std::isfinite(v));
    // BCE on probabilities clamps each log at -100, as PyTorch.
    CHECK(F::binary_cross_entropy(Tensor::from({0.0}), Tensor::from({1.0})).item() == Approx(100.0f));
}

TEST_CASE("losses: bad targets and shapes are clear errors", "[nn][loss][errors]") {
    CHECK_THROWS_WITH(F::cross_entropy(logits(), Tensor::from({3, 4, 0})), Catch::Contains("cross_entropy: target 4") &&
                                                                               Catch::Contains("position 1") &&
                                                                               Catch::Contains("[0, 4)"));
    CHECK_THROWS_WITH(F::cross_entropy(logits(), Tensor::from({0.5, 1, 0})), Catch::Contains("not a class index"));
    CHECK_THROWS_WITH(F::nll_loss(logits(), Tensor::from({1, 2})),
                      Catch::Contains("nll_loss: expects input [N, C] and target [N]") && Catch::Contains("[3, 4]") &&
                          Catch::Contains("[2]"));
    CHECK_THROWS_WITH(F::mse_loss(x(), Tensor::ones({3, 2})),
                      Catch::Contains("mse_loss: input [2, 3] and target [3, 2] must have the same shape"));
    CHECK_THROWS_WITH(F::binary_cross_entropy(Tensor::from({1.5}), Tensor::from({1.0})),
                      Catch::Contains("binary_cross_entropy: every input must be a probability"));
}
