// Adagrad, following torch/optim/adagrad.py's _single_tensor_adagrad (PyTorch 1.13): the same
// operations in the same order; the decayed lr is computed in double, as Python does.
#include "optim/adagrad.hpp"

#include <cmath>

#include "core/format.hpp"

namespace xg::optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions o) : Adagrad(one_group(std::move(params)), o) {}

Adagrad::Adagrad(std::vector<GroupSpec> groups, AdagradOptions defaults) : OptimizerWith(defaults) {
    check_options(defaults);
    add_groups(std::move(groups));
}

std::vector<Hyperparameter> Adagrad::fields(AdagradOptions& o) const {
    return {{"lr", &o.lr},
            {"lr_decay", &o.lr_decay},
            {"eps", &o.eps},
            {"weight_decay", &o.weight_decay},
            {"initial_accumulator_value", &o.initial_accumulator_value},
            {"maximize", &o.maximize}};
}

AdagradOptions Adagrad::merge(const AdagradGroupOptions& g, AdagradOptions o) const {
    o.lr = g.lr.value_or(o.lr);
    o.lr_decay = g.lr_decay.value_or(o.lr_decay);
    o.weight_decay = g.weight_decay.value_or(o.weight_decay);
    o.initial_accumulator_value = g.initial_accumulator_value.value_or(o.initial_accumulator_value);
    o.eps = g.eps.value_or(o.eps);
    o.maximize = g.maximize.value_or(o.maximize);
    return o;
}

void Adagrad::check_options(const AdagradOptions& o) const {
    check_hyper(o.lr >= 0.0, "learning rate: it must be >= 0, got " + format_number(o.lr));
    check_hyper(o.lr_decay >= 0.0, "lr_decay " + format_number(o.lr_decay));
    check_hyper(o.weight_decay >= 0.0, "weight_decay " + format_number(o.weight_decay));
    check_hyper(o.initial_accumulator_value >= 0.0,
                "initial_accumulator_value " + format_number(o.initial_accumulator_value));
    check_hyper(o.eps >= 0.0, "eps " + format_number(o.eps));
}

// PyTorch fills the state in __init__: step 0 and sum = initial_accumulator_value.
void Adagrad::on_group_added(std::size_t group) {
    const Group& g = groups_.at(group);
    std::size_t index = state_.size() - g.params.size();
    for (const Tensor& p : g.params) {
        state_[index++] = ParamState{
            0, {{"sum", xt::xarray<float>(xt::full_like(p.data(), static_cast<float>(g.initial_accumulator_value)))}}};
    }
}

void Adagrad::step() {
    std::size_t index = 0;  // the parameter's index across groups, as in state_dict
    for (Group& o : groups_) {
        const float sign = o.maximize ? -1.0f : 1.0f, wd = static_cast<float>(o.weight_decay);
        const float eps = static_cast<float>(o.eps);
        for (Tensor& p : o.params) {
            std::optional<ParamState>& state = state_[index++];
            const Tensor grad = p.grad();
            if (!grad.defined()) continue;
            if (!state) {  // a state_dict without this parameter's state: start it as __init__ does
                state = ParamState{0,
                                   {{"sum", xt::xarray<float>(xt::full_like(
                                                p.data(), static_cast<float>(o.initial_accumulator_value)))}}};
            }
            state->step += 1;
            const auto t = static_cast<double>(state->step);
            const float neg_clr = static_cast<float>(-(o.lr / (1.0 + (t - 1.0) * o.lr_decay)));
            float* w = p.data().data();
            const float* gr = grad.data().data();
            float* sum = state->buffer("sum").data();
            for (std::size_t k = 0, n = p.numel(); k < n; ++k) {
                float g = sign * gr[k];
                if (wd != 0.0f) g = g + wd * w[k];          // grad.add(p, alpha=wd)
                sum[k] = sum[k] + 1.0f * g * g;             // state_sum.addcmul_(g, g, value=1)
                const float std = std::sqrt(sum[k]) + eps;  // state_sum.sqrt().add_(eps)
                w[k] = w[k] + neg_clr * g / std;            // p.addcdiv_(g, std, value=-clr)
            }
        }
    }
}

}  // namespace xg::optim
