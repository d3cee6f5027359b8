// Adam and AdamW, following torch/optim/adam.py and adamw.py (_single_tensor_* in PyTorch 1.13):
// the same operations in the same order, scalars computed in double and applied as float, so
// every element rounds as PyTorch's kernels round it (the tests compare against its numbers).
#include "optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "core/format.hpp"
#include "core/simd.hpp"

namespace xg::optim {

namespace {

struct AdamScalars {
    float sign, b1, one_minus_b1, b2, one_minus_b2, eps, wd, shrink, neg_step, bc2_sqrt;
};

// The update of n elements. The options are template parameters so that each variant is a
// branch-free loop the compiler vectorises; the pointers never alias.
template <bool L2, bool Decay, bool Amsgrad>
XGRAD_TARGET_CLONES void adam_kernel(std::size_t n, float* __restrict w, const float* __restrict gr,
                                     float* __restrict m, float* __restrict v, float* __restrict vmax,
                                     const AdamScalars c) {
    for (std::size_t k = 0; k < n; ++k) {
        float g = c.sign * gr[k];
        if constexpr (Decay) w[k] = w[k] * c.shrink;  // AdamW: p.mul_(1 - lr·wd)
        if constexpr (L2) g = g + c.wd * w[k];        // Adam: grad.add(p, alpha=wd)
        m[k] = m[k] * c.b1 + c.one_minus_b1 * g;      // exp_avg.mul_(β1).add_(g, alpha=1-β1)
        v[k] = v[k] * c.b2 + c.one_minus_b2 * g * g;  // exp_avg_sq.mul_(β2).addcmul_(g, g, value=1-β2)
        float second = v[k];
        // torch.maximum(max_exp_avg_sq, v), which keeps a NaN from either side (std::max drops v's).
        if constexpr (Amsgrad) second = vmax[k] = (vmax[k] < v[k] || v[k] != v[k]) ? v[k] : vmax[k];
        const float denom = std::sqrt(second) / c.bc2_sqrt + c.eps;
        w[k] = w[k] + c.neg_step * m[k] / denom;  // p.addcdiv_(m, denom, value=-step_size)
    }
}

using AdamKernel = void (*)(std::size_t, float*, const float*, float*, float*, float*, AdamScalars);

AdamKernel pick_kernel(bool l2, bool decay, bool amsgrad) {
    static constexpr AdamKernel table[2][2][2] = {
        {{adam_kernel<false, false, false>, adam_kernel<false, false, true>},
         {adam_kernel<false, true, false>, adam_kernel<false, true, true>}},
        {{adam_kernel<true, false, false>, adam_kernel<true, false, true>},
         {adam_kernel<true, true, false>, adam_kernel<true, true, true>}},
    };
    return table[l2][decay][amsgrad];
}

AdamOptions from(const AdamWOptions& o) { return {o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad, o.maximize}; }
}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Adam(one_group(std::move(params)), o, false) {}
Adam::Adam(std::vector<GroupSpec> groups, AdamOptions o) : Adam(std::move(groups), o, false) {}

Adam::Adam(std::vector<GroupSpec> groups, AdamOptions defaults, bool decoupled)
    : OptimizerWith(defaults), decoupled_(decoupled) {
    check_options(defaults);
    add_groups(std::move(groups));
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o) : Adam(one_group(std::move(params)), from(o), true) {}
AdamW::AdamW(std::vector<GroupSpec> groups, AdamWOptions o) : Adam(std::move(groups), from(o), true) {}

std::vector<Hyperparameter> Adam::fields(AdamOptions& o) const {
    return {{"lr", &o.lr},           {"betas", &o.betas},      {"eps", &o.eps}, {"weight_decay", &o.weight_decay},
            {"amsgrad", &o.amsgrad}, {"maximize", &o.maximize}};
}

AdamOptions Adam::merge(const AdamGroupOptions& g, AdamOptions o) const {
    o.lr = g.lr.value_or(o.lr);
    o.betas = g.betas.value_or(o.betas);
    o.eps = g.eps.value_or(o.eps);
    o.weight_decay = g.weight_decay.value_or(o.weight_decay);
    o.amsgrad = g.amsgrad.value_or(o.amsgrad);
    o.maximize = g.maximize.value_or(o.maximize);
    return o;
}

void Adam::check_options(const AdamOptions& o) const {
    check_hyper(o.lr >= 0.0, "learning rate: it must be >= 0, got " + format_number(o.lr));
    check_hyper(o.eps >= 0.0, "eps " + format_number(o.eps));
    check_hyper(o.betas.first >= 0.0 && o.betas.first < 1.0, "beta1 " + format_number(o.betas.first));
    check_hyper(o.betas.second >= 0.0 && o.betas.second < 1.0, "beta2 " + format_number(o.betas.second));
    check_hyper(o.weight_decay >= 0.0, "weight_decay " + format_number(o.weight_decay));
}

std::vector<std::string> Adam::state_names(const AdamOptions& o) const {
    if (o.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    return {"exp_avg", "exp_avg_sq"};
}

// One fused pass per parameter, with PyTorch's operations in PyTorch's order (the tests compare
// against its numbers): every product and sum below is rounded to float exactly as its kernels do.
void Adam::step() {
    std::size_t index = 0;  // the parameter's index across groups, as in state_dict
    for (Group& group : groups_) {
        const double beta1 = group.betas.first, beta2 = group.betas.second;
        AdamScalars c{};
        c.sign = group.maximize ? -1.0f : 1.0f;
        c.b1 = static_cast<float>(beta1);
        c.one_minus_b1 = static_cast<float>(1.0 - beta1);
        c.b2 = static_cast<float>(beta2);
        c.one_minus_b2 = static_cast<float>(1.0 - beta2);
        c.eps = static_cast<float>(group.eps);
        c.wd = static_cast<float>(group.weight_decay);
        c.shrink = static_cast<float>(1.0 - group.lr * group.weight_decay);
        const bool has_decay = group.weight_decay != 0.0;
        const AdamKernel kernel = pick_kernel(has_decay && !decoupled_, has_decay && decoupled_, group.amsgrad);
        for (Tensor& p : group.params) {
            std::optional<ParamState>& state = state_[index++];
            const Tensor grad = p.grad();
            if (!grad.defined()) continue;
            if (!state) {
                state = ParamState{
                    0, {{"exp_avg", xt::zeros<float>(p.shape())}, {"exp_avg_sq", xt::zeros<float>(p.shape())}}};
            }
            if (group.amsgrad && !state->buffers.contains("max_exp_avg_sq"))
                state->buffers["max_exp_avg_sq"] = xt::zeros<float>(p.shape());
            ParamState& s = *state;
            s.step += 1;
            const auto t = static_cast<double>(s.step);
            c.neg_step = static_cast<float>(-(group.lr / (1.0 - std::pow(beta1, t))));  // Python: lr / bias_correction1
            c.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, t)));
            kernel(p.numel(), p.data().data(), grad.data().data(), s.buffer("exp_avg").data(),
                   s.buffer("exp_avg_sq").data(), group.amsgrad ? s.buffer("max_exp_avg_sq").data() : nullptr, c);
        }
    }
}

}  // namespace xg::optim
