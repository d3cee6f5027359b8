// Conv2d and ConvTranspose2d: PyTorch's init and repr; the shape rules and the convolutions are
// core's conv2d_shape / conv2d and conv_transpose2d_shape / conv_transpose2d.
#include "nn/conv.hpp"

#include <cmath>

#include "core/ops.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {
std::string pair(std::size_t v) {  // "(5, 5)"
    const std::string n = std::to_string(v);
    std::string s = "(";
    s += n;
    s += ", ";
    s += n;
    s += ")";
    return s;
}
}  // namespace

Conv2d::Conv2d(std::size_t in, std::size_t out, std::size_t k, std::size_t s, std::size_t p, bool with_bias)
    : in_channels(in), out_channels(out), kernel_size(k), stride(s), padding(p) {
    if (in == 0 || out == 0 || k == 0 || s == 0)
        throw Error("Conv2d: channels, kernel_size and stride must be positive");
    weight = register_parameter("weight", Tensor::zeros({out, in, k, k}));
    init::kaiming_uniform_(weight, std::sqrt(5.0));  // PyTorch's reset_parameters()
    if (with_bias) {
        bias = register_parameter("bias", Tensor::zeros({out}));
        const double bound = 1.0 / std::sqrt(static_cast<double>(in * k * k));
        init::uniform_(bias, -bound, bound);
    }
}

Shape Conv2d::output_shape(const Shape& in) {
    return conv2d_shape(in, weight.shape(), stride, padding,
                        "Conv2d(" + std::to_string(in_channels) + " -> " + std::to_string(out_channels) + ")");
}

std::string Conv2d::fix_for(const Shape& in) const {
    if (in.size() != 4 || in[1] == in_channels) return "";
    return "make it Conv2d(" + std::to_string(in[1]) + ", " + std::to_string(out_channels) + ", " +
           std::to_string(kernel_size) + ")";
}

Tensor Conv2d::forward(const Tensor& x) {
    output_shape(x.shape());  // so that a mismatch names the layer, not only the op
    return conv2d(x, weight, bias, stride, padding);
}

std::string Conv2d::extra_repr() const {
    std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                    ", kernel_size=" + pair(kernel_size) + ", stride=" + pair(stride);
    if (padding) s += ", padding=" + pair(padding);
    if (!bias.defined()) s += ", bias=false";
    return s;
}

ConvTranspose2d::ConvTranspose2d(std::size_t in, std::size_t out, std::size_t k, ConvTranspose2dOptions o)
    : in_channels(in), out_channels(out), kernel_size(k), stride(o.stride), padding(o.padding),
      output_padding(o.output_padding) {
    if (in == 0 || out == 0 || k == 0 || o.stride == 0)
        throw Error("ConvTranspose2d: channels, kernel_size and stride must be positive");
    if (o.output_padding >= o.stride) {
        throw Error("ConvTranspose2d: output_padding " + std::to_string(o.output_padding) +
                    " must be smaller than stride " + std::to_string(o.stride));
    }
    weight = register_parameter("weight", Tensor::zeros({in, out, k, k}));
    init::kaiming_uniform_(weight, std::sqrt(5.0));  // fan_in = weight.size(1)·k·k, as PyTorch computes it
    if (o.bias) {
        bias = register_parameter("bias", Tensor::zeros({out}));
        const double bound = 1.0 / std::sqrt(static_cast<double>(out * k * k));
        init::uniform_(bias, -bound, bound);
    }
}

Shape ConvTranspose2d::output_shape(const Shape& in) {
    return conv_transpose2d_shape(
        in, weight.shape(), stride, padding, output_padding,
        "ConvTranspose2d(" + std::to_string(in_channels) + " -> " + std::to_string(out_channels) + ")");
}

std::string ConvTranspose2d::fix_for(const Shape& in) const {
    if (in.size() != 4 || in[1] == in_channels) return "";
    return "make it ConvTranspose2d(" + std::to_string(in[1]) + ", " + std::to_string(out_channels) + ", " +
           std::to_string(kernel_size) + ")";
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
    output_shape(x.shape());  // so that a mismatch names the layer, not only the op
    return conv_transpose2d(x, weight, bias, stride, padding, output_padding);
}

std::string ConvTranspose2d::extra_repr() const {
    std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                    ", kernel_size=" + pair(kernel_size) + ", stride=" + pair(stride);
    if (padding) s += ", padding=" + pair(padding);
    if (output_padding) s += ", output_padding=" + pair(output_padding);
    if (!bias.defined()) s += ", bias=false";
    return s;
}

}  // namespace xg::nn
