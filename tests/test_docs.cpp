// The code that docs/ shows, compiled and run. A code block in docs/ marked <!-- tests/test_docs.cpp -->
// appears here line for line (the CTest check "docs: code blocks marked with a file are in that
// file" compares them), so edit the page and this file together.
#include "docs_text.hpp"
#include "helpers.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/ops_util.hpp"

using namespace xg;
using xg::test::Domain;

// ---- docs/2-backward-pass.md: checking a gradient yourself ----

TEST_CASE("docs/2: gradcheck and gradgradcheck as the page calls them", "[docs][grad]") {
    manual_seed(0);
    Tensor w = Tensor::randn({3, 2}, /*requires_grad=*/true);
    autograd::gradcheck([](const std::vector<Tensor>& v) { return tanh(matmul(v[0], v[0].t())); }, {w});
    autograd::gradgradcheck([](const std::vector<Tensor>& v) { return tanh(matmul(v[0], v[0].t())); }, {w});
    // and a wrong gradient is reported, naming the input and the element
    auto wrong = [](const std::vector<Tensor>& v) {
        Tensor out(Array(v[0].data() * 2.0f));
        autograd::record("double", out, {v[0]}, [](Tensor g) { return autograd::Tensors{g * 3.0f}; });
        return out;
    };
    CHECK_THROWS_WITH(autograd::gradcheck(wrong, {w}), Catch::Contains("gradcheck: input 0 [3, 2] at index ["));
}

// ---- docs/4-adding-an-op.md: softplus, the page's example op ----
// Kept here, not in core: the page shows how an op is written, and this is that op compiled,
// checked to second order and against PyTorch (its row is in tests/reference/make_op_reference.py).

namespace xg::docs {
using namespace xg::detail;

// log(1 + e^a), computed as max(a, 0) + log1p(e^-|a|) so that a large |a| doesn't overflow.
// d/da = g * sigmoid(a), written with tensor ops, so softplus has gradients of any order.
Tensor softplus(const Tensor& a) {
    const Array& x = a.data();
    Tensor out(Array(xt::maximum(x, 0.0f) + xt::log1p(xt::exp(-xt::abs(x)))));
    record("softplus", out, {a}, [a](Tensor g) { return Tensors{g * sigmoid(a)}; });
    return out;
}

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases({
    {"softplus: grad", {{3, 4}}, [](V x) { return softplus(x[0]); }},
});
}  // namespace
}  // namespace xg::docs

TEST_CASE("docs/4: softplus, hand-worked values and large inputs", "[docs][ops]") {
    Tensor x = Tensor::from({-100, 0, 100}).requires_grad_();
    Tensor y = docs::softplus(x);
    CHECK(test::all_close(y, Tensor::from({0, std::log(2.0f), 100})));  // no overflow at ±100
    sum(y).backward();
    CHECK(test::all_close(x.grad(), Tensor::from({0, 0.5, 1})));  // sigmoid(x)
}

// ---- docs/5-adding-a-module.md: Net and Scale ----

namespace {
// fc1 -> relu -> fc2
struct Net : nn::Module {
    nn::Linear fc1{784, 128}, fc2{128, 10};
    Net() {
        register_module("fc1", fc1);  // names and order as in PyTorch
        register_module("fc2", fc2);
    }
    Tensor forward(const Tensor& x) override { return fc2(relu(fc1(x))); }
};

struct Scale : nn::Module {
    Tensor gain;
    explicit Scale(std::size_t n) { gain = register_parameter("weight", Tensor::ones({n})); }
    Tensor forward(const Tensor& x) override { return x * gain; }
    std::string extra_repr() const override { return std::to_string(gain.numel()); }
};
}  // namespace

