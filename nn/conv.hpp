// Conv2d over NCHW input (PyTorch's torch/nn/modules/conv.py). Square kernels.
#pragma once

#include <cstddef>

#include "nn/module.hpp"

namespace xg::nn {

// x [N, in_channels, H, W] -> [N, out_channels, Ho, Wo], Ho = (H + 2·padding - kernel_size) / stride + 1.
// weight [out, in, k, k] and bias [out] drawn as PyTorch does: U(-1/√fan_in, 1/√fan_in), fan_in = in·k·k.
class Conv2d : public Module {
public:
    Conv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size, std::size_t stride = 1,
           std::size_t padding = 0, bool bias = true);
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;  // conv2d_shape, naming the layer
    std::string fix_for(const Shape& input_shape) const override;
    std::string extra_repr() const override;
    Conv2d clone() const { return nn::clone(*this); }  // a deep copy (see nn::clone)
    const std::size_t in_channels, out_channels, kernel_size, stride, padding;
    Tensor weight, bias;
};

}  // namespace xg::nn
