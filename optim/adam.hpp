// optim::Adam (weight decay as L2, optional AMSGrad) and optim::AdamW (decoupled weight decay):
// torch.optim.Adam / AdamW's rules, operation by operation, so results agree to float rounding.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "optim/optimizer.hpp"

namespace xg::optim {

struct AdamOptions {
    double lr = 1e-3;
    std::pair<double, double> betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 0.0;
    bool amsgrad = false;
    bool maximize = false;
};

struct AdamWOptions {
    double lr = 1e-3;
    std::pair<double, double> betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 1e-2;  // AdamW's default, unlike Adam's 0
    bool amsgrad = false;
    bool maximize = false;
};

// What one parameter group changes (Adam and AdamW); an unset field is the optimizer's default.
struct AdamGroupOptions {
    std::optional<double> lr = {};
    std::optional<std::pair<double, double>> betas = {};
    std::optional<double> eps = {};
    std::optional<double> weight_decay = {};
    std::optional<bool> amsgrad = {};
    std::optional<bool> maximize = {};
};

// t += 1;  g = ±grad (+ weight_decay·p for Adam);  (AdamW: p = p·(1 - lr·weight_decay))
// m = β1·m + (1 - β1)·g;  v = β2·v + (1 - β2)·g²;  (AMSGrad: v̂ = max(v̂, v), used for v)
// p = p - (lr / (1 - β1^t)) · m / (√v / √(1 - β2^t) + eps)
class Adam : public OptimizerWith<AdamOptions, AdamGroupOptions> {
public:
    Adam(std::vector<Tensor> params, AdamOptions options = {});
    Adam(std::vector<Tensor> params, LearningRate lr) : Adam(std::move(params), AdamOptions{.lr = lr.value}) {}
    Adam(std::vector<GroupSpec> groups, AdamOptions defaults = {});
    Adam(std::vector<GroupSpec> groups, LearningRate lr) : Adam(std::move(groups), AdamOptions{.lr = lr.value}) {}
    void step() override;
    std::string kind() const override { return decoupled_ ? "AdamW" : "Adam"; }

protected:
    Adam(std::vector<GroupSpec> groups, AdamOptions defaults, bool decoupled);

private:
    bool decoupled_;
    std::vector<Hyperparameter> fields(AdamOptions& o) const override;
    AdamOptions merge(const AdamGroupOptions& overrides, AdamOptions o) const override;
    void check_options(const AdamOptions& o) const override;
    std::vector<std::string> state_names(const AdamOptions& o) const override;
};

// Adam with decoupled weight decay; its groups are Adam's (AdamOptions), its default decay 1e-2.
class AdamW : public Adam {
public:
    AdamW(std::vector<Tensor> params, AdamWOptions options = {});
    AdamW(std::vector<Tensor> params, LearningRate lr) : AdamW(std::move(params), AdamWOptions{.lr = lr.value}) {}
    AdamW(std::vector<GroupSpec> groups, AdamWOptions defaults = {});
    AdamW(std::vector<GroupSpec> groups, LearningRate lr) : AdamW(std::move(groups), AdamWOptions{.lr = lr.value}) {}
};

}  // namespace xg::optim
