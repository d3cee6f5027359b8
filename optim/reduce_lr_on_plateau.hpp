// optim::ReduceLROnPlateau: torch.optim.lr_scheduler.ReduceLROnPlateau (1.13). step(metric) after
// each evaluation; when the metric has not improved (by threshold, relative or absolute) for more
// than `patience` steps, every group's lr is multiplied by factor (not below min_lr), then
// `cooldown` steps pass before counting again. Like PyTorch's, it is not an LRScheduler: it
// needs the metric, and it sets no initial_lr.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "optim/optimizer.hpp"

namespace xg::optim {

struct ReduceLROnPlateauOptions {
    std::string mode = "min";  // "min": lower is better; "max": higher is better
    double factor = 0.1;
    std::int64_t patience = 10;
    double threshold = 1e-4;
    std::string threshold_mode = "rel";  // "rel": best·(1 ∓ threshold); "abs": best ∓ threshold
    std::int64_t cooldown = 0;
    double min_lr = 0.0;
    std::vector<double> min_lrs = {};  // one per group; when given, replaces min_lr
    double eps = 1e-8;                 // a reduction smaller than eps is skipped
};

class ReduceLROnPlateau {
public:
    ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
    void step(double metric);
    std::vector<double> get_last_lr() const { return last_lr_; }
    std::int64_t last_epoch() const { return last_epoch_; }
    double best() const { return best_; }
    std::int64_t num_bad_epochs() const { return num_bad_epochs_; }

    // metadata "scheduler" = "ReduceLROnPlateau", its options and counters (best may be inf).
    StateDict state_dict() const;
    void load_state_dict(const StateDict& dict);

private:
    bool is_better(double a, double best) const;
    static void check(const ReduceLROnPlateauOptions& o, std::size_t groups);
    Optimizer& optimizer_;
    ReduceLROnPlateauOptions options_;
    double best_;
    std::int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
    std::vector<double> last_lr_;
};

}  // namespace xg::optim
