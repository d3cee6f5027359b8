// SGD, following torch/optim/sgd.py's _single_tensor_sgd operation by operation.
#include "optim/sgd.hpp"

#include "core/format.hpp"
#include "core/simd.hpp"

namespace xg::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : Optimizer(std::move(params)), options_(o) {
    check_lr(o.lr);
    check_hyper(o.momentum >= 0.0, "momentum " + format_number(o.momentum));
    check_hyper(o.weight_decay >= 0.0, "weight_decay " + format_number(o.weight_decay));
    check_hyper(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
                "nesterov: it requires momentum > 0 and dampening = 0");
    momentum_buffer_.resize(params_.size());
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
    const SGDOptions& o = options_;
    const SGDScalars c{o.maximize ? -1.0f : 1.0f, static_cast<float>(o.weight_decay), static_cast<float>(o.momentum),
                       static_cast<float>(1.0 - o.dampening), static_cast<float>(-o.lr)};
    const bool momentum = o.momentum != 0.0;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Tensor& p = params_[i];
        const Tensor grad = p.grad();
        if (!grad.defined()) continue;
        std::optional<Array>& buffer = momentum_buffer_[i];
        const bool first = momentum && !buffer;  // the first step starts the buffer at d_p
        if (first) buffer = Array::from_shape(p.shape());
        float* buf = buffer ? buffer->data() : nullptr;
        if (o.weight_decay != 0.0)
            sgd_dispatch<true>(momentum, first, o.nesterov, p.numel(), p.data().data(), grad.data().data(), buf, c);
        else sgd_dispatch<false>(momentum, first, o.nesterov, p.numel(), p.data().data(), grad.data().data(), buf, c);
    }
}

Optimizer::State SGD::state() const {
    State s;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (momentum_buffer_[i]) s.tensors[format_number(i) + ".momentum_buffer"] = *momentum_buffer_[i];
    }
    return s;
}

void SGD::set_state(const State& s) {
    std::vector<std::optional<Array>> buffers(params_.size());
    for (const auto& [name, a] : s.tensors) {  // Optimizer::load checked the index and the shape
        const std::string_view index = std::string_view(name).substr(0, name.find('.'));
        const auto i = parse_number<std::size_t>(index, "SGD load: " + s.origin + ": state '" + name + "'");
        if (i >= buffers.size() || name != format_number(i) + ".momentum_buffer") {
            throw Error("SGD load: " + s.origin + ": unexpected state '" + name + "'");
        }
        buffers[i] = a;
    }
    momentum_buffer_ = std::move(buffers);
}

}  // namespace xg::optim
