// Learning-rate schedulers: StepLR and CosineAnnealingLR, with torch.optim.lr_scheduler's rules.
// Call step() once per epoch after the optimizer's steps; the scheduler sets the optimizer's lr.
#pragma once

#include <cstdint>

#include "optim/optimizer.hpp"

namespace xg::optim {

class LRScheduler {
public:
    explicit LRScheduler(Optimizer& optimizer);
    virtual ~LRScheduler() = default;
    void step();
    double get_last_lr() const { return last_lr_; }
    std::int64_t last_epoch() const { return last_epoch_; }

protected:
    virtual double compute_lr() const = 0;  // the lr for last_epoch_, from the current one
    Optimizer& optimizer_;
    double base_lr_;
    std::int64_t last_epoch_ = 0;
    double last_lr_;
};

// lr = base_lr · gamma^(epoch // step_size)
class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);

private:
    double compute_lr() const override;
    std::int64_t step_size_;
    double gamma_;
};

// Cosine from base_lr down to eta_min over T_max epochs, by PyTorch's recursive formula.
class CosineAnnealingLR : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0.0);

private:
    double compute_lr() const override;
    std::int64_t t_max_;
    double eta_min_;
};

}  // namespace xg::optim
