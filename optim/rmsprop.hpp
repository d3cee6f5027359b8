// optim::RMSprop: torch.optim.RMSprop's rule (PyTorch 1.13, _single_tensor_rmsprop), operation
// by operation, with its defaults (lr 1e-2, alpha 0.99, eps 1e-8).
#pragma once

#include <optional>

#include "optim/optimizer.hpp"

namespace xg::optim {

struct RMSpropOptions {
    double lr = 1e-2;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0.0;
    double momentum = 0.0;
    bool centered = false;
    bool maximize = false;
};

// What one parameter group changes; an unset field is the optimizer's default.
struct RMSpropGroupOptions {
    std::optional<double> lr = {};
    std::optional<double> alpha = {};
    std::optional<double> eps = {};
    std::optional<double> weight_decay = {};
    std::optional<double> momentum = {};
    std::optional<bool> centered = {};
    std::optional<bool> maximize = {};
};

// g = ±grad + weight_decay·p;  v = alpha·v + (1 - alpha)·g²;
// centered: ḡ = alpha·ḡ + (1 - alpha)·g and avg = √(v - ḡ²) + eps, else avg = √v + eps;
// momentum > 0: b = momentum·b + g / avg and p = p - lr·b;  otherwise p = p - lr·g / avg.
class RMSprop : public OptimizerWith<RMSpropOptions, RMSpropGroupOptions> {
public:
    RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
    RMSprop(std::vector<Tensor> params, LearningRate lr) : RMSprop(std::move(params), RMSpropOptions{.lr = lr.value}) {}
    RMSprop(std::vector<GroupSpec> groups, RMSpropOptions defaults = {});
    RMSprop(std::vector<GroupSpec> groups, LearningRate lr)
        : RMSprop(std::move(groups), RMSpropOptions{.lr = lr.value}) {}
    void step() override;
    std::string kind() const override { return "RMSprop"; }

private:
    std::vector<Hyperparameter> fields(RMSpropOptions& o) const override;
    RMSpropOptions merge(const RMSpropGroupOptions& overrides, RMSpropOptions o) const override;
    void check_options(const RMSpropOptions& o) const override;
    std::vector<std::string> state_names(const RMSpropOptions& o) const override;
};

}  // namespace xg::optim
