// Upsample (PyTorch's torch/nn/modules/upsampling.py): nn::functional::interpolate as a layer.
#pragma once

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xg::nn {

using UpsampleOptions = functional::InterpolateOptions;

// Resizes [N, C, H, W] images to a size or by a scale factor, nearest or bilinear:
//   nn::Upsample up({.scale_factor = {2}, .mode = "bilinear", .align_corners = false});
class Upsample : public Module {
public:
    explicit Upsample(UpsampleOptions options);
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;  // interpolate_shape, naming the layer
    std::string extra_repr() const override;                // PyTorch's: scale_factor=2.0, mode=nearest
    const UpsampleOptions options;
};

}  // namespace xg::nn
