// Conv2d and ConvTranspose2d over NCHW input (PyTorch's torch/nn/modules/conv.py). Square kernels.
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

// ConvTranspose2d's keyword arguments (PyTorch's names and defaults; groups 1 and dilation 1 only).
struct ConvTranspose2dOptions {
    std::size_t stride = 1;
    std::size_t padding = 0;
    std::size_t output_padding = 0;  // extra rows/columns at the bottom/right; smaller than stride
    bool bias = true;
};

// The adjoint of Conv2d, for upsampling (a U-Net's way up): x [N, in_channels, H, W] ->
// [N, out_channels, Ho, Wo], Ho = (H - 1)·stride - 2·padding + kernel_size + output_padding.
// weight [in, out, k, k] (PyTorch's layout) and bias [out] drawn as PyTorch does: kaiming_uniform_
// (a = √5) and U(-1/√fan_in, 1/√fan_in) with fan_in = weight.size(1)·k·k = out·k·k.
//   nn::ConvTranspose2d up(16, 8, 2, {.stride = 2});  // or (16, 8, 2, 2), positional like Conv2d
class ConvTranspose2d : public Module {
public:
    ConvTranspose2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size,
                    ConvTranspose2dOptions options = {});
    // Positional, as Conv2d takes its options: ConvTranspose2d(16, 8, 2, 2) has stride 2.
    ConvTranspose2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size, std::size_t stride,
                    std::size_t padding = 0, std::size_t output_padding = 0, bool bias = true)
        : ConvTranspose2d(in_channels, out_channels, kernel_size, {stride, padding, output_padding, bias}) {}
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;  // conv_transpose2d_shape, naming the layer
    std::string fix_for(const Shape& input_shape) const override;
    std::string extra_repr() const override;
    ConvTranspose2d clone() const { return nn::clone(*this); }
    const std::size_t in_channels, out_channels, kernel_size, stride, padding, output_padding;
    Tensor weight, bias;
};

}  // namespace xg::nn
