// The scheduler base and StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR, LinearLR,
// as torch/optim/lr_scheduler.py (1.13): get_lr() and _get_closed_form_lr() operation by operation,
// in double, so the lrs agree with PyTorch's Python floats to the last bit or close to it.
#include "optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/format.hpp"
#include "optim/lr_scheduler_util.hpp"

namespace xg::optim {

namespace {
constexpr double pi = std::numbers::pi;
}

// ---- the base ----

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
    for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g) {
        ParamGroupBase& group = optimizer.group_base(g);
        if (!group.initial_lr) group.initial_lr = optimizer.group_lr(g);  // setdefault('initial_lr', lr)
        base_lrs_.push_back(*group.initial_lr);
    }
}

void LRScheduler::initial_step() {
    step_count_ = 0;
    step();
}

std::vector<double> LRScheduler::group_lrs() const {
    std::vector<double> lrs;
    for (std::size_t g = 0; g < base_lrs_.size(); ++g) lrs.push_back(group_lr(g));
    return lrs;
}

void LRScheduler::set_lrs(const std::vector<double>& lrs) {
    for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_.group_lr(g) = lrs[g];
    last_lr_ = group_lrs();
}

void LRScheduler::step() {
    ++step_count_;
    ++last_epoch_;
    set_lrs(get_lr());
}

void LRScheduler::step_to(std::int64_t epoch) {
    ++step_count_;
    last_epoch_ = epoch;
    const auto closed = closed_form_lr();
    set_lrs(closed ? *closed : get_lr());
}

StateDict LRScheduler::state_dict() const {
    StateDict d;
    d.metadata["scheduler"] = kind();
    d.metadata["last_epoch"] = format_number(last_epoch_);
    d.metadata["_step_count"] = format_number(step_count_);
    d.metadata["base_lrs"] = detail::list_json(base_lrs_);
    d.metadata["_last_lr"] = detail::list_json(last_lr_);
    save_extra(d);
    return d;
}

std::function<void()> LRScheduler::prepare_load(const StateDict& d) {
    const std::string where = kind() + " load_state_dict:";
    if (!d.metadata.contains("scheduler")) throw Error(where + " metadata 'scheduler' is missing");
    if (d.meta("scheduler") != kind())
        throw Error(where + " the state is " + d.meta("scheduler") + "'s, this is " + kind());
    const auto last_epoch = detail::meta_number<std::int64_t>(d, "last_epoch", where);
    const auto step_count = detail::meta_number<std::int64_t>(d, "_step_count", where);
    const std::vector<double> base = detail::meta_list(d, "base_lrs", where);
    const std::vector<double> last = detail::meta_list(d, "_last_lr", where);
    if (base.size() != base_lrs_.size() || last.size() != base_lrs_.size()) {
        throw Error(where + " the state is for " + format_number(base.size()) +
                    " parameter groups, the optimizer has " + format_number(base_lrs_.size()));
    }
    std::function<void()> install = load_extra(d);  // throws before changing anything
    return [=, this] {
        last_epoch_ = last_epoch;
        step_count_ = step_count;
        base_lrs_ = base;
        install();
        set_lrs(last);
    };
}

// ---- StepLR ----

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    if (step_size <= 0) throw Error("StepLR: step_size must be positive, got " + format_number(step_size));
    initial_step();
}

// PyTorch multiplies the current lr by gamma at each multiple of step_size.
std::vector<double> StepLR::get_lr() {
    std::vector<double> lrs = group_lrs();
    if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
    for (double& lr : lrs) lr = lr * gamma_;
    return lrs;
}

std::optional<std::vector<double>> StepLR::closed_form_lr() const {
    std::vector<double> lrs;
    for (double base : base_lrs_)
        lrs.push_back(base * std::pow(gamma_, static_cast<double>(detail::floor_div(last_epoch_, step_size_))));
    return lrs;
}

void StepLR::save_extra(StateDict& d) const {
    d.metadata["step_size"] = format_number(step_size_);
    d.metadata["gamma"] = format_number(gamma_);
}

