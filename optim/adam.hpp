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

// t += 1;  g = ±grad (+ weight_decay·p for Adam);  (AdamW: p = p·(1 - lr·weight_decay))
// m = β1·m + (1 - β1)·g;  v = β2·v + (1 - β2)·g²;  (AMSGrad: v̂ = max(v̂, v), used for v)
// p = p - (lr / (1 - β1^t)) · m / (√v / √(1 - β2^t) + eps)
class Adam : public Optimizer {
public:
    Adam(std::vector<Tensor> params, AdamOptions options = {});
    void step() override;
    const AdamOptions& options() const { return options_; }  // .lr is lr(): change it with set_lr

protected:
    Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled);

private:
    struct ParamState {
        std::int64_t step = 0;
        Array exp_avg, exp_avg_sq, max_exp_avg_sq;
    };
    AdamOptions options_;
    std::vector<std::optional<ParamState>> state_;
    bool decoupled_;
    State state() const override;
    void set_state(const State& s) override;
    std::string kind() const override { return decoupled_ ? "AdamW" : "Adam"; }
    const double& lr_ref() const override { return options_.lr; }
};

class AdamW : public Adam {
public:
    AdamW(std::vector<Tensor> params, AdamWOptions options = {});
};

}  // namespace xg::optim
