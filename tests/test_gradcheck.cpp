// gradcheck and gradgradcheck themselves: they pass right gradients, catch wrong ones and name
// the input; layer stacks built from higher-order ops pass gradgradcheck.
#include "helpers.hpp"

using namespace xg;

TEST_CASE("gradcheck: passes a right gradient and reports a wrong one", "[autograd][grad]") {
    Tensor x = Tensor::from({0.5, -1.5, 2}).requires_grad_();
    CHECK(autograd::gradcheck([](const std::vector<Tensor>& v) { return v[0] * v[0]; }, {x}));
    // An op whose backward is off by a factor of 2: gradcheck must catch it and name the input.
    auto wrong_square = [](const std::vector<Tensor>& v) {
        const Tensor& a = v[0];
        Tensor out(Array(a.data() * a.data()));
        autograd::record("wrong_square", out, {a}, [a](Tensor g) {
            return autograd::Tensors{g * a};  // should be 2 * a
        });
        return out;
    };
    CHECK_THROWS_WITH(autograd::gradcheck(wrong_square, {x}),
                      Catch::Contains("gradcheck: input 0 [3]") && Catch::Contains("analytic"));
    CHECK_FALSE(x.grad().defined());  // gradcheck leaves the inputs' grads clear
}

TEST_CASE("gradgradcheck: passes right second derivatives and reports a wrong one", "[autograd][grad]") {
    Tensor x = Tensor::from({0.5, -1.5, 2}).requires_grad_();
    CHECK(autograd::gradgradcheck([](const std::vector<Tensor>& v) { return v[0] * v[0] * v[0]; }, {x}));
    // First derivative right (2a·g), second wrong: its backward claims d/da (2a·g) = 4g, not 2g.
    auto wrong_second = [](const std::vector<Tensor>& v) {
        const Tensor& a = v[0];
        Tensor out(Array(a.data() * a.data()));
        autograd::record("square", out, {a}, [a](Tensor g) {
            Tensor d(Array(2.0f * a.data() * g.data()));
            autograd::record("square_backward", d, {a, g}, [a, g](Tensor gg) {
                return autograd::Tensors{gg * g * 4.0f, gg * a * 2.0f};
            });
            return autograd::Tensors{d};
        });
        return out;
    };
    CHECK_NOTHROW(autograd::gradcheck(wrong_second, {x}));
    CHECK_THROWS_WITH(autograd::gradgradcheck(wrong_second, {x}),
                      Catch::Contains("gradgradcheck (second order)") && Catch::Contains("input 0 [3]"));
    CHECK_FALSE(x.grad().defined());
}

namespace {
using V = const std::vector<Tensor>&;
// Layers built from higher-order ops have second derivatives too (the PINN's network, say).
const bool registered_layers = test::register_grad_cases(
    {
        {"Sequential: second order through Linear, Tanh, Linear, GELU, Linear",
         {{5, 3}},
         [](V x) {
             manual_seed(11);
             auto model = nn::Sequential(nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 4), nn::GELU(), nn::Linear(4, 2));
             return model(x[0]);
         }},
        {"mse_loss of a Sigmoid MLP: second order",
         {{4, 3}, {4, 1}},
         [](V x) {
             manual_seed(12);
             auto model = nn::Sequential(nn::Linear(3, 5), nn::Sigmoid(), nn::Linear(5, 1));
             return nn::functional::mse_loss(model(x[0]), x[1]);
         }},
    },
    test::Order::second);
}  // namespace
