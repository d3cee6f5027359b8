// SequentialLR, as torch/optim/lr_scheduler.py (1.13), quirks included: its constructor puts every
// group's lr back to initial_lr, winds every scheduler's last_epoch back by one (their own
// constructors stepped), and re-runs the first one's initial step.
#include "optim/sequential_lr.hpp"

#include <algorithm>

#include "core/format.hpp"
#include "optim/lr_scheduler_util.hpp"

namespace xg::optim {

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::reference_wrapper<LRScheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
    if (schedulers_.empty()) throw Error("SequentialLR: no schedulers given");
    for (std::size_t i = 0; i < schedulers_.size(); ++i) {
        if (&schedulers_[i].get().optimizer() != &optimizer) {
            throw Error("SequentialLR: scheduler " + format_number(i) + " (" + schedulers_[i].get().kind() +
                        ") drives another optimizer; all must drive the one given");
        }
    }
    if (milestones_.size() + 1 != schedulers_.size()) {
        throw Error("SequentialLR: " + format_number(schedulers_.size()) + " schedulers need " +
                    format_number(schedulers_.size() - 1) + " milestones, got " + format_number(milestones_.size()));
    }
    last_epoch_ = 0;  // PyTorch: last_epoch + 1
    for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g)
        optimizer.group_lr(g) = *optimizer.group_base(g).initial_lr;
    for (LRScheduler& s : schedulers_) s.last_epoch_ -= 1;
    schedulers_[0].get().initial_step();
    last_lr_ = schedulers_[0].get().get_last_lr();
}

void SequentialLR::step() {
    ++last_epoch_;
    const auto idx = static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) -
                                              milestones_.begin());
    LRScheduler& scheduler = schedulers_[idx];
    if (idx > 0 && milestones_[idx - 1] == last_epoch_) scheduler.step_to(0);
    else scheduler.step();
    last_lr_ = scheduler.get_last_lr();
}

StateDict SequentialLR::state_dict() const {
    StateDict d;
    d.metadata["scheduler"] = kind();
    d.metadata["last_epoch"] = format_number(last_epoch_);
    d.metadata["_last_lr"] = detail::list_json(last_lr_);
    d.metadata["_milestones"] = detail::list_json(milestones_);
    for (std::size_t i = 0; i < schedulers_.size(); ++i)
        d.insert("schedulers." + format_number(i), schedulers_[i].get().state_dict());
    return d;
}

std::function<void()> SequentialLR::prepare_load(const StateDict& d) {
    const std::string where = "SequentialLR load_state_dict:";
    if (!d.metadata.contains("scheduler") || d.meta("scheduler") != kind())
        throw Error(where + " the state is not a SequentialLR's");
    const auto last_epoch = detail::meta_number<std::int64_t>(d, "last_epoch", where);
    const std::vector<double> last = detail::meta_list(d, "_last_lr", where);
    const std::vector<double> milestones = detail::meta_list(d, "_milestones", where);
    if (milestones.size() != milestones_.size() || last.size() != base_lrs_.size())
        throw Error(where + " the state has " + format_number(milestones.size() + 1) + " schedulers and " +
                    format_number(last.size()) + " groups, this one " + format_number(schedulers_.size()) + " and " +
                    format_number(base_lrs_.size()));
    // Every part is checked (prepared) before any is installed: the whole load is all or nothing.
    std::vector<std::function<void()>> installs;
    for (std::size_t i = 0; i < schedulers_.size(); ++i) {
        const StateDict part = d.sub("schedulers." + format_number(i));
        if (!part.metadata.contains("scheduler") || part.meta("scheduler") != schedulers_[i].get().kind())
            throw Error(where + " scheduler " + format_number(i) + " is a " + schedulers_[i].get().kind() +
                        ", the state's is not");
        installs.push_back(schedulers_[i].get().prepare_load(part));
    }
    return [=, this] {
        for (const auto& install : installs) install();
        last_epoch_ = last_epoch;
        for (std::size_t i = 0; i < milestones.size(); ++i) milestones_[i] = static_cast<std::int64_t>(milestones[i]);
        set_lrs(last);
    };
}

}  // namespace xg::optim
