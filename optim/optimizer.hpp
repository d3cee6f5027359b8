// optim::Optimizer: the base of SGD, Adam, AdamW, RMSprop and Adagrad, with PyTorch's parameter
// groups. A group is a list of parameters plus its own copy of the hyperparameters (lr,
// weight_decay, ...); the constructor takes groups that override some of the defaults:
//
//   // no weight decay on biases (PyTorch: [{'params': weights}, {'params': biases, 'weight_decay': 0}])
//   optim::SGD opt({{weights}, {biases, {.weight_decay = 0}}}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4});
//   // fine-tuning: the pretrained backbone at a tenth of the head's lr
//   optim::Adam opt({{backbone.parameters(), {.lr = 1e-4}}, {head.parameters()}}, 1e-3);
//   opt.param_groups()[1].lr = 5e-4;   // any hyperparameter of a group is readable and settable
//
// (Groups of single tensors written {{{w}}, {{b}}} also read as a list of two tensors, so the call is
// ambiguous and does not compile: name the type, std::vector<optim::SGD::GroupSpec>{{{w}}, {{b}}}.)
//
// state_dict() flattens PyTorch's layout: tensors "state.<i>.exp_avg" (i: the parameter's index
// counted across groups), metadata "state.<i>.step", "optimizer" (the kind) and "param_groups"
// (JSON: every hyperparameter, the parameter indices, and "initial_lr" once a scheduler set it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/state_dict.hpp"
#include "core/tensor.hpp"

namespace xg::optim {

// One hyperparameter of a group, by PyTorch's name, for code that works with any optimizer
// (state_dict's JSON, schedulers that move "lr", "momentum" or "betas").
struct Hyperparameter {
    const char* name;
    std::variant<double*, bool*, std::pair<double, double>*> value;
};

// What every parameter group has besides its hyperparameters.
struct ParamGroupBase {
    std::vector<Tensor> params;
    std::optional<double> initial_lr;  // set by the first scheduler built on the optimizer, as PyTorch
};

// param_groups()[i]: a full set of options (.lr, .weight_decay, ...) plus .params and .initial_lr.
template <class Options>
struct ParamGroup : ParamGroupBase, Options {};

// A group as the constructor and add_param_group take it: the parameters, and the options that
// differ from the optimizer's defaults (a struct of std::optional fields: unset means default).
template <class GroupOptions>
struct ParamGroupSpec {
    std::vector<Tensor> params;
    GroupOptions options = {};
};

// The learning rate alone, as in optim::SGD(params, 0.01). A class rather than a double so that
// SGD(params, {}) still means "the default options", not lr = 0.
struct LearningRate {
    LearningRate(double lr) : value(lr) {}  // NOLINT: implicit on purpose
    double value;
};

class Optimizer {
public:
    virtual ~Optimizer() = default;

    // One update of every parameter that has a gradient; parameters without one are skipped.
    // Updates write the parameters' values in place and are never recorded on the tape.
    virtual void step() = 0;
    void zero_grad();  // clears the grads (PyTorch's set_to_none=True)

    // Group 0's learning rate; set_lr sets every group's (param_groups()[i].lr sets one).
    double lr() const;
    void set_lr(double lr);
    std::vector<Tensor> params() const;  // every group's, in order: the indices of state_dict

    // The groups seen without their optimizer's type, for schedulers and state_dict.
    virtual std::size_t num_param_groups() const = 0;
    virtual ParamGroupBase& group_base(std::size_t group) = 0;
    const ParamGroupBase& group_base(std::size_t group) const {
        return const_cast<Optimizer*>(this)->group_base(group);
    }
    virtual std::vector<Hyperparameter> hyperparameters(std::size_t group) = 0;  // "lr" first
    double& group_lr(std::size_t group);
    double group_lr(std::size_t group) const { return const_cast<Optimizer*>(this)->group_lr(group); }
    virtual std::string kind() const = 0;  // "SGD", "Adam", ...

    // The state to resume from: per-parameter buffers and steps, and every group's options.
    // load_state_dict checks the kind, the groups and their sizes, every shape and number before
    // changing anything, and then replaces the hyperparameters too (as PyTorch does).
    StateDict state_dict() const;
    void load_state_dict(const StateDict& dict);
    void save(const std::string& path) const;  // xg::save(state_dict(), path)
    void load(const std::string& path);        // load_state_dict(xg::load(path)), errors name the file

protected:
    // Per-parameter state, PyTorch's state[p]: the step count and named buffers (exp_avg, ...).
    struct ParamState {
        std::int64_t step = 0;
        std::map<std::string, Array> buffers;
        Array& buffer(const std::string& name) { return buffers.at(name); }
    };
    std::vector<std::optional<ParamState>> state_;  // by the parameter's index across groups

