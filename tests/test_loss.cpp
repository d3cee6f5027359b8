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
                      Catch::Contains("nll_loss: expects input [N, C] with target [N]") &&
                          Catch::Contains("got input [3, 4] and target [2]"));
    CHECK_THROWS_WITH(F::mse_loss(x(), Tensor::ones({3, 2})),
                      Catch::Contains("mse_loss: input [2, 3] and target [3, 2] must have the same shape"));
    CHECK_THROWS_WITH(F::binary_cross_entropy(Tensor::from({1.5}), Tensor::from({1.0})),
                      Catch::Contains("binary_cross_entropy: every input must be a probability"));
}

TEST_CASE("losses: a bad class-index target names the op the value and the shapes", "[nn][loss][errors]") {
    const auto bad_target = [](float v) { return Tensor::from({3.0f, v, 0.0f}); };
    for (float v : {4.0f, -1.0f, 0.5f, std::nanf(""), 1e30f, -1e30f, INFINITY}) {
        INFO(v);
        CHECK_THROWS_WITH(F::cross_entropy(logits(), bad_target(v)),
                          Catch::Contains("cross_entropy: target ") && Catch::Contains("at position 1") &&
                              Catch::Contains("[0, 4)") && Catch::Contains("input [3, 4] and target [3]"));
        CHECK_THROWS_WITH(F::nll_loss(logits(), bad_target(v), {.weight = Tensor::ones({4})}),
                          Catch::Contains("nll_loss: target "));
    }
    // -100 is only special while it is the ignore_index.
    CHECK_THROWS_WITH(F::cross_entropy(logits(), Tensor::from({-100, 0, 1}), {.ignore_index = 2}),
                      Catch::Contains("target -100 at position 0") && Catch::Contains("ignore_index (2)"));
    CHECK_NOTHROW(F::cross_entropy(logits(), Tensor::from({-1, 0, 1}), {.ignore_index = -1}));
    // Shapes: [N, C, d] needs [N, d]; [C] needs a 0-d target; a 0-d input has no class dim.
    CHECK_THROWS_WITH(F::cross_entropy(Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 3})),
                      Catch::Contains("cross_entropy: expects") &&
                          Catch::Contains("[N, C, d1, ...] with target [N, d1, ...]") &&
                          Catch::Contains("got input [2, 3, 4] and target [2, 3]"));
    CHECK_THROWS_WITH(F::cross_entropy(Tensor::zeros({4}), Tensor::zeros({1})),
                      Catch::Contains("got input [4] and target [1]"));
    CHECK_THROWS_WITH(F::cross_entropy(Tensor::zeros({2, 4}), Tensor::zeros({})),
                      Catch::Contains("got input [2, 4] and target []"));
    CHECK_THROWS_WITH(F::nll_loss(Tensor::zeros({}), Tensor::zeros({})), Catch::Contains("got input [] and target []"));
    // A target of the input's shape holds class probabilities, where ignore_index has no meaning.
    CHECK_THROWS_WITH(
        F::cross_entropy(logits(), Tensor::zeros({3, 4}), {.ignore_index = 0}),
        Catch::Contains("cross_entropy: ignore_index (0) is not supported for class-probability targets") &&
            Catch::Contains("[3, 4]"));
    CHECK_THROWS_WITH(F::nll_loss(logits(), Tensor::zeros({3, 4})),
                      Catch::Contains("got input [3, 4] and target [3, 4]"));
    CHECK_THROWS_WITH(F::cross_entropy(logits(), Tensor::zeros({3, 4}), {.weight = Tensor::ones({3})}),
                      Catch::Contains("cross_entropy: weight [3] must hold one number per class"));
}

