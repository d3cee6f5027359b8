// Loss modules (PyTorch's torch/nn/modules/loss.py): loss_fn(output, target) calls the
// function of the same name in nn::functional with the module's options. A class weight or
// pos_weight is a buffer named as in PyTorch ("weight", "pos_weight"), so it is in state_dict().
//   nn::CrossEntropyLoss loss_fn({.weight = w, .label_smoothing = 0.1f});
//   nn::BCEWithLogitsLoss bce({.pos_weight = Tensor::full({10}, 3.0f)});
#pragma once

#include <cstdint>

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xg::nn {

using functional::BCEWithLogitsOptions;
using functional::CrossEntropyOptions;
using functional::NLLLossOptions;

// A loss takes two tensors; forward(x) alone throws, saying so.
class Loss : public Module {
public:
    explicit Loss(Reduction reduction = Reduction::mean) : reduction(reduction) {}
    virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
    Tensor forward(const Tensor& input) override;
    Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
    std::string extra_repr() const override;
    const Reduction reduction;

protected:
    // Registers `t` as the buffer `name` when defined (PyTorch registers None, which no state
    // dict shows); returns it either way.
    Tensor optional_buffer(const std::string& name, const Tensor& t);
};

class MSELoss : public Loss {
public:
    using Loss::forward;
    using Loss::Loss;
    Tensor forward(const Tensor& input, const Tensor& target) override;
};

class L1Loss : public Loss {
public:
    using Loss::forward;
    using Loss::Loss;
    Tensor forward(const Tensor& input, const Tensor& target) override;
};

// HuberLoss(reduction, delta): quadratic below delta, linear above (see functional::huber_loss).
class HuberLoss : public Loss {
public:
    explicit HuberLoss(Reduction reduction = Reduction::mean, float delta = 1.0f);
    using Loss::forward;
    Tensor forward(const Tensor& input, const Tensor& target) override;
    std::string extra_repr() const override;
    const float delta;
};

// SmoothL1Loss(reduction, beta): huber / beta; beta = 0 is L1Loss.
class SmoothL1Loss : public Loss {
public:
    explicit SmoothL1Loss(Reduction reduction = Reduction::mean, float beta = 1.0f);
    using Loss::forward;
    Tensor forward(const Tensor& input, const Tensor& target) override;
    std::string extra_repr() const override;
    const float beta;
};

class BCELoss : public Loss {
public:
    explicit BCELoss(Reduction reduction = Reduction::mean) : Loss(reduction) {}
    // PyTorch's BCELoss(weight, reduction): weight rescales each element's loss (broadcast).
    explicit BCELoss(const Tensor& weight, Reduction reduction = Reduction::mean);
    using Loss::forward;
    Tensor forward(const Tensor& input, const Tensor& target) override;
    Tensor weight;
};

class BCEWithLogitsLoss : public Loss {
public:
    explicit BCEWithLogitsLoss(Reduction reduction = Reduction::mean) : Loss(reduction) {}
    explicit BCEWithLogitsLoss(const BCEWithLogitsOptions& options);
    using Loss::forward;
    Tensor forward(const Tensor& input, const Tensor& target) override;
    Tensor weight, pos_weight;  // buffers, when given
};

class NLLLoss : public Loss {
public:
    explicit NLLLoss(Reduction reduction = Reduction::mean, std::int64_t ignore_index = -100)
        : Loss(reduction), ignore_index(ignore_index) {}
    explicit NLLLoss(const NLLLossOptions& options);
    using Loss::forward;
    Tensor forward(const Tensor& input, const Tensor& target) override;
    std::string extra_repr() const override;
    const std::int64_t ignore_index;
    Tensor weight;  // a buffer, when given
};

class CrossEntropyLoss : public Loss {
public:
    explicit CrossEntropyLoss(Reduction reduction = Reduction::mean, std::int64_t ignore_index = -100)
        : Loss(reduction), ignore_index(ignore_index) {}
    explicit CrossEntropyLoss(const CrossEntropyOptions& options);
    using Loss::forward;
    Tensor forward(const Tensor& input, const Tensor& target) override;
    std::string extra_repr() const override;
    const std::int64_t ignore_index;
    const float label_smoothing = 0.0f;
    Tensor weight;  // a buffer, when given
};

}  // namespace xg::nn
