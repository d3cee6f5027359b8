// LayerNorm (PyTorch's torch/nn/modules/normalization.py).
#pragma once

#include "nn/module.hpp"

namespace xg::nn {

// PyTorch's keyword arguments of nn.LayerNorm.
struct LayerNormOptions {
    float eps = 1e-5f;
    bool elementwise_affine = true;  // learn weight (starts at 1) and bias (starts at 0)
};

// Normalises each slice over the trailing dims normalized_shape (their mean and biased
// variance), then weight·x̂ + bias: x [*, normalized_shape...] -> the same shape. The same in
// train and eval (no running statistics). First-order: core's fused layer_norm.
class LayerNorm : public Module {
public:
    explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
    explicit LayerNorm(std::size_t normalized_size, LayerNormOptions options = {})
        : LayerNorm(Shape{normalized_size}, options) {}
    Tensor forward(const Tensor& input) override;
    Shape output_shape(const Shape& input_shape) override;  // layer_norm_shape, naming the layer
    std::string extra_repr() const override;
    LayerNorm clone() const { return nn::clone(*this); }

    const Shape normalized_shape;
    const float eps;
    const bool elementwise_affine;
    Tensor weight, bias;  // undefined without elementwise_affine
};

}  // namespace xg::nn
