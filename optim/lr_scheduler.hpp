// Learning-rate schedulers with torch.optim.lr_scheduler's (1.13) semantics. Call step() once per
// epoch (or per batch for OneCycleLR) after the optimizer's steps; it sets every group's lr.
//
// As in PyTorch, building a scheduler sets each group's initial_lr when absent (and keeps it
// when present), takes base_lrs from it, and makes a first step to epoch 0. So resuming works
// in PyTorch's order: load the optimizer's state (which carries initial_lr), build the
// scheduler, load the scheduler's state. Each get_lr is PyTorch's chainable form (it reads the
// group's current lr), with its closed form where PyTorch uses one (SequentialLR's milestones).
// Other schedulers: OneCycleLR, SequentialLR, ReduceLROnPlateau (own headers).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "optim/optimizer.hpp"

namespace xg::optim {

class LRScheduler {
public:
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;  // it drives its optimizer: no second copy doing so
    LRScheduler& operator=(const LRScheduler&) = delete;

    virtual void step();
    std::vector<double> get_last_lr() const { return last_lr_; }  // one per group
    const std::vector<double>& base_lrs() const { return base_lrs_; }
    std::int64_t last_epoch() const { return last_epoch_; }
    Optimizer& optimizer() const { return optimizer_; }
    virtual std::string kind() const = 0;

    // metadata: "scheduler" (the kind), "last_epoch", "_step_count", "base_lrs" and "_last_lr"
    // (JSON lists) and the scheduler's own numbers. load_state_dict checks the kind and the group
    // count before changing anything, and puts _last_lr back into the optimizer's groups (PyTorch
    // leaves that to the optimizer's own state; both agree when they were saved together, and this
    // makes the order of the two loads irrelevant).
    virtual StateDict state_dict() const;
    void load_state_dict(const StateDict& dict) { prepare_load(dict)(); }

protected:
    explicit LRScheduler(Optimizer& optimizer);
    void initial_step();  // PyTorch's _initial_step: every derived constructor ends with it
    void set_lrs(const std::vector<double>& lrs);
    virtual std::vector<double> get_lr() = 0;  // the chainable form, for last_epoch_
    // The closed form, for step_to (only SequentialLR uses it, as PyTorch's scheduler.step(0)).
    virtual std::optional<std::vector<double>> closed_form_lr() const { return std::nullopt; }
    void step_to(std::int64_t epoch);
    // The scheduler's own numbers in state_dict's metadata; load_extra checks them all and
    // returns what installs them.
    virtual void save_extra(StateDict&) const {}
    // Checks all of `dict` and returns what installs it: load_state_dict is prepare_load(dict)(),
    // and SequentialLR prepares every part before installing any, so its load is all or nothing.
    virtual std::function<void()> prepare_load(const StateDict& dict);
    virtual std::function<void()> load_extra(const StateDict&) {
        return [] {};
    }
    double group_lr(std::size_t group) const { return optimizer_.group_lr(group); }
    std::vector<double> group_lrs() const;
    friend class SequentialLR;

    Optimizer& optimizer_;
    std::vector<double> base_lrs_;
    std::int64_t last_epoch_ = -1;
    std::int64_t step_count_ = 0;
    std::vector<double> last_lr_;
};

// lr = base_lr · gamma^(epoch // step_size)
class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
    std::string kind() const override { return "StepLR"; }

private:
    std::vector<double> get_lr() override;
    std::optional<std::vector<double>> closed_form_lr() const override;
    void save_extra(StateDict& d) const override;
    std::function<void()> load_extra(const StateDict& d) override;
    std::int64_t step_size_;
    double gamma_;
};

// lr = base_lr · gamma^(how many milestones are <= epoch); a milestone listed twice counts twice.
class MultiStepLR : public LRScheduler {
public:
    MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma = 0.1);
    std::string kind() const override { return "MultiStepLR"; }

private:
    std::vector<double> get_lr() override;
    std::optional<std::vector<double>> closed_form_lr() const override;
    void save_extra(StateDict& d) const override;
    std::function<void()> load_extra(const StateDict& d) override;
    std::vector<std::int64_t> milestones_;  // sorted
    double gamma_;
};

// lr = base_lr · gamma^epoch
class ExponentialLR : public LRScheduler {
public:
    ExponentialLR(Optimizer& optimizer, double gamma);
    std::string kind() const override { return "ExponentialLR"; }

private:
    std::vector<double> get_lr() override;
    std::optional<std::vector<double>> closed_form_lr() const override;
    void save_extra(StateDict& d) const override;
    std::function<void()> load_extra(const StateDict& d) override;
    double gamma_;
};

// Cosine from base_lr down to eta_min over T_max epochs (and back up, periodically), by
// PyTorch's recursive formula.
class CosineAnnealingLR : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0.0);
    std::string kind() const override { return "CosineAnnealingLR"; }

private:
    std::vector<double> get_lr() override;
    std::optional<std::vector<double>> closed_form_lr() const override;
    void save_extra(StateDict& d) const override;
    std::function<void()> load_extra(const StateDict& d) override;
    std::int64_t t_max_;
    double eta_min_;
};

// lr = base_lr · lr_lambda(epoch), one function for every group or one per group. As in PyTorch,
// the functions themselves are not part of state_dict.
class LambdaLR : public LRScheduler {
public:
    using Lambda = std::function<double(std::int64_t)>;
    LambdaLR(Optimizer& optimizer, Lambda lr_lambda);
    LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas);
    std::string kind() const override { return "LambdaLR"; }

private:
    std::vector<double> get_lr() override;
    std::vector<Lambda> lambdas_;
};

struct LinearLROptions {
    double start_factor = 1.0 / 3;
    double end_factor = 1.0;
    std::int64_t total_iters = 5;
};

// Linear warm-up: the factor on base_lr goes from start_factor to end_factor over total_iters
// epochs, then stays.
class LinearLR : public LRScheduler {
public:
    LinearLR(Optimizer& optimizer, LinearLROptions options = {});
    std::string kind() const override { return "LinearLR"; }

private:
    std::vector<double> get_lr() override;
    std::optional<std::vector<double>> closed_form_lr() const override;
    void save_extra(StateDict& d) const override;
    std::function<void()> load_extra(const StateDict& d) override;
    LinearLROptions options_;
};

}  // namespace xg::optim
