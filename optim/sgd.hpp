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

// g = ±grad + weight_decay·p;  with momentum: b = g on the first step, else
// b = momentum·b + (1 - dampening)·g, and g = g + momentum·b (Nesterov) or b;  p = p - lr·g.
class SGD : public Optimizer {
public:
    SGD(std::vector<Tensor> params, SGDOptions options = {});
    void step() override;
    const SGDOptions& options() const { return options_; }  // .lr is lr(): change it with set_lr

private:
    SGDOptions options_;
    std::vector<std::optional<Array>> momentum_buffer_;  // created by the first step with momentum
    State state() const override;
    void set_state(const State& s) override;
    std::string kind() const override { return "SGD"; }
    const double& lr_ref() const override { return options_.lr; }
};

}  // namespace xg::optim
