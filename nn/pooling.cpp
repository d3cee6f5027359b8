// Pool2d: the part MaxPool2d and AvgPool2d share; the shape rule is core's pool2d_shape.
#include "nn/pooling.hpp"

namespace xg::nn {

Pool2d::Pool2d(Op op, const char* op_name, std::size_t k, std::size_t s, std::size_t p)
    : kernel_size(k), stride(s ? s : k), padding(p), op_(op), op_name_(op_name) {}

Shape Pool2d::output_shape(const Shape& in) { return pool2d_shape(in, kernel_size, stride, padding, op_name_); }

std::string Pool2d::extra_repr() const {
    return "kernel_size=" + std::to_string(kernel_size) + ", stride=" + std::to_string(stride) +
           ", padding=" + std::to_string(padding);
}

}  // namespace xg::nn
