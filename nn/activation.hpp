// Activation layers (PyTorch's torch/nn/modules/activation.py); each calls the op in core.
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.hpp"

namespace xg::nn {

class ReLU : public ElementwiseModule {
public:
    Tensor forward(const Tensor& x) override;
};

class LeakyReLU : public ElementwiseModule {
public:
    explicit LeakyReLU(float negative_slope = 0.01f) : negative_slope(negative_slope) {}
    Tensor forward(const Tensor& x) override;
    std::string extra_repr() const override;
    float negative_slope;
};

class Sigmoid : public ElementwiseModule {
public:
    Tensor forward(const Tensor& x) override;
};

class Tanh : public ElementwiseModule {
public:
    Tensor forward(const Tensor& x) override;
};

class GELU : public ElementwiseModule {
public:
    explicit GELU(std::string approximate = "none");
    Tensor forward(const Tensor& x) override;
    std::string extra_repr() const override;
    std::string approximate;
};

class Softmax : public Module {
public:
    explicit Softmax(std::int64_t dim) : dim(dim) {}
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
    std::int64_t dim;
};

class LogSoftmax : public Module {
public:
    explicit LogSoftmax(std::int64_t dim) : dim(dim) {}
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
    std::int64_t dim;
};

}  // namespace xg::nn
