// ReduceLROnPlateau, as torch/optim/lr_scheduler.py (1.13): is_better, the cooldown, the eps test.
#include "optim/reduce_lr_on_plateau.hpp"

#include <algorithm>
#include <cmath>

#include "core/format.hpp"
#include "optim/lr_scheduler_util.hpp"

namespace xg::optim {

namespace {
double worst(const std::string& mode) {
    return mode == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}
}  // namespace

void ReduceLROnPlateau::check(const ReduceLROnPlateauOptions& o, std::size_t groups) {
    const std::string who = "ReduceLROnPlateau: ";
    if (!(o.factor < 1.0)) throw Error(who + "factor must be < 1, got " + format_number(o.factor));
    if (o.mode != "min" && o.mode != "max")
        throw Error(who + "mode must be \"min\" or \"max\", got \"" + o.mode + "\"");
    if (o.threshold_mode != "rel" && o.threshold_mode != "abs")
        throw Error(who + "threshold_mode must be \"rel\" or \"abs\", got \"" + o.threshold_mode + "\"");
    if (!o.min_lrs.empty() && o.min_lrs.size() != groups) {
        throw Error(who + "expected " + format_number(groups) + " min_lrs (one per group), got " +
                    format_number(o.min_lrs.size()));
    }
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions o)
    : optimizer_(optimizer), options_(std::move(o)), best_(worst(options_.mode)) {
    check(options_, optimizer.num_param_groups());
    if (options_.min_lrs.empty()) options_.min_lrs.assign(optimizer.num_param_groups(), options_.min_lr);
    for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g) last_lr_.push_back(optimizer.group_lr(g));
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
    const ReduceLROnPlateauOptions& o = options_;
    if (o.mode == "min" && o.threshold_mode == "rel") return a < best * (1. - o.threshold);
    if (o.mode == "min") return a < best - o.threshold;
    if (o.threshold_mode == "rel") return a > best * (o.threshold + 1.);
    return a > best + o.threshold;
}

void ReduceLROnPlateau::step(double metric) {
    last_epoch_ += 1;
    // A NaN metric is never better, so it counts as a bad epoch (as in PyTorch).
    if (is_better(metric, best_)) {
        best_ = metric;
        num_bad_epochs_ = 0;
    } else {
        num_bad_epochs_ += 1;
    }
    if (cooldown_counter_ > 0) {
        cooldown_counter_ -= 1;
        num_bad_epochs_ = 0;  // bad epochs in cooldown don't count
    }
    if (num_bad_epochs_ > options_.patience) {
        for (std::size_t g = 0; g < options_.min_lrs.size(); ++g) {
            double& lr = optimizer_.group_lr(g);
            const double new_lr = std::max(lr * options_.factor, options_.min_lrs[g]);
            if (lr - new_lr > options_.eps) lr = new_lr;
        }
        cooldown_counter_ = options_.cooldown;
        num_bad_epochs_ = 0;
    }
    for (std::size_t g = 0; g < last_lr_.size(); ++g) last_lr_[g] = optimizer_.group_lr(g);
}

StateDict ReduceLROnPlateau::state_dict() const {
    const ReduceLROnPlateauOptions& o = options_;
    StateDict d;
    auto& m = d.metadata;
    m["scheduler"] = "ReduceLROnPlateau";
    m["mode"] = o.mode;
    m["factor"] = format_number(o.factor);
    m["patience"] = format_number(o.patience);
    m["threshold"] = format_number(o.threshold);
    m["threshold_mode"] = o.threshold_mode;
    m["cooldown"] = format_number(o.cooldown);
    m["min_lrs"] = detail::list_json(o.min_lrs);
    m["eps"] = format_number(o.eps);
    m["best"] = format_number(best_);
    m["num_bad_epochs"] = format_number(num_bad_epochs_);
    m["cooldown_counter"] = format_number(cooldown_counter_);
    m["last_epoch"] = format_number(last_epoch_);
    m["_last_lr"] = detail::list_json(last_lr_);
    return d;
}

void ReduceLROnPlateau::load_state_dict(const StateDict& d) {
    const std::string where = "ReduceLROnPlateau load_state_dict:";
    if (!d.metadata.contains("scheduler") || d.meta("scheduler") != "ReduceLROnPlateau")
        throw Error(where + " the state is not a ReduceLROnPlateau's");
    auto text = [&](const std::string& key) {
        if (!d.metadata.contains(key)) throw Error(where + " metadata '" + key + "' is missing");
        return d.meta(key);
    };
    ReduceLROnPlateauOptions o;
    o.mode = text("mode");
    o.factor = detail::meta_number<double>(d, "factor", where);
    o.patience = detail::meta_number<std::int64_t>(d, "patience", where);
    o.threshold = detail::meta_number<double>(d, "threshold", where);
    o.threshold_mode = text("threshold_mode");
    o.cooldown = detail::meta_number<std::int64_t>(d, "cooldown", where);
    o.min_lrs = detail::meta_list(d, "min_lrs", where);
    o.eps = detail::meta_number<double>(d, "eps", where);
    const std::size_t groups = optimizer_.num_param_groups();
    if (o.min_lrs.size() != groups)
        throw Error(where + " the state is for " + format_number(o.min_lrs.size()) + " groups, the optimizer has " +
                    format_number(groups));
    check(o, groups);
    const double best = detail::meta_number<double>(d, "best", where);
    const auto bad = detail::meta_number<std::int64_t>(d, "num_bad_epochs", where);
    const auto cooldown = detail::meta_number<std::int64_t>(d, "cooldown_counter", where);
    const auto last_epoch = detail::meta_number<std::int64_t>(d, "last_epoch", where);
    const std::vector<double> last = detail::meta_list(d, "_last_lr", where);
    if (last.size() != groups) throw Error(where + " '_last_lr' has " + format_number(last.size()) + " values");
    options_ = o;
    best_ = best;
    num_bad_epochs_ = bad;
    cooldown_counter_ = cooldown;
    last_epoch_ = last_epoch;
    last_lr_ = last;
    for (std::size_t g = 0; g < groups; ++g) optimizer_.group_lr(g) = last[g];
}

}  // namespace xg::optim
