// optim::SGD with momentum, dampening, Nesterov and weight decay: torch.optim.SGD's rule.
#pragma once

#include <optional>

#include "optim/optimizer.hpp"

namespace xg::optim {

struct SGDOptions {
    double lr = 1e-3;
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
    bool maximize = false;
};

// What one parameter group changes; an unset field is the optimizer's default.
struct SGDGroupOptions {
    std::optional<double> lr = {};
    std::optional<double> momentum = {};
    std::optional<double> dampening = {};
    std::optional<double> weight_decay = {};
    std::optional<bool> nesterov = {};
    std::optional<bool> maximize = {};
};

// g = ±grad + weight_decay·p;  with momentum: b = g on the first step, else
// b = momentum·b + (1 - dampening)·g, and g = g + momentum·b (Nesterov) or b;  p = p - lr·g.
class SGD : public OptimizerWith<SGDOptions, SGDGroupOptions> {
public:
    SGD(std::vector<Tensor> params, SGDOptions options = {});
    SGD(std::vector<Tensor> params, LearningRate lr) : SGD(std::move(params), SGDOptions{.lr = lr.value}) {}
    SGD(std::vector<GroupSpec> groups, SGDOptions defaults = {});
    SGD(std::vector<GroupSpec> groups, LearningRate lr) : SGD(std::move(groups), SGDOptions{.lr = lr.value}) {}
    void step() override;
    std::string kind() const override { return "SGD"; }

private:
    std::vector<Hyperparameter> fields(SGDOptions& o) const override;
    SGDOptions merge(const SGDGroupOptions& overrides, SGDOptions o) const override;
    void check_options(const SGDOptions& o) const override;
    std::vector<std::string> state_names(const SGDOptions& o) const override;
    bool counts_steps() const override { return false; }  // PyTorch's SGD keeps no step count
};

}  // namespace xg::optim