TEST_CASE("losses: bad options are clear errors", "[nn][loss][errors]") {
    CHECK_THROWS_WITH(
        F::cross_entropy(logits(), classes(), {.weight = Tensor::ones({3})}),
        Catch::Contains("cross_entropy: weight [3] must hold one number per class, [4] for input [3, 4]"));
    CHECK_THROWS_WITH(F::nll_loss(logits(), classes(), {.weight = Tensor::ones({2, 2})}),
                      Catch::Contains("nll_loss: weight [2, 2]"));
    // PyTorch refuses a weight that requires grad (the loss isn't differentiable in it); outside
    // grad mode nothing would be recorded, so it is fine.
    Tensor w = Tensor::ones({4}).requires_grad_();
    CHECK_THROWS_WITH(F::cross_entropy(logits(), classes(), {.weight = w}),
                      Catch::Contains("cross_entropy: weight requires grad") && Catch::Contains("weight.detach()"));
    {
        NoGradGuard no_grad;
        CHECK_NOTHROW(F::cross_entropy(logits(), classes(), {.weight = w}));
    }
    CHECK_THROWS_WITH(
        F::binary_cross_entropy_with_logits(x(), pt(), {.pos_weight = Tensor::ones({3}).requires_grad_()}),
        Catch::Contains("binary_cross_entropy_with_logits: pos_weight requires grad"));
    // label_smoothing in [0, 1] (PyTorch 1.13 lets a negative one through; it has no meaning).
    for (float ls : {1.5f, -0.1f, std::nanf("")}) {
        CHECK_THROWS_WITH(F::cross_entropy(logits(), classes(), {.label_smoothing = ls}),
                          Catch::Contains("cross_entropy: label_smoothing must be in [0, 1]"));
        CHECK_THROWS_WITH(nn::CrossEntropyLoss({.label_smoothing = ls}),
                          Catch::Contains("CrossEntropyLoss: label_smoothing must be in [0, 1]"));
    }
    // pos_weight and weight broadcast to the input's shape, and may not grow it.
    CHECK_THROWS_WITH(
        F::binary_cross_entropy_with_logits(x(), pt(), {.pos_weight = Tensor::ones({2})}),
        Catch::Contains("binary_cross_entropy_with_logits") && Catch::Contains("[2]") && Catch::Contains("[2, 3]"));
    CHECK_THROWS_WITH(F::binary_cross_entropy_with_logits(x(), pt(), {.weight = Tensor::ones({4, 2, 3})}),
                      Catch::Contains("binary_cross_entropy_with_logits: weight [4, 2, 3] doesn't broadcast to the "
                                      "input's shape [2, 3]"));
    CHECK_THROWS_WITH(F::binary_cross_entropy(p(), pt(), Reduction::mean, Tensor::ones({3, 1})),
                      Catch::Contains("binary_cross_entropy") && Catch::Contains("[3, 1]"));
    CHECK_THROWS_WITH(
        F::binary_cross_entropy_with_logits(x(), Tensor::ones({3})),
        Catch::Contains("binary_cross_entropy_with_logits: input [2, 3] and target [3] must have the same shape"));
    // Huber's delta > 0, smooth L1's beta >= 0, as PyTorch.
    for (float d : {0.0f, -1.0f, std::nanf("")}) {
        CHECK_THROWS_WITH(F::huber_loss(x(), t(), Reduction::mean, d),
                          Catch::Contains("huber_loss: delta must be positive"));
        CHECK_THROWS_WITH(nn::HuberLoss(Reduction::mean, d), Catch::Contains("HuberLoss: delta must be positive"));
    }
    CHECK_THROWS_WITH(F::smooth_l1_loss(x(), t(), Reduction::mean, -0.5f),
                      Catch::Contains("smooth_l1_loss: beta must not be negative, got -0.5"));
    CHECK_THROWS_WITH(nn::SmoothL1Loss(Reduction::sum, -1.0f),
                      Catch::Contains("SmoothL1Loss: beta must not be negative"));
    CHECK_THROWS_WITH(F::huber_loss(x(), Tensor::ones({3})),
                      Catch::Contains("huber_loss: input [2, 3] and target [3]"));
    CHECK_THROWS_WITH(F::smooth_l1_loss(x(), Tensor::ones({3}), Reduction::mean, 0.0f),
                      Catch::Contains("smooth_l1_loss: input [2, 3] and target [3]"));
}

