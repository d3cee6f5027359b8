// Conv2d, pooling and batch-norm layers: PyTorch's init, shape rules and repr.
#include "nn/conv.hpp"

#include <cmath>
#include <sstream>

#include "core/ops.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {
// The output side of a sliding window, or an Error naming the layer.
std::size_t window_out(const std::string& who, std::size_t in, std::size_t k, std::size_t stride, std::size_t pad) {
    if (in + 2 * pad < k) {
        throw Error(who + ": input side " + std::to_string(in) + " (padded " + std::to_string(in + 2 * pad) +
                    ") is smaller than the kernel " + std::to_string(k));
    }
    return (in + 2 * pad - k) / stride + 1;
}

Shape window_shape(const std::string& who, const Shape& in, std::size_t channels, std::size_t k, std::size_t stride,
                   std::size_t pad) {
    if (in.size() != 4) throw Error(who + ": input must be [N, C, H, W], got " + shape_str(in));
    return {in[0], channels, window_out(who, in[2], k, stride, pad), window_out(who, in[3], k, stride, pad)};
}

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
    if (in == 0 || out == 0 || k == 0 || s == 0) throw Error("Conv2d: channels, kernel_size and stride must be positive");
    weight = register_parameter("weight", Tensor::zeros({out, in, k, k}));
    init::kaiming_uniform_(weight, std::sqrt(5.0));  // PyTorch's reset_parameters()
    if (with_bias) {
        bias = register_parameter("bias", Tensor::zeros({out}));
        const double bound = 1.0 / std::sqrt(static_cast<double>(in * k * k));
        init::uniform_(bias, -bound, bound);
    }
}

Shape Conv2d::output_shape(const Shape& in) {
    const std::string who = "Conv2d(" + std::to_string(in_channels) + " -> " + std::to_string(out_channels) + ")";
    Shape out = window_shape(who, in, out_channels, kernel_size, stride, padding);
    if (in[1] != in_channels) {
        throw Error(who + ": input " + shape_str(in) + " has " + std::to_string(in[1]) + " channels, expected in_channels=" +
                    std::to_string(in_channels));
    }
    return out;
}

std::string Conv2d::fix_for(const Shape& in) const {
    if (in.size() != 4 || in[1] == in_channels) return "";
    return "make it Conv2d(" + std::to_string(in[1]) + ", " + std::to_string(out_channels) + ", " + std::to_string(kernel_size) + ")";
}

Tensor Conv2d::forward(const Tensor& x) {
    output_shape(x.shape());
    return conv2d(x, weight, bias, stride, padding);
}

std::string Conv2d::extra_repr() const {
    std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) + ", kernel_size=" + pair(kernel_size) +
                    ", stride=" + pair(stride);
    if (padding) s += ", padding=" + pair(padding);
    if (!bias.defined()) s += ", bias=false";
    return s;
}

MaxPool2d::MaxPool2d(std::size_t k, std::size_t s, std::size_t p) : kernel_size(k), stride(s ? s : k), padding(p) {
    if (k == 0) throw Error("MaxPool2d: kernel_size must be positive");
}
Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel_size, stride, padding); }
Shape MaxPool2d::output_shape(const Shape& in) {
    return window_shape("MaxPool2d", in, in.size() == 4 ? in[1] : 0, kernel_size, stride, padding);
}
std::string MaxPool2d::extra_repr() const {
    return "kernel_size=" + std::to_string(kernel_size) + ", stride=" + std::to_string(stride) + ", padding=" + std::to_string(padding);
}

AvgPool2d::AvgPool2d(std::size_t k, std::size_t s, std::size_t p) : kernel_size(k), stride(s ? s : k), padding(p) {
    if (k == 0) throw Error("AvgPool2d: kernel_size must be positive");
}
Tensor AvgPool2d::forward(const Tensor& x) { return avg_pool2d(x, kernel_size, stride, padding); }
Shape AvgPool2d::output_shape(const Shape& in) {
    return window_shape("AvgPool2d", in, in.size() == 4 ? in[1] : 0, kernel_size, stride, padding);
}
std::string AvgPool2d::extra_repr() const {
    return "kernel_size=" + std::to_string(kernel_size) + ", stride=" + std::to_string(stride) + ", padding=" + std::to_string(padding);
}

BatchNorm::BatchNorm(std::size_t n, float eps_, float momentum_, bool affine, std::size_t min_dims, std::size_t max_dims)
    : num_features(n), eps(eps_), momentum(momentum_), min_dims_(min_dims), max_dims_(max_dims) {
    if (n == 0) throw Error("BatchNorm: num_features must be positive");
    if (affine) {
        weight = register_parameter("weight", Tensor::ones({n}));
        bias = register_parameter("bias", Tensor::zeros({n}));
    }
    running_mean = register_buffer("running_mean", Tensor::zeros({n}));
    running_var = register_buffer("running_var", Tensor::ones({n}));
}

Shape BatchNorm::output_shape(const Shape& in) {
    if (in.size() < min_dims_ || in.size() > max_dims_ || in[1] != num_features) {
        throw Error(name() + "(" + std::to_string(num_features) + "): input " + shape_str(in) + " must be " +
                    (max_dims_ == 4 ? "[N, " + std::to_string(num_features) + ", H, W]"
                                    : "[N, " + std::to_string(num_features) + "] or [N, " + std::to_string(num_features) + ", L]"));
    }
    return in;
}

Tensor BatchNorm::forward(const Tensor& x) {
    output_shape(x.shape());
    return batch_norm(x, running_mean, running_var, weight, bias, is_training(), momentum, eps);
}

std::string BatchNorm::extra_repr() const {
    std::ostringstream s;
    s << num_features << ", eps=" << eps << ", momentum=" << momentum << ", affine=" << (weight.defined() ? "true" : "false")
      << ", track_running_stats=true";
    return s.str();
}

}  // namespace xg::nn
