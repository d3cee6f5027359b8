// layer_norm (core/ops_layer_norm.cpp) and nn::LayerNorm: gradients, PyTorch's numbers and state
// dict, first-order only, errors.
#include "seq_reference.hpp"

#include <cmath>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases(
    {
        {"layer_norm: grad, [3, 4] over [4] with weight and bias",
         {{3, 4}, {4}, {4}},
         [](V x) { return layer_norm(x[0], {4}, x[1], x[2]); }},
        {"layer_norm: grad, [2, 3, 4] over [3, 4] with weight and bias",
         {{2, 3, 4}, {3, 4}, {3, 4}},
         [](V x) {
             return layer_norm(x[0], {3, 4}, x[1], x[2]);
         }},
        {"layer_norm: grad, [2, 5] without affine, eps 0.1",
         {{2, 5}},
         [](V x) { return nn::functional::layer_norm(x[0], {5}, Tensor(), Tensor(), 0.1f); }},
    },
    test::Order::first);
}  // namespace

TEST_CASE("LayerNorm: a PyTorch state dict loads and gives PyTorch's output and gradients", "[seq]") {
    const std::string name = "LayerNorm([3, 4])";
    nn::LayerNorm ln(Shape{3, 4});
    nn::load(ln, test::source_path("tests/reference/torch_layer_norm.safetensors"));
    const std::vector<Tensor> x = test::seq_inputs(name, {{2, 3, 3, 4}});
    test::check_layer(name, ln, ln(x[0] * 3.0f + 1.0f), x);
}

TEST_CASE("LayerNorm: each slice comes out with mean 0 and variance 1; init, names, repr", "[seq]") {
    nn::LayerNorm ln(5);
    CHECK(ln.named_parameters().size() == 2);
    CHECK(ln.named_parameters()[0].first == "weight");
    CHECK(test::all_close(ln.weight, Tensor::ones({5})));
    CHECK(test::all_close(ln.bias, Tensor::zeros({5})));
    const Tensor y = ln(Tensor::from({{1, 2, 3, 4, 100}, {-5, -5, -5, -5, -4}}));
    for (std::int64_t r = 0; r < 2; ++r) {
        const Tensor row = y.select(0, r);
        CHECK(row.mean().item() == Approx(0.0f).margin(1e-5));
        CHECK((row * row).mean().item() == Approx(1.0f).epsilon(1e-3));
    }
    // A constant slice normalises to 0 (variance 0, only eps under the root), not NaN.
    CHECK(test::all_close(ln(Tensor::full({1, 5}, 3.0f)), Tensor::zeros({1, 5})));
    CHECK(ln.short_repr() == "LayerNorm((5,), eps=1e-05, elementwise_affine=true)");
    const nn::LayerNorm plain(Shape{2, 3}, {.eps = 1e-3f, .elementwise_affine = false});
    CHECK(plain.named_parameters().empty());
    CHECK(plain.short_repr() == "LayerNorm((2, 3), eps=0.001, elementwise_affine=false)");
    // NaN in a slice makes that slice NaN, and only that one.
    const Tensor n = ln(Tensor::from({{1, NAN, 3, 4, 5}, {1, 2, 3, 4, 5}}));
    CHECK(std::isnan(n.data()(0, 0)));
    CHECK(std::isfinite(n.data()(1, 0)));
}

TEST_CASE("layer_norm: first-order; a second derivative throws naming the op", "[seq]") {
    Tensor x = Tensor::from({{0.1f, -0.4f, 0.3f}}).requires_grad_();
    Tensor y = sum(pow(layer_norm(x, {3}), 3.0f));
    Tensor g = autograd::grad({y}, {x}, {.create_graph = true})[0];
    CHECK_THROWS_WITH(sum(g * g).backward(), Catch::Contains("layer_norm: its backward is a fused first-order kernel"));
}

TEST_CASE("LayerNorm and layer_norm: shape errors name the layer and the shapes", "[seq]") {
    nn::LayerNorm ln(Shape{3, 4});
    CHECK_THROWS_WITH(ln(Tensor::zeros({2, 4, 3})),
                      Catch::Contains("LayerNorm((3, 4), eps=1e-05, elementwise_affine=true): input [2, 4, 3] doesn't "
                                      "end with normalized_shape [3, 4]"));
    CHECK_THROWS_WITH(layer_norm(Tensor::zeros({2, 4}), {4}, Tensor::ones({3})),
                      Catch::Contains("layer_norm: weight [3] doesn't match normalized_shape [4]"));
    CHECK_THROWS_WITH(layer_norm(Tensor::zeros({4}), {2, 4}),
                      Catch::Contains("layer_norm: input [4] doesn't end with"));
    CHECK_THROWS_WITH(nn::LayerNorm(Shape{}), Catch::Contains("LayerNorm: normalized_shape must have at least 1 dim"));
}