    // Whether the state counts steps (SGD's does not): what state_dict writes and load expects.
    virtual bool counts_steps() const { return true; }
    // Checks parsed group values; returns what installs them (all or nothing) and, per group, the
    // buffers its parameters have once stepped under those values: what load_state_dict expects.
    using GroupValues = std::vector<std::map<std::string, std::variant<double, bool, std::pair<double, double>>>>;
    struct PreparedGroups {
        std::function<void()> install;
        std::vector<std::vector<std::string>> state_names;
    };
    virtual PreparedGroups prepare_groups(const GroupValues& values,
                                          const std::vector<std::optional<double>>& initial_lrs) = 0;

    static void check_hyper(bool ok, const std::string& what);
    // Every parameter defined, a leaf, and in no group yet: PyTorch refuses one in two groups and
    // only warns about one listed twice in a group, which would be updated twice; xgrad refuses both.
    void check_params(const std::vector<Tensor>& params) const;
};

// OptimizerWith<Options, GroupOptions>: the groups of one optimizer type, typed, so that
// param_groups()[i].momentum is a double. SGD, Adam, ... derive from it and add their update.
template <class Options, class GroupOptions>
class OptimizerWith : public Optimizer {
public:
    using Group = ParamGroup<Options>;
    using GroupSpec = ParamGroupSpec<GroupOptions>;

    std::vector<Group>& param_groups() { return groups_; }
    const std::vector<Group>& param_groups() const { return groups_; }
    const Options& defaults() const { return defaults_; }

    // Adds a group, its unset options taken from defaults(), as PyTorch's add_param_group.
    void add_param_group(GroupSpec spec) {
        check_params(spec.params);
        Group g;
        static_cast<Options&>(g) = merge(spec.options, defaults_);
        check_options(g);
        g.params = std::move(spec.params);
        state_.resize(state_.size() + g.params.size());
        groups_.push_back(std::move(g));
        on_group_added(groups_.size() - 1);
    }

    std::size_t num_param_groups() const override { return groups_.size(); }
    ParamGroupBase& group_base(std::size_t group) override { return groups_.at(group); }
    std::vector<Hyperparameter> hyperparameters(std::size_t group) override { return fields(groups_.at(group)); }

protected:
    explicit OptimizerWith(Options defaults) : defaults_(defaults) {}
    static std::vector<GroupSpec> one_group(std::vector<Tensor> params) {
        if (params.empty()) throw Error("optimizer got an empty parameter list");
        return {GroupSpec{std::move(params)}};
    }
    void add_groups(std::vector<GroupSpec> specs) {
        if (specs.empty()) throw Error(kind() + ": optimizer got an empty parameter list");
        for (GroupSpec& s : specs) add_param_group(std::move(s));
    }

    // Per optimizer: its options by name, the defaults with a group's overrides applied, the
    // checks on a group's values, and what a new group needs (Adagrad fills its state).
    virtual std::vector<Hyperparameter> fields(Options& o) const = 0;
    virtual Options merge(const GroupOptions& overrides, Options defaults) const = 0;
    virtual void check_options(const Options& o) const = 0;
    virtual void on_group_added(std::size_t) {}
    // The buffers a parameter of a group with these options has once stepped ("momentum_buffer"
    // when momentum > 0, ...).
    virtual std::vector<std::string> state_names(const Options& o) const = 0;

    PreparedGroups prepare_groups(const GroupValues& values,
                                  const std::vector<std::optional<double>>& initial_lrs) override {
        std::vector<Group> next = groups_;
        std::vector<std::vector<std::string>> names;
        for (std::size_t i = 0; i < next.size(); ++i) {
            for (Hyperparameter& h : fields(next[i])) {
                std::visit(
                    [&](auto* field) {
                        *field = std::get<std::remove_pointer_t<decltype(field)>>(values[i].at(h.name));
                    },
                    h.value);
            }
            check_options(next[i]);
            next[i].initial_lr = initial_lrs[i];
            names.push_back(state_names(next[i]));
        }
        return {[this, next = std::move(next)]() mutable { groups_ = std::move(next); }, names};
    }

    std::vector<Group> groups_;
    Options defaults_;
};

// Rescales every gradient so their total norm is at most max_norm, as torch.nn.utils.clip_grad_norm_
// (1.13): the norm of the per-tensor norms (norm_type 2, any p > 0, or infinity), every gradient
// multiplied by min(max_norm / (total + 1e-6), 1). Returns the total norm before clipping. A NaN
// is never hidden: a NaN norm makes every gradient NaN, an infinite one sets the finite ones to 0
// (as PyTorch); with error_if_nonfinite a NaN or infinite norm is an xg::Error instead.
struct ClipGradNormOptions {
    double norm_type = 2.0;
    bool error_if_nonfinite = false;
};
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, ClipGradNormOptions options = {});
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite = false);

}  // namespace xg::optim

// Where PyTorch keeps it: nn::utils::clip_grad_norm_(model.parameters(), 1.0) is the same function.
namespace xg::nn::utils {
using optim::clip_grad_norm_;
using optim::ClipGradNormOptions;
}  // namespace xg::nn::utils