std::function<void()> StepLR::load_extra(const StateDict& d) {
    const auto step_size = detail::meta_number<std::int64_t>(d, "step_size", "StepLR load_state_dict:");
    const auto gamma = detail::meta_number<double>(d, "gamma", "StepLR load_state_dict:");
    if (step_size <= 0)
        throw Error("StepLR load_state_dict: step_size must be positive, got " + format_number(step_size));
    return [=, this] {
        step_size_ = step_size;
        gamma_ = gamma;
    };
}

// ---- MultiStepLR ----

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
    std::sort(milestones_.begin(), milestones_.end());
    initial_step();
}

std::vector<double> MultiStepLR::get_lr() {
    std::vector<double> lrs = group_lrs();
    const auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);  // Counter[last_epoch]
    if (hits == 0) return lrs;
    for (double& lr : lrs) lr = lr * std::pow(gamma_, static_cast<double>(hits));
    return lrs;
}

std::optional<std::vector<double>> MultiStepLR::closed_form_lr() const {
    const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
    std::vector<double> lrs;
    for (double base : base_lrs_) lrs.push_back(base * std::pow(gamma_, static_cast<double>(passed)));
    return lrs;
}

void MultiStepLR::save_extra(StateDict& d) const {
    d.metadata["milestones"] = detail::list_json(milestones_);
    d.metadata["gamma"] = format_number(gamma_);
}

std::function<void()> MultiStepLR::load_extra(const StateDict& d) {
    const std::string where = "MultiStepLR load_state_dict:";
    std::vector<std::int64_t> milestones;
    for (double m : detail::meta_list(d, "milestones", where)) milestones.push_back(static_cast<std::int64_t>(m));
    const auto gamma = detail::meta_number<double>(d, "gamma", where);
    std::sort(milestones.begin(), milestones.end());
    return [=, this] {
        milestones_ = milestones;
        gamma_ = gamma;
    };
}

// ---- ExponentialLR ----

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
    initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
    std::vector<double> lrs = group_lrs();
    if (last_epoch_ == 0) return lrs;
    for (double& lr : lrs) lr = lr * gamma_;
    return lrs;
}

std::optional<std::vector<double>> ExponentialLR::closed_form_lr() const {
    std::vector<double> lrs;
    for (double base : base_lrs_) lrs.push_back(base * std::pow(gamma_, static_cast<double>(last_epoch_)));
    return lrs;
}

void ExponentialLR::save_extra(StateDict& d) const { d.metadata["gamma"] = format_number(gamma_); }

std::function<void()> ExponentialLR::load_extra(const StateDict& d) {
    const auto gamma = detail::meta_number<double>(d, "gamma", "ExponentialLR load_state_dict:");
    return [=, this] { gamma_ = gamma; };
}

// ---- CosineAnnealingLR ----

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
    if (t_max <= 0) throw Error("CosineAnnealingLR: T_max must be positive, got " + format_number(t_max));
    initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
    std::vector<double> lrs = group_lrs();
    const auto e = static_cast<double>(last_epoch_), t = static_cast<double>(t_max_);
    if (last_epoch_ == 0) return lrs;
    for (std::size_t g = 0; g < lrs.size(); ++g) {
        const double base = base_lrs_[g];
        if (step_count_ == 1 && last_epoch_ > 0) {
            lrs[g] = eta_min_ + (base - eta_min_) * (1 + std::cos(e * pi / t)) / 2;
        } else if ((last_epoch_ - 1 - t_max_) % (2 * t_max_) == 0) {
            lrs[g] = lrs[g] + (base - eta_min_) * (1 - std::cos(pi / t)) / 2;
        } else {
            lrs[g] = (1 + std::cos(pi * e / t)) / (1 + std::cos(pi * (e - 1) / t)) * (lrs[g] - eta_min_) + eta_min_;
        }
    }
    return lrs;
}

std::optional<std::vector<double>> CosineAnnealingLR::closed_form_lr() const {
    const auto e = static_cast<double>(last_epoch_), t = static_cast<double>(t_max_);
    std::vector<double> lrs;
    for (double base : base_lrs_) lrs.push_back(eta_min_ + (base - eta_min_) * (1 + std::cos(pi * e / t)) / 2);
    return lrs;
}

void CosineAnnealingLR::save_extra(StateDict& d) const {
    d.metadata["T_max"] = format_number(t_max_);
    d.metadata["eta_min"] = format_number(eta_min_);
}

