// Batch normalisation layers over [N, C, ...] input (PyTorch's torch/nn/modules/batchnorm.py).
#pragma once

#include <cstddef>
#include <optional>

#include "nn/module.hpp"

namespace xg::nn {

// Normalises each channel with the batch's statistics in training (and updates running_mean and
// running_var), with the running ones in eval. weight starts at 1, bias at 0. BatchNorm1d takes
// [N, C] or [N, C, L]; BatchNorm2d takes [N, C, H, W].
//
// num_batches_tracked counts training forwards, as PyTorch's (saved as I64, as PyTorch writes
// it). With momentum = std::nullopt (PyTorch's momentum=None) the running statistics are the
// cumulative average over those batches (factor 1 / num_batches_tracked); otherwise the count
// is only kept. The count is a float32 tensor, as all of xgrad's: exact up to 2^24 (16.7M
// batches), where it stops growing.
class BatchNorm : public Module {
public:
    Tensor forward(const Tensor& x) override;
    // The layer's dims (PyTorch's _check_input_dim), then batch_norm_shape naming the layer.
    Shape output_shape(const Shape& input_shape) override;
    std::string fix_for(const Shape& input_shape) const override;
    std::string extra_repr() const override;
    const std::size_t num_features;
    const float eps;
    const std::optional<float> momentum;  // nullopt: the cumulative average
    const bool affine;
    Tensor weight, bias, running_mean, running_var, num_batches_tracked;

protected:
    BatchNorm(std::size_t num_features, float eps, std::optional<float> momentum, bool affine, std::size_t min_dims,
              std::size_t max_dims);
    // A state dict without num_batches_tracked (older xgrad files, PyTorch's before 0.4.1) loads, as
    // in PyTorch: the count becomes 0.
    bool optional_state(const std::string& name) const override { return name == "num_batches_tracked"; }

private:
    const std::size_t min_dims_, max_dims_;
};

class BatchNorm1d : public BatchNorm {
public:
    explicit BatchNorm1d(std::size_t num_features, float eps = 1e-5f, std::optional<float> momentum = 0.1f,
                         bool affine = true)
        : BatchNorm(num_features, eps, momentum, affine, 2, 3) {}
    BatchNorm1d clone() const { return nn::clone(*this); }
};

class BatchNorm2d : public BatchNorm {
public:
    explicit BatchNorm2d(std::size_t num_features, float eps = 1e-5f, std::optional<float> momentum = 0.1f,
                         bool affine = true)
        : BatchNorm(num_features, eps, momentum, affine, 4, 4) {}
    BatchNorm2d clone() const { return nn::clone(*this); }
};

}  // namespace xg::nn
