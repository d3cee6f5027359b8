// Linear: PyTorch's init and the fused linear op.
#include "nn/linear.hpp"

#include <cmath>

#include "core/ops.hpp"
#include "nn/init.hpp"

namespace xg::nn {

Linear::Linear(std::size_t in, std::size_t out, bool with_bias) : in_features(in), out_features(out) {
    if (in == 0 || out == 0) throw Error("Linear: in_features and out_features must be positive, got " + extra_repr());
    weight = register_parameter("weight", Tensor::zeros({out, in}));
    init::kaiming_uniform_(weight, std::sqrt(5.0));  // reset_parameters() in PyTorch
    if (with_bias) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in));
        bias = register_parameter("bias", Tensor::zeros({out}));
        init::uniform_(bias, -bound, bound);
    }
}

Shape Linear::output_shape(const Shape& in) {
    if (in.empty() || in.back() != in_features) {
        throw Error("Linear(" + std::to_string(in_features) + " -> " + std::to_string(out_features) + "): input " +
                    shape_str(in) + " has " + (in.empty() ? "no" : std::to_string(in.back())) +
                    " features, expected in_features=" + std::to_string(in_features));
    }
    Shape out = in;
    out.back() = out_features;
    return out;
}

std::string Linear::fix_for(const Shape& in) const {
    if (in.empty()) return "";
    return "make it Linear(" + std::to_string(in.back()) + ", " + std::to_string(out_features) +
           (bias.defined() ? "" : ", false") + ")";
}

Tensor Linear::forward(const Tensor& x) {
    output_shape(x.shape());  // the shape check, with the message every caller sees
    if (x.dim() == 2) return linear(x, weight, bias);
    // [*, in] -> [N, in] -> [N, out] -> [*, out], as PyTorch accepts any leading dims
    std::vector<std::int64_t> out_shape(x.shape().begin(), x.shape().end());
    out_shape.back() = static_cast<std::int64_t>(out_features);
    return reshape(linear(reshape(x, {-1, static_cast<std::int64_t>(in_features)}), weight, bias), out_shape);
}

std::string Linear::extra_repr() const {
    return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
           ", bias=" + (bias.defined() ? "true" : "false");
}

}  // namespace xg::nn
