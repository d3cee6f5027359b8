// Dropout and Dropout2d (PyTorch's torch/nn/modules/dropout.py).
#pragma once

#include "nn/module.hpp"

namespace xg::nn {

// Training: zeroes each element with probability p and scales the rest by 1/(1-p)
// (inverted dropout, so eval needs no rescaling). Eval: returns the input.
class Dropout : public ElementwiseModule {
public:
    explicit Dropout(float p = 0.5f);
    Tensor forward(const Tensor& x) override;
    std::string extra_repr() const override;
    const float p;
};

// Training: zeroes each whole channel of x [N, C, ...] with probability p (one draw per (n, c) from
// the global generator) and scales the rest by 1/(1-p), as PyTorch's Dropout2d. Eval: the input.
class Dropout2d : public Module {
public:
    explicit Dropout2d(float p = 0.5f);
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;  // dropout2d_shape
    std::string extra_repr() const override;
    const float p;
};

}  // namespace xg::nn
