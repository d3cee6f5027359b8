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
        if constexpr (Amsgrad) second = vmax[k] = std::max(vmax[k], v[k]);  // torch.maximum(max_exp_avg_sq, v)
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

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Adam(std::move(params), o, false) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions o, bool decoupled)
    : Optimizer(std::move(params)), options_(o), decoupled_(decoupled) {
    check_lr(o.lr);
    check_hyper(o.eps >= 0.0, "eps " + format_number(o.eps));
    check_hyper(o.betas.first >= 0.0 && o.betas.first < 1.0, "beta1 " + format_number(o.betas.first));
    check_hyper(o.betas.second >= 0.0 && o.betas.second < 1.0, "beta2 " + format_number(o.betas.second));
    check_hyper(o.weight_decay >= 0.0, "weight_decay " + format_number(o.weight_decay));
    state_.resize(params_.size());
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o) : Adam(std::move(params), from(o), true) {}

// One fused pass per parameter, with PyTorch's operations in PyTorch's order (the tests compare
// against its numbers): every product and sum below is rounded to float exactly as its kernels do.
void Adam::step() {
    const AdamOptions& options = options_;
    const double beta1 = options.betas.first, beta2 = options.betas.second;
    AdamScalars c{};
    c.sign = options.maximize ? -1.0f : 1.0f;
    c.b1 = static_cast<float>(beta1);
    c.one_minus_b1 = static_cast<float>(1.0 - beta1);
    c.b2 = static_cast<float>(beta2);
    c.one_minus_b2 = static_cast<float>(1.0 - beta2);
    c.eps = static_cast<float>(options.eps);
    c.wd = static_cast<float>(options.weight_decay);
    c.shrink = static_cast<float>(1.0 - options.lr * options.weight_decay);
    const bool has_decay = options.weight_decay != 0.0;
    const AdamKernel kernel = pick_kernel(has_decay && !decoupled_, has_decay && decoupled_, options.amsgrad);
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Tensor& p = params_[i];
        const Tensor grad = p.grad();
        if (!grad.defined()) continue;
        if (!state_[i]) {
            state_[i] = ParamState{0, xt::zeros<float>(p.shape()), xt::zeros<float>(p.shape()),
                                   options.amsgrad ? Array(xt::zeros<float>(p.shape())) : Array()};
        }
        ParamState& s = *state_[i];
        s.step += 1;
        const auto t = static_cast<double>(s.step);
        c.neg_step = static_cast<float>(-(options.lr / (1.0 - std::pow(beta1, t))));  // Python: lr / bias_correction1
        c.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, t)));
        kernel(p.numel(), p.data().data(), grad.data().data(), s.exp_avg.data(), s.exp_avg_sq.data(),
               options.amsgrad ? s.max_exp_avg_sq.data() : nullptr, c);
    }
}

Optimizer::State Adam::state() const {
    State out;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (!state_[i]) continue;
        const std::string k = format_number(i);
        out.tensors[k + ".exp_avg"] = state_[i]->exp_avg;
        out.tensors[k + ".exp_avg_sq"] = state_[i]->exp_avg_sq;
        if (options_.amsgrad) out.tensors[k + ".max_exp_avg_sq"] = state_[i]->max_exp_avg_sq;
        out.metadata[k + ".step"] = format_number(state_[i]->step);
    }
    return out;
}

void Adam::set_state(const State& in) {
    std::vector<std::optional<ParamState>> loaded(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const std::string k = format_number(i), where = kind() + " load: " + in.origin;
        auto step = in.metadata.find(k + ".step");
        auto m = in.tensors.find(k + ".exp_avg"), v = in.tensors.find(k + ".exp_avg_sq");
        if (step == in.metadata.end()) continue;  // this parameter had not been stepped yet
        if (m == in.tensors.end() || v == in.tensors.end())
            throw Error(where + ": moments of parameter " + k + " are missing");
        ParamState s{parse_number<std::int64_t>(step->second, where + ": metadata '" + k + ".step'"), m->second,
                     v->second, Array()};
        if (s.step < 0)
            throw Error(where + ": metadata '" + k + ".step' is " + step->second + ", a step count can't be negative");
        if (options_.amsgrad) {
            auto mx = in.tensors.find(k + ".max_exp_avg_sq");
            if (mx == in.tensors.end()) throw Error(where + ": amsgrad state of parameter " + k + " is missing");
            s.max_exp_avg_sq = mx->second;
        }
        loaded[i] = std::move(s);
    }
    state_ = std::move(loaded);
}

}  // namespace xg::optim
