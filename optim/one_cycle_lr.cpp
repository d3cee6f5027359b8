// OneCycleLR, as torch/optim/lr_scheduler.py (1.13): the phases, the annealing functions and
// their order of operations, in double.
#include "optim/one_cycle_lr.hpp"

#include <cmath>
#include <numbers>

#include "core/format.hpp"
#include "optim/lr_scheduler_util.hpp"

namespace xg::optim {

namespace {
std::int64_t total_of(const OneCycleLROptions& o) {
    if (o.total_steps) {
        if (*o.total_steps <= 0)
            throw Error("OneCycleLR: total_steps must be a positive integer, got " + format_number(*o.total_steps));
        return *o.total_steps;
    }
    if (!o.epochs || !o.steps_per_epoch)
        throw Error("OneCycleLR: give either total_steps or (epochs and steps_per_epoch)");
    if (*o.epochs <= 0) throw Error("OneCycleLR: epochs must be a positive integer, got " + format_number(*o.epochs));
    if (*o.steps_per_epoch <= 0)
        throw Error("OneCycleLR: steps_per_epoch must be a positive integer, got " + format_number(*o.steps_per_epoch));
    return *o.epochs * *o.steps_per_epoch;
}
}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, OneCycleLROptions o)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.num_param_groups(), max_lr), std::move(o)) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, std::vector<double> max_lr, OneCycleLROptions o)
    : LRScheduler(optimizer), options_(std::move(o)), total_steps_(total_of(options_)), max_lrs_(std::move(max_lr)) {
    const OneCycleLROptions& opt = options_;
    const auto total = static_cast<double>(total_steps_);
    if (opt.three_phase) {
        phases_ = {{opt.pct_start * total - 1, Key::initial_lr, Key::max_lr, Key::max_momentum, Key::base_momentum},
                   {2 * opt.pct_start * total - 2, Key::max_lr, Key::initial_lr, Key::base_momentum, Key::max_momentum},
                   {total - 1, Key::initial_lr, Key::min_lr, Key::max_momentum, Key::max_momentum}};
    } else {
        phases_ = {{opt.pct_start * total - 1, Key::initial_lr, Key::max_lr, Key::max_momentum, Key::base_momentum},
                   {total - 1, Key::max_lr, Key::min_lr, Key::base_momentum, Key::max_momentum}};
    }
    if (!(opt.pct_start >= 0.0 && opt.pct_start <= 1.0))
        throw Error("OneCycleLR: pct_start must be between 0 and 1, got " + format_number(opt.pct_start));
    if (opt.anneal_strategy != "cos" && opt.anneal_strategy != "linear")
        throw Error("OneCycleLR: anneal_strategy must be \"cos\" or \"linear\", got \"" + opt.anneal_strategy + "\"");
    // A phase of no length would divide by zero at its first step (PyTorch: ZeroDivisionError), and
    // a NaN lr silently turns every weight into NaN: refuse it before changing the optimizer.
    for (std::size_t i = 0; i < phases_.size(); ++i) {
        const double start = i == 0 ? 0.0 : phases_[i - 1].end_step;
        if (phases_[i].end_step == start) {
            throw Error("OneCycleLR: phase " + format_number(i + 1) + " has no steps (pct_start " +
                        format_number(opt.pct_start) + " of " + format_number(total_steps_) +
                        " total steps): use more steps or another pct_start");
        }
    }
    const std::size_t groups = optimizer.num_param_groups();
    if (max_lrs_.size() != groups) {
        throw Error("OneCycleLR: expected " + format_number(groups) + " values for max_lr, got " +
                    format_number(max_lrs_.size()));
    }
    // PyTorch sets initial_lr (even when present), max_lr and min_lr in every group.
    for (std::size_t g = 0; g < groups; ++g) {
        const double initial = max_lrs_[g] / opt.div_factor;
        optimizer.group_base(g).initial_lr = initial;
        base_lrs_[g] = initial;
        min_lrs_.push_back(initial / opt.final_div_factor);
    }
    if (opt.cycle_momentum) {
        bool momentum = false, betas = false;
        for (const Hyperparameter& h : optimizer.hyperparameters(0)) {
            momentum = momentum || std::string(h.name) == "momentum";
            betas = betas || std::string(h.name) == "betas";
        }
        if (!momentum && !betas) {
            throw Error("OneCycleLR: " + optimizer.kind() +
                        " has no momentum nor betas to cycle; pass .cycle_momentum = false");
        }
        use_beta1_ = betas;
        for (std::size_t g = 0; g < groups; ++g) {
            momentum_of(g) = opt.max_momentum;
            max_momenta_.push_back(opt.max_momentum);
            base_momenta_.push_back(opt.base_momentum);
        }
    }
    initial_step();
}

