// Flatten and Unflatten (PyTorch's torch/nn/modules/flatten.py).
#pragma once

#include <cstdint>
#include <vector>

#include "core/ops.hpp"
#include "nn/module.hpp"

namespace xg::nn {

// Flattens dims start_dim..end_dim into one; PyTorch's defaults keep the batch dim.
class Flatten : public Module {
public:
    explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
    Tensor forward(const Tensor& x) override { return flatten(x, start_dim, end_dim); }
    Shape output_shape(const Shape& input_shape) override { return flatten_shape(input_shape, start_dim, end_dim); }
    std::string extra_repr() const override;
    const std::int64_t start_dim, end_dim;
};

// Splits dim into unflattened_size (one entry may be -1): the inverse of Flatten, as
// torch.nn.Unflatten(dim, unflattened_size). The result is a reshape, checked as reshape checks it.
class Unflatten : public Module {
public:
    Unflatten(std::int64_t dim, std::vector<std::int64_t> unflattened_size)
        : dim(dim), unflattened_size(std::move(unflattened_size)) {}
    Tensor forward(const Tensor& x) override { return reshape(x, target(x.shape())); }
    Shape output_shape(const Shape& input_shape) override { return reshape_shape(input_shape, target(input_shape)); }
    std::string extra_repr() const override;
    const std::int64_t dim;
    const std::vector<std::int64_t> unflattened_size;

private:
    std::vector<std::int64_t> target(const Shape& in) const;  // the reshape's argument
};

}  // namespace xg::nn
