// SGD, following torch/optim/sgd.py's _single_tensor_sgd operation by operation.
#include "optim/sgd.hpp"

#include "core/format.hpp"
#include "core/simd.hpp"

namespace xg::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : SGD(one_group(std::move(params)), o) {}

SGD::SGD(std::vector<GroupSpec> groups, SGDOptions defaults) : OptimizerWith(defaults) {
    check_options(defaults);
    add_groups(std::move(groups));
}

std::vector<Hyperparameter> SGD::fields(SGDOptions& o) const {
    return {{"lr", &o.lr},
            {"momentum", &o.momentum},
            {"dampening", &o.dampening},
            {"weight_decay", &o.weight_decay},
            {"nesterov", &o.nesterov},
            {"maximize", &o.maximize}};
}

SGDOptions SGD::merge(const SGDGroupOptions& g, SGDOptions o) const {
    o.lr = g.lr.value_or(o.lr);
    o.momentum = g.momentum.value_or(o.momentum);
    o.dampening = g.dampening.value_or(o.dampening);
    o.weight_decay = g.weight_decay.value_or(o.weight_decay);
    o.nesterov = g.nesterov.value_or(o.nesterov);
    o.maximize = g.maximize.value_or(o.maximize);
    return o;
}

void SGD::check_options(const SGDOptions& o) const {
    check_hyper(o.lr >= 0.0, "learning rate: it must be >= 0, got " + format_number(o.lr));
    check_hyper(o.momentum >= 0.0, "momentum " + format_number(o.momentum));
    check_hyper(o.weight_decay >= 0.0, "weight_decay " + format_number(o.weight_decay));
    check_hyper(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
                "nesterov: it requires momentum > 0 and dampening = 0");
}

std::vector<std::string> SGD::state_names(const SGDOptions& o) const {
    if (o.momentum == 0.0) return {};
    return {"momentum_buffer"};
}

namespace {
struct SGDScalars {
    float sign, wd, momentum, damp, neg_lr;
};

// One branch-free, vectorisable pass per variant, in the order of PyTorch's _single_tensor_sgd.
template <bool WeightDecay, bool Momentum, bool First, bool Nesterov>
XGRAD_TARGET_CLONES void sgd_kernel(std::size_t n, float* __restrict w, const float* __restrict gr,
                                    float* __restrict buf, const SGDScalars c) {
    for (std::size_t k = 0; k < n; ++k) {
        float d = c.sign * gr[k];
        if constexpr (WeightDecay) d = d + c.wd * w[k];  // d_p.add(p, alpha=wd)
        if constexpr (Momentum) {
            buf[k] = First ? d : buf[k] * c.momentum + c.damp * d;  // buf.mul_(m).add_(d_p, alpha=1-dampening)
            d = Nesterov ? d + c.momentum * buf[k] : buf[k];
        }
        w[k] = w[k] + c.neg_lr * d;  // p.add_(d_p, alpha=-lr)
    }
}

template <bool WeightDecay>
void sgd_dispatch(bool momentum, bool first, bool nesterov, std::size_t n, float* w, const float* g, float* buf,
                  SGDScalars c) {
    if (!momentum) return sgd_kernel<WeightDecay, false, false, false>(n, w, g, buf, c);
    if (first)
        return nesterov ? sgd_kernel<WeightDecay, true, true, true>(n, w, g, buf, c)
                        : sgd_kernel<WeightDecay, true, true, false>(n, w, g, buf, c);
    return nesterov ? sgd_kernel<WeightDecay, true, false, true>(n, w, g, buf, c)
                    : sgd_kernel<WeightDecay, true, false, false>(n, w, g, buf, c);
}
}  // namespace

void SGD::step() {
    std::size_t index = 0;  // the parameter's index across groups, as in state_dict
    for (Group& o : groups_) {
        const SGDScalars c{o.maximize ? -1.0f : 1.0f, static_cast<float>(o.weight_decay),
                           static_cast<float>(o.momentum), static_cast<float>(1.0 - o.dampening),
                           static_cast<float>(-o.lr)};
        const bool momentum = o.momentum != 0.0;
        for (Tensor& p : o.params) {
            std::optional<ParamState>& s = state_[index++];
            const Tensor grad = p.grad();
            if (!grad.defined()) continue;
            // The first step with momentum starts the buffer at d_p.
            const bool first = momentum && (!s || !s->buffers.contains("momentum_buffer"));
            if (first) s = ParamState{0, {{"momentum_buffer", Array::from_shape(p.shape())}}};
            float* buf = momentum ? s->buffer("momentum_buffer").data() : nullptr;
            float* w = p.data().data();
            if (o.weight_decay != 0.0)
                sgd_dispatch<true>(momentum, first, o.nesterov, p.numel(), w, grad.data().data(), buf, c);
            else sgd_dispatch<false>(momentum, first, o.nesterov, p.numel(), w, grad.data().data(), buf, c);
        }
    }
}

}  // namespace xg::optim
