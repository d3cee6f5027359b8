// Pooling layers over NCHW input (PyTorch's torch/nn/modules/pooling.py). Square windows, except
// AdaptiveAvgPool2d's, which follow the output size.
#pragma once

#include <cstddef>
#include <vector>

#include "core/ops.hpp"
#include "nn/module.hpp"

namespace xg::nn {

// What MaxPool2d and AvgPool2d share (PyTorch's _MaxPoolNd / _AvgPoolNd): the window, its op's
// shape rule (pool2d_shape: padding at most kernel_size / 2) and the repr. stride 0 = kernel_size.
class Pool2d : public Module {
public:
    Tensor forward(const Tensor& x) override { return op_(x, kernel_size, stride, padding); }
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override;
    const std::size_t kernel_size, stride, padding;

protected:
    using Op = Tensor (*)(const Tensor&, std::size_t, std::size_t, std::size_t);
    Pool2d(Op op, const char* op_name, std::size_t kernel_size, std::size_t stride, std::size_t padding);

private:
    Op op_;
    const char* op_name_;  // names the op in shape errors, as the op itself does
};

// The largest value in each window; padding counts as -inf.
class MaxPool2d : public Pool2d {
public:
    explicit MaxPool2d(std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0)
        : Pool2d(max_pool2d, "max_pool2d", kernel_size, stride, padding) {}
};

// The mean of each window; padding counts as zeros (PyTorch's count_include_pad=True).
class AvgPool2d : public Pool2d {
public:
    explicit AvgPool2d(std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0)
        : Pool2d(avg_pool2d, "avg_pool2d", kernel_size, stride, padding) {}
};

// The mean over PyTorch's adaptive windows, whatever the input's size: output_size 1 is the global
// average pool of a ResNet's head. output_size is {Ho, Wo}, or one number for both.
class AdaptiveAvgPool2d : public Module {
public:
    explicit AdaptiveAvgPool2d(std::vector<std::size_t> output_size);
    explicit AdaptiveAvgPool2d(std::size_t output_size) : AdaptiveAvgPool2d(std::vector<std::size_t>{output_size}) {}
    Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, output_size); }
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override;
    const std::vector<std::size_t> output_size;
};

}  // namespace xg::nn
