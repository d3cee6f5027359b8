// SGD, following torch/optim/sgd.py's _single_tensor_sgd operation by operation.
#include "optim/sgd.hpp"

namespace xg::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : Optimizer(std::move(params), o.lr), options(o) {
    check_hyper(o.momentum >= 0.0, "momentum " + std::to_string(o.momentum));
    check_hyper(o.weight_decay >= 0.0, "weight_decay " + std::to_string(o.weight_decay));
    check_hyper(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
                "nesterov: it requires momentum > 0 and dampening = 0");
    momentum_buffer_.resize(params_.size());
}

void SGD::step() {
    const auto momentum = static_cast<float>(options.momentum);
    const auto damp = static_cast<float>(1.0 - options.dampening);
    const auto wd = static_cast<float>(options.weight_decay);
    const auto lr = static_cast<float>(lr_);
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Tensor& p = params_[i];
        const Tensor grad = p.grad();
        if (!grad.defined()) continue;
        Array d_p = options.maximize ? Array(-grad.data()) : grad.data();
        if (wd != 0.0f) d_p = d_p + wd * p.data();
        if (momentum != 0.0f) {
            std::optional<Array>& buf = momentum_buffer_[i];
            if (!buf) buf = d_p;  // the first step starts the buffer at d_p
            else *buf = *buf * momentum + damp * d_p;
            if (options.nesterov) d_p = d_p + momentum * *buf;
            else d_p = *buf;
        }
        p.data() += -lr * d_p;
    }
}

Optimizer::State SGD::state() const {
    State s;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (momentum_buffer_[i]) s.tensors[std::to_string(i) + ".momentum_buffer"] = *momentum_buffer_[i];
    }
    return s;
}

void SGD::set_state(const State& s) {
    std::vector<std::optional<Array>> buffers(params_.size());
    for (const auto& [name, a] : s.tensors) {
        const std::size_t i = std::stoul(name);
        if (name != std::to_string(i) + ".momentum_buffer") throw Error("SGD load: unexpected state '" + name + "'");
        buffers[i] = a;
    }
    momentum_buffer_ = std::move(buffers);
}

}  // namespace xg::optim
