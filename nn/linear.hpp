// Linear and Identity layers (PyTorch's torch/nn/modules/linear.py).
#pragma once

#include "nn/module.hpp"

namespace xg::nn {

// y = x·Wᵀ + b.  x [*, in_features] -> [*, out_features].
// weight [out, in] ~ kaiming_uniform_(a = √5), i.e. U(-1/√in, 1/√in); bias ~ U(-1/√in, 1/√in).
class Linear : public Module {
public:
    Linear(std::size_t in_features, std::size_t out_features, bool bias = true);
    Tensor forward(const Tensor& input) override;
    Shape output_shape(const Shape& input_shape) override;  // linear_shape, naming the layer
    std::string fix_for(const Shape& input_shape) const override;
    std::string extra_repr() const override;
    Linear clone() const { return nn::clone(*this); }  // a deep copy (see nn::clone)

    const std::size_t in_features, out_features;
    Tensor weight;
    Tensor bias;  // undefined when built with bias = false
};

// Returns its input unchanged.
class Identity : public ElementwiseModule {
public:
    Tensor forward(const Tensor& input) override { return input; }
};

}  // namespace xg::nn
