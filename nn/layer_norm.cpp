// LayerNorm: parameters, the shape check naming the layer, repr; the rest is core's layer_norm.
#include "nn/layer_norm.hpp"

#include "core/format.hpp"
#include "core/ops.hpp"
#include "nn/functional.hpp"

namespace xg::nn {

LayerNorm::LayerNorm(Shape shape, LayerNormOptions options)
    : normalized_shape(std::move(shape)), eps(options.eps), elementwise_affine(options.elementwise_affine) {
    if (normalized_shape.empty()) throw Error("LayerNorm: normalized_shape must have at least 1 dim");
    for (std::size_t n : normalized_shape) {
        if (n == 0) throw Error("LayerNorm: normalized_shape " + shape_str(normalized_shape) + " has a zero size");
    }
    if (elementwise_affine) {
        weight = register_parameter("weight", Tensor::ones(normalized_shape));
        bias = register_parameter("bias", Tensor::zeros(normalized_shape));
    }
}

Shape LayerNorm::output_shape(const Shape& in) {
    return layer_norm_shape(in, normalized_shape, weight, bias, "LayerNorm(" + extra_repr() + ")");
}

Tensor LayerNorm::forward(const Tensor& x) {
    output_shape(x.shape());  // so that a mismatch names the layer, not only the op
    return layer_norm(x, normalized_shape, weight, bias, eps);
}

// As PyTorch's "(4,), eps=1e-05, elementwise_affine=True", with xgrad's spelling of numbers and flags.
std::string LayerNorm::extra_repr() const {
    std::string dims = "(";
    for (std::size_t i = 0; i < normalized_shape.size(); ++i)
        dims += (i ? ", " : "") + std::to_string(normalized_shape[i]);
    if (normalized_shape.size() == 1) dims += ",";
    return dims + "), eps=" + format_number(eps) + ", elementwise_affine=" + (elementwise_affine ? "true" : "false");
}

}  // namespace xg::nn

namespace xg::nn::functional {

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  float eps) {
    return xg::layer_norm(input, normalized_shape, weight, bias, eps);
}

}  // namespace xg::nn::functional
