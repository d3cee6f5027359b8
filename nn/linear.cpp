// Linear: PyTorch's init; the shape rule and the product are core's linear_shape and linear.
#include "nn/linear.hpp"

#include <cmath>

#include "core/ops.hpp"
#include "nn/init.hpp"

namespace xg::nn {

Linear::Linear(std::size_t in, std::size_t out, bool with_bias) : in_features(in), out_features(out) {
    if (in == 0 || out == 0) {
        throw Error("Linear: in_features and out_features must be positive, got Linear(" + std::to_string(in) + ", " +
                    std::to_string(out) + ")");
    }
    weight = register_parameter("weight", Tensor::zeros({out, in}));
    init::kaiming_uniform_(weight, std::sqrt(5.0));  // reset_parameters() in PyTorch
    if (with_bias) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in));
        bias = register_parameter("bias", Tensor::zeros({out}));
        init::uniform_(bias, -bound, bound);
    }
}

Shape Linear::output_shape(const Shape& in) {
    return linear_shape(in, weight.shape(),
                        "Linear(" + std::to_string(in_features) + " -> " + std::to_string(out_features) + ")");
}

std::string Linear::fix_for(const Shape& in) const {
    if (in.empty()) return "";
    return "make it Linear(" + std::to_string(in.back()) + ", " + std::to_string(out_features) +
           (bias.defined() ? "" : ", false") + ")";
}

Tensor Linear::forward(const Tensor& x) {
    output_shape(x.shape());  // so that a mismatch names the layer, not only the op
    return linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
    return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
           ", bias=" + (bias.defined() ? "true" : "false");
}

}  // namespace xg::nn