double& OneCycleLR::momentum_of(std::size_t group) {
    for (const Hyperparameter& h : optimizer_.hyperparameters(group)) {
        if (use_beta1_ && std::string(h.name) == "betas") return std::get<std::pair<double, double>*>(h.value)->first;
        if (!use_beta1_ && std::string(h.name) == "momentum") return *std::get<double*>(h.value);
    }
    throw Error("OneCycleLR: " + optimizer_.kind() + " group " + format_number(group) + " has no momentum");
}

double OneCycleLR::value(std::size_t group, Key key) const {
    switch (key) {
        case Key::initial_lr: return optimizer_.group_base(group).initial_lr.value_or(base_lrs_[group]);
        case Key::max_lr: return max_lrs_[group];
        case Key::min_lr: return min_lrs_[group];
        case Key::max_momentum: return max_momenta_[group];
        case Key::base_momentum: return base_momenta_[group];
    }
    return 0.0;
}

double OneCycleLR::anneal(double start, double end, double pct) const {
    if (options_.anneal_strategy == "linear") return (end - start) * pct + start;
    const double cos_out = std::cos(std::numbers::pi * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
}

std::vector<double> OneCycleLR::get_lr() {
    const std::int64_t step_num = last_epoch_;
    if (step_num > total_steps_) {
        throw Error("OneCycleLR: tried to step " + format_number(step_num + 1) + " times; total steps is " +
                    format_number(total_steps_));
    }
    std::vector<double> lrs;
    for (std::size_t g = 0; g < base_lrs_.size(); ++g) {
        double start_step = 0, lr = 0, momentum = 0;
        for (std::size_t i = 0; i < phases_.size(); ++i) {
            const Phase& phase = phases_[i];
            if (static_cast<double>(step_num) <= phase.end_step || i == phases_.size() - 1) {
                const double pct = (static_cast<double>(step_num) - start_step) / (phase.end_step - start_step);
                lr = anneal(value(g, phase.start_lr), value(g, phase.end_lr), pct);
                if (options_.cycle_momentum)
                    momentum = anneal(value(g, phase.start_momentum), value(g, phase.end_momentum), pct);
                break;
            }
            start_step = phase.end_step;
        }
        lrs.push_back(lr);
        if (options_.cycle_momentum) momentum_of(g) = momentum;
    }
    return lrs;
}

void OneCycleLR::save_extra(StateDict& d) const {
    d.metadata["total_steps"] = format_number(total_steps_);
    d.metadata["max_lrs"] = detail::list_json(max_lrs_);
    d.metadata["min_lrs"] = detail::list_json(min_lrs_);
    d.metadata["max_momenta"] = detail::list_json(max_momenta_);
    d.metadata["base_momenta"] = detail::list_json(base_momenta_);
    // The momenta now in the optimizer: building the scheduler again (PyTorch's resume order) sets
    // them to max_momentum, and a resumed run must continue from the annealed values.
    if (options_.cycle_momentum) {
        std::vector<double> momenta;
        for (std::size_t g = 0; g < max_momenta_.size(); ++g)
            momenta.push_back(const_cast<OneCycleLR*>(this)->momentum_of(g));
        d.metadata["momenta"] = detail::list_json(momenta);
    }
}

std::function<void()> OneCycleLR::load_extra(const StateDict& d) {
    const std::string where = "OneCycleLR load_state_dict:";
    const auto total = detail::meta_number<std::int64_t>(d, "total_steps", where);
    auto max_lrs = detail::meta_list(d, "max_lrs", where), min_lrs = detail::meta_list(d, "min_lrs", where);
    auto max_m = detail::meta_list(d, "max_momenta", where), base_m = detail::meta_list(d, "base_momenta", where);
    if (total != total_steps_)
        throw Error(where + " the state is for " + format_number(total) + " total steps, this scheduler has " +
                    format_number(total_steps_));
    if (max_lrs.size() != max_lrs_.size() || min_lrs.size() != min_lrs_.size() || max_m.size() != max_momenta_.size() ||
        base_m.size() != base_momenta_.size())
        throw Error(where + " the per-group lists do not match this scheduler's " + format_number(max_lrs_.size()) +
                    " groups (or its cycle_momentum)");
    std::vector<double> momenta;
    if (options_.cycle_momentum) {
        momenta = detail::meta_list(d, "momenta", where);
        if (momenta.size() != max_momenta_.size())
            throw Error(where + " the state has " + format_number(momenta.size()) + " momenta, this scheduler has " +
                        format_number(max_momenta_.size()) + " groups");
    }
    return [=, this] {
        for (std::size_t g = 0; g < momenta.size(); ++g) momentum_of(g) = momenta[g];
        max_lrs_ = max_lrs;
        min_lrs_ = min_lrs;
        max_momenta_ = max_m;
        base_momenta_ = base_m;
    };
}

}  // namespace xg::optim