TEST_CASE("docs/5: Net registers its children under PyTorch's names", "[docs][nn]") {
    Net net;
    std::vector<std::string> names;
    for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
    CHECK(names == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
    CHECK(net.fc1.weight.impl() == net.named_parameters()[0].second.impl());  // one module, two handles
    CHECK(net(Tensor::zeros({2, 784})).shape() == Shape{2, 10});
}

TEST_CASE("docs/5: Scale has one parameter named weight and prints as Scale(16)", "[docs][nn]") {
    Scale scale(16);
    REQUIRE(scale.named_parameters().size() == 1);
    CHECK(scale.named_parameters()[0].first == "weight");
    CHECK(scale.name() == "Scale");
    std::ostringstream s;
    s << scale;
    CHECK(s.str() == "Scale(16)");
    CHECK(scale.output_shape({4, 16}) == Shape{4, 16});  // the default runs forward on zeros
}

// ---- docs/6-gradients-of-gradients.md ----

// The page's picture: y = tanh(w·x), its derivative g = dy/dx recorded with create_graph, and
// g's tape. With XGRAD_DOCS_IMAGES set, writes tanh_grad_tape.dot there (scripts/render-docs.sh).
TEST_CASE("docs/6: the tape of dy/dx for y = tanh(w·x)", "[docs][grad2]") {
    Tensor x = Tensor::full({}, 0.5f, /*requires_grad=*/true);
    Tensor w = Tensor::full({}, 2.0f, /*requires_grad=*/true);
    Tensor y = tanh(w * x);
    Tensor g = autograd::grad({y}, {x}, {.create_graph = true})[0];  // dy/dx = w·(1 - y²), recorded

    const autograd::TensorNames names{{"x", x}, {"w", w}};
    CHECK(autograd::tape_str(g, names) == test::page_text(R"(
tape behind a tensor of shape []: 4 ops, in the order they ran (backward replays them bottom to top)
  #1 mul                 w [], x [] -> []
  #2 tanh                #1 [] -> []
  #3 tanh_backward       input [], #2 [] -> []
  #4 mul                 #3 [], w [] -> []
)"));
    if (const char* dir = std::getenv("XGRAD_DOCS_IMAGES")) {
        std::ofstream(std::string(dir) + "/tanh_grad_tape.dot") << autograd::to_dot(g, names);
    }

    Tensor h = autograd::grad({g}, {x})[0];  // d²y/dx² = -2w²·y·(1 - y²), through g's tape
    const float t = std::tanh(1.0f);
    CHECK(y.item() == Approx(t));
    CHECK(g.item() == Approx(2.0f * (1.0f - t * t)));
    CHECK(h.item() == Approx(-2.0f * 4.0f * t * (1.0f - t * t)));
}

TEST_CASE("docs/6: hvp as the page calls it", "[docs][grad2]") {
    // f(x) = Σ x³ has the Hessian diag(6x): H·v without forming H.
    auto [fx, hv] = autograd::functional::hvp([](const std::vector<Tensor>& v) { return sum(pow(v[0], 3.0f)); },
                                              {Tensor::from({1, 2})}, {Tensor::from({1, -1})});
    // fx = 9, hv[0] = 6x·v = [6, -12]
    CHECK(fx.item() == Approx(9.0f));
    CHECK(test::all_close(hv[0], Tensor::from({6, -12})));
}

TEST_CASE("docs/6: a gradient penalty through cross_entropy names the first-order kernel", "[docs][grad2][errors]") {
    manual_seed(0);
    nn::Linear model(4, 3);
    Tensor x = Tensor::randn({5, 4}).requires_grad_(), y = Tensor::from({0, 2, 1, 1, 0});
    Tensor loss = nn::functional::cross_entropy(model(x), y);
    Tensor gx = autograd::grad({loss}, {x}, {.create_graph = true})[0];
    Tensor penalty = sum(gx * gx);
    std::string message = "(no exception)";
    try {
        penalty.backward();
    } catch (const Error& e) {
        message = std::string(e.what()) + "\n";  // the page shows it as a line
    }
    CHECK(message == test::page_text(R"(
cross_entropy: its backward is a fused first-order kernel, so a gradient computed through it with create_graph can't be differentiated again (second-order gradients are not supported through 'cross_entropy')
)"));
    // log_softmax + nll_loss compute the same loss with ops differentiable to any order.
    Tensor loss2 = nn::functional::nll_loss(log_softmax(model(x), 1), y);
    CHECK(loss2.item() == Approx(loss.item()));
    Tensor gx2 = autograd::grad({loss2}, {x}, {.create_graph = true})[0];
    sum(gx2 * gx2).backward();
    CHECK(model.weight.grad().defined());
}

// The PINN of examples/pinn.cpp, shrunk: what the page says about its tapes.
TEST_CASE("docs/6: the PINN's loss backpropagates through three layers of tape", "[docs][grad2]") {
    manual_seed(0);
    auto model = nn::Sequential(nn::Linear(1, 4), nn::Tanh(), nn::Linear(4, 1));
    Tensor x = Tensor::from({{0.25}, {0.75}}).requires_grad_();
    Tensor u = model(x);
    Tensor du = autograd::grad({u.sum()}, {x}, {.create_graph = true})[0];
    Tensor d2u = autograd::grad({du.sum()}, {x}, {.create_graph = true})[0];
    const auto ops = [](const Tensor& t) { return autograd::graph_nodes(t, "test").size(); };
    // u's forward tape; du's adds the recorded first backward pass; d2u's the second.
    CHECK(ops(u) == 3);
    CHECK(ops(du) == 5);  // + g·W₂, tanh_backward, ·W₁
    CHECK(ops(d2u) == 9);
    autograd::TensorNames names = model.named_parameters();
    names.emplace_back("x", x);
    CHECK(autograd::tape_str(d2u, names) == test::page_text(R"(
tape behind a tensor of shape [2, 1]: 9 ops, in the order they ran (backward replays them bottom to top)
  #1 linear              x [2, 1], 0.weight [4, 1], 0.bias [4] -> [2, 4]
  #2 tanh                #1 [2, 4] -> [2, 4]
  #3 matmul              input [2, 1], 2.weight [1, 4] -> [2, 4]
  #4 matmul              input [2, 1], 0.weight [4, 1] -> [2, 4]
  #5 mul                 #4 [2, 4], #3 [2, 4] -> [2, 4]
  #6 mul                 #5 [2, 4], #2 [2, 4] -> [2, 4]
  #7 mul                 #6 [2, 4] -> [2, 4]
  #8 tanh_backward       #7 [2, 4], #2 [2, 4] -> [2, 4]
  #9 matmul              #8 [2, 4], 0.weight [4, 1] -> [2, 1]
)"));
    // u'' for a 1-4-1 tanh net by hand: Σ_j v_j·w_j²·tanh''(w_j·x + b_j), tanh'' = -2t(1 - t²).
    const Array W = model.at<nn::Linear>(0).weight.data(), b = model.at<nn::Linear>(0).bias.data();
    const Array V = model.at<nn::Linear>(2).weight.data();
    for (std::size_t i = 0; i < 2; ++i) {
        double expect = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const double t = std::tanh(W(j, 0) * x.data()(i, 0) + b(j));
            expect += V(0, j) * W(j, 0) * W(j, 0) * -2.0 * t * (1.0 - t * t);
        }
        CHECK(d2u.data()(i, 0) == Approx(expect).margin(1e-6));
    }
    // As the PINN's loss: the residual's tape reaches every weight but the last bias, which u''
    // doesn't depend on; the boundary term reaches that one.
    Tensor loss = (d2u * d2u).mean() + pow(model(Tensor::from({{0}, {1}})), 2.0f).mean();
    loss.backward();
    for (const Tensor& p : model.parameters()) CHECK(p.grad().defined());
}
