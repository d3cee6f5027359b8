// StepLR and CosineAnnealingLR, as torch/optim/lr_scheduler.py's get_lr() (chainable form).
#include "optim/lr_scheduler.hpp"

#include <cmath>
#include <numbers>

#include "core/format.hpp"

namespace xg::optim {

LRScheduler::LRScheduler(Optimizer& optimizer)
    : optimizer_(optimizer), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()) {}

void LRScheduler::step() {
    ++last_epoch_;
    last_lr_ = compute_lr();
    optimizer_.set_lr(last_lr_);
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    if (step_size <= 0) throw Error("StepLR: step_size must be positive, got " + format_number(step_size));
}

// PyTorch multiplies the current lr by gamma at each multiple of step_size.
double StepLR::compute_lr() const {
    const double lr = optimizer_.lr();
    return last_epoch_ % step_size_ == 0 ? lr * gamma_ : lr;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
    if (t_max <= 0) throw Error("CosineAnnealingLR: T_max must be positive, got " + format_number(t_max));
}

double CosineAnnealingLR::compute_lr() const {
    constexpr double pi = std::numbers::pi;
    const double lr = optimizer_.lr();
    const auto e = static_cast<double>(last_epoch_), t = static_cast<double>(t_max_);
    if ((last_epoch_ - 1 - t_max_) % (2 * t_max_) == 0) {
        return lr + (base_lr_ - eta_min_) * (1.0 - std::cos(pi / t)) / 2.0;
    }
    return (1.0 + std::cos(pi * e / t)) / (1.0 + std::cos(pi * (e - 1.0) / t)) * (lr - eta_min_) + eta_min_;
}

}  // namespace xg::optim
