// Dropout and Flatten layers.
#pragma once

#include <cstdint>

#include "nn/module.hpp"

namespace xg::nn {

// Training: zeroes each element with probability p and scales the rest by 1/(1-p)
// (inverted dropout, so eval needs no rescaling). Eval: returns the input.
class Dropout : public ElementwiseModule {
public:
    explicit Dropout(float p = 0.5f);
    Tensor forward(const Tensor& x) override;
    std::string extra_repr() const override;
    float p;
};

// Flattens dims start_dim..end_dim into one; PyTorch's defaults keep the batch dim.
class Flatten : public Module {
public:
    explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override;
    std::int64_t start_dim, end_dim;
};

}  // namespace xg::nn
