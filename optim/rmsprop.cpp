// RMSprop, following torch/optim/rmsprop.py's _single_tensor_rmsprop (PyTorch 1.13): the same
// operations in the same order, scalars rounded to float as its kernels round them.
#include "optim/rmsprop.hpp"

#include <cmath>

#include "core/format.hpp"

namespace xg::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions o) : RMSprop(one_group(std::move(params)), o) {}

RMSprop::RMSprop(std::vector<GroupSpec> groups, RMSpropOptions defaults) : OptimizerWith(defaults) {
    check_options(defaults);
    add_groups(std::move(groups));
}

std::vector<Hyperparameter> RMSprop::fields(RMSpropOptions& o) const {
    return {{"lr", &o.lr},
            {"alpha", &o.alpha},
            {"eps", &o.eps},
            {"weight_decay", &o.weight_decay},
            {"momentum", &o.momentum},
            {"centered", &o.centered},
            {"maximize", &o.maximize}};
}

RMSpropOptions RMSprop::merge(const RMSpropGroupOptions& g, RMSpropOptions o) const {
    o.lr = g.lr.value_or(o.lr);
    o.alpha = g.alpha.value_or(o.alpha);
    o.eps = g.eps.value_or(o.eps);
    o.weight_decay = g.weight_decay.value_or(o.weight_decay);
    o.momentum = g.momentum.value_or(o.momentum);
    o.centered = g.centered.value_or(o.centered);
    o.maximize = g.maximize.value_or(o.maximize);
    return o;
}

void RMSprop::check_options(const RMSpropOptions& o) const {
    check_hyper(o.lr >= 0.0, "learning rate: it must be >= 0, got " + format_number(o.lr));
    check_hyper(o.eps >= 0.0, "eps " + format_number(o.eps));
    check_hyper(o.momentum >= 0.0, "momentum " + format_number(o.momentum));
    check_hyper(o.weight_decay >= 0.0, "weight_decay " + format_number(o.weight_decay));
    check_hyper(o.alpha >= 0.0, "alpha " + format_number(o.alpha));
}

std::vector<std::string> RMSprop::state_names(const RMSpropOptions& o) const {
    std::vector<std::string> names{"square_avg"};
    if (o.momentum > 0.0) names.emplace_back("momentum_buffer");
    if (o.centered) names.emplace_back("grad_avg");
    return names;
}

void RMSprop::step() {
    std::size_t index = 0;  // the parameter's index across groups, as in state_dict
    for (Group& o : groups_) {
        const float sign = o.maximize ? -1.0f : 1.0f, wd = static_cast<float>(o.weight_decay);
        const float alpha = static_cast<float>(o.alpha), one_minus_alpha = static_cast<float>(1.0 - o.alpha);
        const float eps = static_cast<float>(o.eps), momentum = static_cast<float>(o.momentum);
        const float neg_lr = static_cast<float>(-o.lr);
        for (Tensor& p : o.params) {
            std::optional<ParamState>& state = state_[index++];
            const Tensor grad = p.grad();
            if (!grad.defined()) continue;
            if (!state) state = ParamState{};
            for (const std::string& name : state_names(o))  // zeros on the first step (or a new option)
                if (!state->buffers.contains(name)) state->buffers[name] = xt::zeros<float>(p.shape());
            state->step += 1;
            float* w = p.data().data();
            const float* gr = grad.data().data();
            float* v = state->buffer("square_avg").data();
            float* gavg = o.centered ? state->buffer("grad_avg").data() : nullptr;
            float* buf = o.momentum > 0.0 ? state->buffer("momentum_buffer").data() : nullptr;
            for (std::size_t k = 0, n = p.numel(); k < n; ++k) {
                float g = sign * gr[k];
                if (wd != 0.0f) g = g + wd * w[k];              // grad.add(p, alpha=wd)
                v[k] = v[k] * alpha + one_minus_alpha * g * g;  // square_avg.mul_(α).addcmul_(g, g, value=1-α)
                float avg;
                if (gavg) {
                    gavg[k] = gavg[k] * alpha + one_minus_alpha * g;    // grad_avg.mul_(α).add_(g, alpha=1-α)
                    avg = std::sqrt(v[k] + -1.0f * gavg[k] * gavg[k]);  // square_avg.addcmul(ḡ, ḡ, value=-1).sqrt_()
                } else {
                    avg = std::sqrt(v[k]);
                }
                avg = avg + eps;  // avg.add_(eps)
                if (buf) {
                    buf[k] = buf[k] * momentum + 1.0f * g / avg;  // buf.mul_(m).addcdiv_(g, avg)
                    w[k] = w[k] + neg_lr * buf[k];                // p.add_(buf, alpha=-lr)
                } else {
                    w[k] = w[k] + neg_lr * g / avg;  // p.addcdiv_(g, avg, value=-lr)
                }
            }
        }
    }
}

}  // namespace xg::optim
