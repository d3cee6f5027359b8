// Adam and AdamW, following torch/optim/adam.py and adamw.py (_single_tensor_* in PyTorch 1.13):
// the same operations in the same order, scalars computed in double and applied as float.
#include "optim/adam.hpp"

#include <cmath>

namespace xg::optim {

namespace {
AdamOptions from(const AdamWOptions& o) { return {o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad, o.maximize}; }
}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Adam(std::move(params), o, false) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions o, bool decoupled)
    : Optimizer(std::move(params), o.lr), options(o), decoupled_(decoupled) {
    check_hyper(o.eps >= 0.0, "eps " + std::to_string(o.eps));
    check_hyper(o.betas.first >= 0.0 && o.betas.first < 1.0, "beta1 " + std::to_string(o.betas.first));
    check_hyper(o.betas.second >= 0.0 && o.betas.second < 1.0, "beta2 " + std::to_string(o.betas.second));
    check_hyper(o.weight_decay >= 0.0, "weight_decay " + std::to_string(o.weight_decay));
    state_.resize(params_.size());
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o) : Adam(std::move(params), from(o), true) {}

void Adam::step() {
    const double beta1 = options.betas.first, beta2 = options.betas.second;
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
        Array g = options.maximize ? Array(-grad.data()) : grad.data();
        if (options.weight_decay != 0.0) {
            if (decoupled_) p.data() *= static_cast<float>(1.0 - lr_ * options.weight_decay);
            else g = g + static_cast<float>(options.weight_decay) * p.data();
        }
        // exp_avg.mul_(β1).add_(g, alpha=1-β1);  exp_avg_sq.mul_(β2).addcmul_(g, g, value=1-β2)
        s.exp_avg = s.exp_avg * static_cast<float>(beta1) + static_cast<float>(1.0 - beta1) * g;
        s.exp_avg_sq = s.exp_avg_sq * static_cast<float>(beta2) + static_cast<float>(1.0 - beta2) * g * g;

        const auto t = static_cast<double>(s.step);
        const double bias_correction1 = 1.0 - std::pow(beta1, t);
        const double bias_correction2 = 1.0 - std::pow(beta2, t);
        const double step_size = lr_ / bias_correction1;
        const auto bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
        const Array* second = &s.exp_avg_sq;
        if (options.amsgrad) {
            s.max_exp_avg_sq = xt::maximum(s.max_exp_avg_sq, s.exp_avg_sq);
            second = &s.max_exp_avg_sq;
        }
        // denom = (√v / √bc2) + eps;  p.addcdiv_(m, denom, value=-step_size)
        Array denom = xt::sqrt(*second) / bc2_sqrt + static_cast<float>(options.eps);
        p.data() += static_cast<float>(-step_size) * s.exp_avg / denom;
    }
}

Optimizer::State Adam::state() const {
    State out;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (!state_[i]) continue;
        const std::string k = std::to_string(i);
        out.tensors[k + ".exp_avg"] = state_[i]->exp_avg;
        out.tensors[k + ".exp_avg_sq"] = state_[i]->exp_avg_sq;
        if (options.amsgrad) out.tensors[k + ".max_exp_avg_sq"] = state_[i]->max_exp_avg_sq;
        out.metadata[k + ".step"] = std::to_string(state_[i]->step);
    }
    return out;
}

void Adam::set_state(const State& in) {
    std::vector<std::optional<ParamState>> loaded(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const std::string k = std::to_string(i);
        auto step = in.metadata.find(k + ".step");
        auto m = in.tensors.find(k + ".exp_avg"), v = in.tensors.find(k + ".exp_avg_sq");
        if (step == in.metadata.end()) continue;  // this parameter had not been stepped yet
        if (m == in.tensors.end() || v == in.tensors.end()) throw Error(kind() + " load: moments of parameter " + k + " are missing");
        ParamState s{std::stoll(step->second), m->second, v->second, Array()};
        if (options.amsgrad) {
            auto mx = in.tensors.find(k + ".max_exp_avg_sq");
            if (mx == in.tensors.end()) throw Error(kind() + " load: amsgrad state of parameter " + k + " is missing");
            s.max_exp_avg_sq = mx->second;
        }
        loaded[i] = std::move(s);
    }
    state_ = std::move(loaded);
}

}  // namespace xg::optim