std::function<void()> CosineAnnealingLR::load_extra(const StateDict& d) {
    const std::string where = "CosineAnnealingLR load_state_dict:";
    const auto t_max = detail::meta_number<std::int64_t>(d, "T_max", where);
    const auto eta_min = detail::meta_number<double>(d, "eta_min", where);
    if (t_max <= 0) throw Error(where + " T_max must be positive, got " + format_number(t_max));
    return [=, this] {
        t_max_ = t_max;
        eta_min_ = eta_min;
    };
}

// ---- LambdaLR ----

LambdaLR::LambdaLR(Optimizer& optimizer, Lambda lr_lambda)
    : LambdaLR(optimizer, std::vector<Lambda>(optimizer.num_param_groups(), lr_lambda)) {}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas)
    : LRScheduler(optimizer), lambdas_(std::move(lr_lambdas)) {
    if (lambdas_.size() != optimizer.num_param_groups()) {
        throw Error("LambdaLR: expected " + format_number(optimizer.num_param_groups()) +
                    " lr_lambdas (one per group), got " + format_number(lambdas_.size()));
    }
    for (std::size_t g = 0; g < lambdas_.size(); ++g)
        if (!lambdas_[g]) throw Error("LambdaLR: lr_lambda " + format_number(g) + " is empty");
    initial_step();
}

std::vector<double> LambdaLR::get_lr() {
    std::vector<double> lrs;
    for (std::size_t g = 0; g < base_lrs_.size(); ++g) lrs.push_back(base_lrs_[g] * lambdas_[g](last_epoch_));
    return lrs;
}

// ---- LinearLR ----

LinearLR::LinearLR(Optimizer& optimizer, LinearLROptions o) : LRScheduler(optimizer), options_(o) {
    // PyTorch 1.13 allows start_factor = 0, then divides by zero at epoch 1; later versions refuse it.
    if (!(o.start_factor > 0.0 && o.start_factor <= 1.0))
        throw Error("LinearLR: start_factor must be in (0, 1], got " + format_number(o.start_factor));
    if (!(o.end_factor >= 0.0 && o.end_factor <= 1.0))
        throw Error("LinearLR: end_factor must be in [0, 1], got " + format_number(o.end_factor));
    if (o.total_iters <= 0) throw Error("LinearLR: total_iters must be positive, got " + format_number(o.total_iters));
    initial_step();
}

std::vector<double> LinearLR::get_lr() {
    const LinearLROptions& o = options_;
    std::vector<double> lrs = group_lrs();
    if (last_epoch_ == 0) {
        for (double& lr : lrs) lr = lr * o.start_factor;
        return lrs;
    }
    if (last_epoch_ > o.total_iters) return lrs;
    const double step = o.end_factor - o.start_factor;
    for (double& lr : lrs) {
        lr = lr * (1. + step / (static_cast<double>(o.total_iters) * o.start_factor +
                                static_cast<double>(last_epoch_ - 1) * step));
    }
    return lrs;
}

std::optional<std::vector<double>> LinearLR::closed_form_lr() const {
    const LinearLROptions& o = options_;
    const auto done = static_cast<double>(std::min(o.total_iters, last_epoch_));
    std::vector<double> lrs;
    for (double base : base_lrs_)
        lrs.push_back(base *
                      (o.start_factor + (o.end_factor - o.start_factor) * done / static_cast<double>(o.total_iters)));
    return lrs;
}

void LinearLR::save_extra(StateDict& d) const {
    d.metadata["start_factor"] = format_number(options_.start_factor);
    d.metadata["end_factor"] = format_number(options_.end_factor);
    d.metadata["total_iters"] = format_number(options_.total_iters);
}

std::function<void()> LinearLR::load_extra(const StateDict& d) {
    const std::string where = "LinearLR load_state_dict:";
    LinearLROptions o{detail::meta_number<double>(d, "start_factor", where),
                      detail::meta_number<double>(d, "end_factor", where),
                      detail::meta_number<std::int64_t>(d, "total_iters", where)};
    if (!(o.start_factor > 0.0) || o.total_iters <= 0) throw Error(where + " start_factor or total_iters out of range");
    return [=, this] { options_ = o; };
}

}  // namespace xg::optim
