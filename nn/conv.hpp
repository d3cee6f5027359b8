// Convolution, pooling and batch-norm layers over NCHW input (torch/nn/modules/conv.py,
// pooling.py, batchnorm.py). Square kernels.
#pragma once

#include <cstddef>

#include "nn/module.hpp"

namespace xg::nn {

// x [N, in_channels, H, W] -> [N, out_channels, Ho, Wo]. weight [out, in, k, k] and bias [out]
// drawn as PyTorch does: U(-1/√fan_in, 1/√fan_in), fan_in = in·k·k.
class Conv2d : public Module {
public:
    Conv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size, std::size_t stride = 1,
           std::size_t padding = 0, bool bias = true);
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;
    std::string fix_for(const Shape& input_shape) const override;
    std::string extra_repr() const override;
    std::size_t in_channels, out_channels, kernel_size, stride, padding;
    Tensor weight, bias;
};

class MaxPool2d : public Module {
public:
    explicit MaxPool2d(std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0);  // stride 0: = kernel
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override;
    std::size_t kernel_size, stride, padding;
};

class AvgPool2d : public Module {
public:
    explicit AvgPool2d(std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0);
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override;
    std::size_t kernel_size, stride, padding;
};

// Normalises each channel with the batch's statistics in training (and updates running_mean and
// running_var, buffers that nn::save writes), with the running ones in eval. weight starts at 1,
// bias at 0. BatchNorm1d takes [N, C] or [N, C, L]; BatchNorm2d takes [N, C, H, W].
// (PyTorch's num_batches_tracked counter is not kept: it only matters for momentum=None.)
class BatchNorm : public ElementwiseModule {
public:
    BatchNorm(std::size_t num_features, float eps, float momentum, bool affine, std::size_t min_dims, std::size_t max_dims);
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override;
    std::size_t num_features;
    float eps, momentum;
    Tensor weight, bias, running_mean, running_var;

private:
    std::size_t min_dims_, max_dims_;
};

class BatchNorm1d : public BatchNorm {
public:
    explicit BatchNorm1d(std::size_t num_features, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
        : BatchNorm(num_features, eps, momentum, affine, 2, 3) {}
};

class BatchNorm2d : public BatchNorm {
public:
    explicit BatchNorm2d(std::size_t num_features, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
        : BatchNorm(num_features, eps, momentum, affine, 4, 4) {}
};

}  // namespace xg::nn
