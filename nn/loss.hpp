// Loss modules (PyTorch's torch/nn/modules/loss.py): loss_fn(output, target) calls the
// function of the same name in nn::functional with the module's reduction.
#pragma once

#include <cstdint>

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xg::nn {

// A loss takes two tensors; forward(x) alone throws, saying so.
class Loss : public Module {
public:
    explicit Loss(Reduction reduction = Reduction::mean) : reduction(reduction) {}
    virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
    Tensor forward(const Tensor& input) override;
    Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
    std::string extra_repr() const override;
    const Reduction reduction;
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

class BCELoss : public Loss {
public:
    using Loss::forward;
    using Loss::Loss;
    Tensor forward(const Tensor& input, const Tensor& target) override;
};

class BCEWithLogitsLoss : public Loss {
public:
    using Loss::forward;
    using Loss::Loss;
    Tensor forward(const Tensor& input, const Tensor& target) override;
};

class NLLLoss : public Loss {
public:
    explicit NLLLoss(Reduction reduction = Reduction::mean, std::int64_t ignore_index = -100)
        : Loss(reduction), ignore_index(ignore_index) {}
    using Loss::forward;
    Tensor forward(const Tensor& input, const Tensor& target) override;
    const std::int64_t ignore_index;
};

class CrossEntropyLoss : public Loss {
public:
    explicit CrossEntropyLoss(Reduction reduction = Reduction::mean, std::int64_t ignore_index = -100)
        : Loss(reduction), ignore_index(ignore_index) {}
    using Loss::forward;
    Tensor forward(const Tensor& input, const Tensor& target) override;
    const std::int64_t ignore_index;
};

}  // namespace xg::nn