TEST_CASE("losses: a mean over ignored targets only is nan with a zero gradient as in PyTorch", "[nn][loss]") {
    const Tensor ignored = Tensor::from({-100, -100, -100});
    for (float ls : {0.0f, 0.1f}) {
        Tensor a = logits().requires_grad_();
        Tensor loss = F::cross_entropy(a, ignored, {.label_smoothing = ls});
        CHECK(std::isnan(loss.item()));
        loss.backward();
        CHECK(test::all_close(a.grad(), Tensor::zeros({3, 4})));
        CHECK(F::cross_entropy(a, ignored, {.reduction = Reduction::sum, .label_smoothing = ls}).item() == 0.0f);
    }
    Tensor b = logits().requires_grad_();
    Tensor nll = F::nll_loss(b, ignored, {.weight = Tensor::ones({4})});
    CHECK(std::isnan(nll.item()));
    nll.backward();
    CHECK(test::all_close(b.grad(), Tensor::zeros({3, 4})));
}

// x = torch.randn(4, 3, requires_grad=True); t = torch.tensor([0, 0, -100, 0])
// F.cross_entropy(x, t, weight=torch.tensor([0., 2, 3]), label_smoothing=0.2) -> nan (the nll part
// is 0/0); x.grad is nan on the counted rows and 0 on the ignored one.
TEST_CASE("losses: a weighted mean whose targets all weigh 0 is nan even with label smoothing", "[nn][loss]") {
    Tensor a = Tensor::from({{0.1f, 0.2f, 0.3f}, {1.0f, -1.0f, 0.5f}, {0.0f, 0.0f, 0.0f}, {2.0f, 1.0f, 0.0f}});
    a.requires_grad_();
    Tensor loss = F::cross_entropy(a, Tensor::from({0, 0, -100, 0}),
                                   {.weight = Tensor::from({0, 2, 3}), .label_smoothing = 0.2f});
    CHECK(std::isnan(loss.item()));  // was +inf: the smoothing term divided by a total weight of 0
    loss.backward();
    for (std::size_t row : {0u, 1u, 3u}) CHECK_FALSE(std::isfinite(a.grad().data()(row, 0)));
    CHECK(a.grad().data()(2, 0) == 0.0f);
}

TEST_CASE("losses: NaN in the input is never hidden", "[nn][loss]") {
    const float nan = std::nanf("");
    Tensor a = Tensor::from({{nan, 1.0f, 0.0f}, {0.0f, 1.0f, 2.0f}}).requires_grad_();
    Tensor ce = F::cross_entropy(a, Tensor::from({1, 0}), {.weight = Tensor::from({1, 2, 3}), .label_smoothing = 0.1f});
    CHECK(std::isnan(ce.item()));
    Tensor h = Tensor::from({nan, 1.0f}).requires_grad_();
    Tensor hl = F::huber_loss(h, Tensor::zeros({2}), Reduction::none);
    CHECK(std::isnan(hl.data()(0)));
    CHECK(hl.data()(1) == 0.5f);
    sum(hl).backward();
    CHECK(std::isnan(h.grad().data()(0)));  // PyTorch's backward puts a NaN in the quadratic branch: NaN
    CHECK(std::isnan(F::smooth_l1_loss(h, Tensor::zeros({2}), Reduction::sum, 0.5f).item()));
    CHECK(std::isnan(F::binary_cross_entropy_with_logits(Tensor::from({nan}), Tensor::from({1.0f}),
                                                         {.pos_weight = Tensor::from({2.0f})})
                         .item()));
}

TEST_CASE("losses: options stay finite at logits of 1e4 and match PyTorch there", "[nn][loss][stability]") {
    // Numbers from PyTorch 1.13 (see the test body for the call).
    Tensor a = Tensor::from({{1e4, -1e4, 3.0}, {-1e4, 1e4, 0.0}}).requires_grad_();
    Tensor ce = F::cross_entropy(a, Tensor::from({0, 0}), {.weight = Tensor::from({1, 2, 3}), .label_smoothing = 0.1f});
    CHECK(ce.item() == Approx(10999.8496f));
    ce.backward();
    CHECK(test::all_close(a.grad(),
                          Tensor::from({{0.0833333f, -0.0333333f, -0.05f}, {-0.4666667f, 0.5166667f, -0.05f}})));
    Tensor b = Tensor::from({1e4, -1e4, 1e4, -1e4}).requires_grad_();
    Tensor bce = F::binary_cross_entropy_with_logits(
        b, Tensor::from({1, 0, 0, 1}), {.reduction = Reduction::none, .pos_weight = Tensor::full({4}, 2.0f)});
    CHECK(test::all_close(bce, Tensor::from({0, 0, 1e4, 2e4})));
    sum(bce).backward();
    CHECK(test::all_close(b.grad(), Tensor::from({0, 0, 1, -2})));
}

