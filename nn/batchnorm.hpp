// Batch normalisation layers over [N, C, ...] input (PyTorch's torch/nn/modules/batchnorm.py).
#pragma once

#include <cstddef>

#include "nn/module.hpp"

namespace xg::nn {

// Normalises each channel with the batch's statistics in training (and updates running_mean and
// running_var, buffers that nn::save writes), with the running ones in eval. weight starts at 1,
// bias at 0. BatchNorm1d takes [N, C] or [N, C, L]; BatchNorm2d takes [N, C, H, W].
// (PyTorch's num_batches_tracked counter is not kept: it only matters for momentum=None.)
class BatchNorm : public Module {
public:
    Tensor forward(const Tensor& x) override;
    // The layer's dims (PyTorch's _check_input_dim), then batch_norm_shape naming the layer.
    Shape output_shape(const Shape& input_shape) override;
    std::string fix_for(const Shape& input_shape) const override;
    std::string extra_repr() const override;
    const std::size_t num_features;
    const float eps, momentum;
    const bool affine;
    Tensor weight, bias, running_mean, running_var;

protected:
    BatchNorm(std::size_t num_features, float eps, float momentum, bool affine, std::size_t min_dims,
              std::size_t max_dims);

private:
    const std::size_t min_dims_, max_dims_;
};

class BatchNorm1d : public BatchNorm {
public:
    explicit BatchNorm1d(std::size_t num_features, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
        : BatchNorm(num_features, eps, momentum, affine, 2, 3) {}
};

class BatchNorm2d : public BatchNorm {
public:
    explicit BatchNorm2d(std::size_t num_features, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
        : BatchNorm(num_features, eps, momentum, affine, 4, 4) {}
};

}  // namespace xg::nn
