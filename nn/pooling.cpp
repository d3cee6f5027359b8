// Pool2d: the part MaxPool2d and AvgPool2d share; the shape rule is core's pool2d_shape. And
// AdaptiveAvgPool2d, whose rule is adaptive_avg_pool2d_shape.
#include "nn/pooling.hpp"

namespace xg::nn {

Pool2d::Pool2d(Op op, const char* op_name, std::size_t k, std::size_t s, std::size_t p)
    : kernel_size(k), stride(s ? s : k), padding(p), op_(op), op_name_(op_name) {}

Shape Pool2d::output_shape(const Shape& in) { return pool2d_shape(in, kernel_size, stride, padding, op_name_); }

std::string Pool2d::extra_repr() const {
    return "kernel_size=" + std::to_string(kernel_size) + ", stride=" + std::to_string(stride) +
           ", padding=" + std::to_string(padding);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(std::vector<std::size_t> size) : output_size(std::move(size)) {
    adaptive_avg_pool2d_shape({1, 1, 1, 1}, output_size, "AdaptiveAvgPool2d");  // checks the sizes now
}

Shape AdaptiveAvgPool2d::output_shape(const Shape& in) {
    return adaptive_avg_pool2d_shape(in, output_size, "AdaptiveAvgPool2d");
}

std::string AdaptiveAvgPool2d::extra_repr() const {  // PyTorch's: output_size=1, output_size=(2, 3)
    if (output_size.size() == 1) return "output_size=" + std::to_string(output_size[0]);
    return "output_size=(" + std::to_string(output_size[0]) + ", " + std::to_string(output_size[1]) + ")";
}

}  // namespace xg::nn
