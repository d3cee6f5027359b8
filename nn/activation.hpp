// Activation layers (PyTorch's torch/nn/modules/activation.py); each calls the op in core.
#pragma once

#include <cstdint>
#include <string>

#include "core/ops.hpp"
#include "nn/module.hpp"

namespace xg::nn {

class ReLU : public ElementwiseModule {
public:
    Tensor forward(const Tensor& x) override { return relu(x); }
};

class LeakyReLU : public ElementwiseModule {
public:
    explicit LeakyReLU(float negative_slope = 0.01f) : negative_slope(negative_slope) {}
    Tensor forward(const Tensor& x) override { return leaky_relu(x, negative_slope); }
    std::string extra_repr() const override;
    const float negative_slope;
};

class Sigmoid : public ElementwiseModule {
public:
    Tensor forward(const Tensor& x) override { return sigmoid(x); }
};

class Tanh : public ElementwiseModule {
public:
    Tensor forward(const Tensor& x) override { return tanh(x); }
};

class GELU : public ElementwiseModule {
public:
    explicit GELU(std::string approximate = "none");  // "none" (erf) or "tanh"
    Tensor forward(const Tensor& x) override { return gelu(x, approximate); }
    std::string extra_repr() const override;
    const std::string approximate;
};

// What Softmax and LogSoftmax share: an op along `dim`, whose output has the input's shape once
// `dim` names one of the input's dims (checked as the op checks it, naming the op).
class SoftmaxBase : public Module {
public:
    Tensor forward(const Tensor& x) override { return op_(x, dim); }
    Shape output_shape(const Shape& input_shape) override;
    std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
    const std::int64_t dim;

protected:
    using Op = Tensor (*)(const Tensor&, std::int64_t);
    SoftmaxBase(Op op, const char* op_name, std::int64_t dim) : dim(dim), op_(op), op_name_(op_name) {}

private:
    Op op_;
    const char* op_name_;
};

class Softmax : public SoftmaxBase {
public:
    explicit Softmax(std::int64_t dim) : SoftmaxBase(softmax, "softmax", dim) {}
};

class LogSoftmax : public SoftmaxBase {
public:
    explicit LogSoftmax(std::int64_t dim) : SoftmaxBase(log_softmax, "log_softmax", dim) {}
};

}  // namespace xg::nn
