// Dropout (PyTorch's torch/nn/modules/dropout.py).
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

}  // namespace xg::nn
