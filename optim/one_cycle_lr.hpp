// optim::OneCycleLR: torch.optim.lr_scheduler.OneCycleLR (1.13), stepped once per batch. The lr
// rises from max_lr / div_factor to max_lr over pct_start of the steps, then anneals to
// initial_lr / final_div_factor (three_phase: back to initial_lr first, then down). With
// cycle_momentum, the momentum (SGD, RMSprop) or beta1 (Adam, AdamW) moves the opposite way,
// between max_momentum and base_momentum; an optimizer with neither (Adagrad) is an error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "optim/lr_scheduler.hpp"

namespace xg::optim {

struct OneCycleLROptions {
    std::optional<std::int64_t> total_steps = {};  // or epochs · steps_per_epoch
    std::optional<std::int64_t> epochs = {};
    std::optional<std::int64_t> steps_per_epoch = {};
    double pct_start = 0.3;
    std::string anneal_strategy = "cos";  // or "linear"
    bool cycle_momentum = true;
    double base_momentum = 0.85;
    double max_momentum = 0.95;
    double div_factor = 25.0;
    double final_div_factor = 1e4;
    bool three_phase = false;
};

class OneCycleLR : public LRScheduler {
public:
    OneCycleLR(Optimizer& optimizer, std::vector<double> max_lr, OneCycleLROptions options);  // one per group
    OneCycleLR(Optimizer& optimizer, double max_lr, OneCycleLROptions options);
    std::string kind() const override { return "OneCycleLR"; }
    std::int64_t total_steps() const { return total_steps_; }

private:
    enum class Key { initial_lr, max_lr, min_lr, max_momentum, base_momentum };
    struct Phase {
        double end_step;
        Key start_lr, end_lr, start_momentum, end_momentum;
    };
    std::vector<double> get_lr() override;
    double value(std::size_t group, Key key) const;
    double anneal(double start, double end, double pct) const;
    double& momentum_of(std::size_t group);  // the group's momentum, or betas.first
    void save_extra(StateDict& d) const override;
    std::function<void()> load_extra(const StateDict& d) override;

    OneCycleLROptions options_;
    std::int64_t total_steps_;
    std::vector<Phase> phases_;
    std::vector<double> max_lrs_, min_lrs_, max_momenta_, base_momenta_;  // per group
    bool use_beta1_ = false;
};

}  // namespace xg::optim