TEST_CASE("losses: modules with options equal their functions and hold weights as buffers", "[nn][loss]") {
    const Tensor w = Tensor::from({0.5, 2.0, 1.0, 1.5});
    const Tensor target = Tensor::from({3, -100, 2});
    nn::CrossEntropyLoss ce({.weight = w, .ignore_index = -100, .label_smoothing = 0.2f});
    CHECK(ce(logits(), target).item() ==
          F::cross_entropy(logits(), target, {.weight = w, .label_smoothing = 0.2f}).item());
    REQUIRE(ce.named_buffers().size() == 1);
    CHECK(ce.named_buffers()[0].first == "weight");
    CHECK(nn::CrossEntropyLoss().named_buffers().empty());
    nn::NLLLoss nll({.weight = w, .ignore_index = 2, .reduction = Reduction::sum});
    const Tensor target2 = Tensor::from({3, 1, 2});  // 2 ignored
    CHECK(nll(logits(), target2).item() ==
          F::nll_loss(logits(), target2, {.weight = w, .ignore_index = 2, .reduction = Reduction::sum}).item());
    CHECK(nll(logits(), target2).item() == Approx(-(1.5 * 3.0 + 2.0 * 0.2)));
    nn::BCEWithLogitsLoss bce({.weight = Tensor::from({{1.0}, {2.0}}), .pos_weight = Tensor::from({1, 2, 3})});
    CHECK(bce(x(), pt()).item() ==
          F::binary_cross_entropy_with_logits(
              x(), pt(), {.weight = Tensor::from({{1.0}, {2.0}}), .pos_weight = Tensor::from({1, 2, 3})})
              .item());
    REQUIRE(bce.named_buffers().size() == 2);
    CHECK(bce.named_buffers()[1].first == "pos_weight");
    CHECK(nn::BCELoss(Tensor::from({1, 2, 3}))(p(), pt()).item() ==
          F::binary_cross_entropy(p(), pt(), Reduction::mean, Tensor::from({1, 2, 3})).item());
    CHECK(nn::HuberLoss(Reduction::sum, 0.5f)(x(), t()).item() == F::huber_loss(x(), t(), Reduction::sum, 0.5f).item());
    CHECK(nn::SmoothL1Loss(Reduction::mean, 0.0f)(x(), t()).item() == F::l1_loss(x(), t()).item());
    std::ostringstream os;
    os << nn::HuberLoss(Reduction::sum, 2.0f) << " " << nn::SmoothL1Loss() << " "
       << nn::CrossEntropyLoss({.ignore_index = 0, .label_smoothing = 0.1f});
    CHECK(os.str() ==
          "HuberLoss(reduction='sum', delta=2) SmoothL1Loss() CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)");
}

TEST_CASE("losses: label smoothing is cross_entropy against the smoothed target distribution", "[nn][loss]") {
    // An independent check of the formula: without weight, ε = 0.3 is -Σ_k q_k·log_softmax_k with
    // q = (1 - ε)·onehot + ε/C, averaged over the samples.
    Tensor q = Tensor::from({{0.075, 0.075, 0.075, 0.775}, {0.775, 0.075, 0.075, 0.075}, {0.075, 0.775, 0.075, 0.075}});
    const float want = mean(-sum(q * log_softmax(logits(), 1), 1)).item();
    CHECK(F::cross_entropy(logits(), classes(), {.label_smoothing = 0.3f}).item() == Approx(want).epsilon(1e-6));
}
