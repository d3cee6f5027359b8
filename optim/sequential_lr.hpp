// optim::SequentialLR: torch.optim.lr_scheduler.SequentialLR (1.13). Runs schedulers[0] until
// milestones[0], then schedulers[1] (restarted at its epoch 0, by its closed form), and so on:
//
//   optim::LinearLR warmup(opt, {.start_factor = 0.1, .total_iters = 5});
//   optim::CosineAnnealingLR decay(opt, 95);
//   optim::SequentialLR sched(opt, {warmup, decay}, {5});  // holds references: keep both alive
#pragma once

#include <functional>
#include <vector>

#include "optim/lr_scheduler.hpp"

namespace xg::optim {

class SequentialLR : public LRScheduler {
public:
    SequentialLR(Optimizer& optimizer, std::vector<std::reference_wrapper<LRScheduler>> schedulers,
                 std::vector<std::int64_t> milestones);
    void step() override;
    std::string kind() const override { return "SequentialLR"; }
    // Its own last_epoch and _last_lr, and each scheduler's state under "schedulers.<i>".
    StateDict state_dict() const override;

private:
    std::function<void()> prepare_load(const StateDict& dict) override;
    std::vector<double> get_lr() override { return group_lrs(); }  // unused: step() delegates
    std::vector<std::reference_wrapper<LRScheduler>> schedulers_;
    std::vector<std::int64_t> milestones_;
};

}  // namespace xg::optim
