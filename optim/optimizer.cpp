// The optimizer base: parameter checks, zero_grad, lr, state files, gradient clipping.
#include "optim/optimizer.hpp"

#include <cmath>
#include <limits>

#include "core/safetensors.hpp"

namespace xg::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
    if (params_.empty()) throw Error("optimizer got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (!params_[i].defined()) throw Error("optimizer: parameter " + std::to_string(i) + " is undefined");
        if (!params_[i].is_leaf()) {
            throw Error("optimizer: parameter " + std::to_string(i) + " " + shape_str(params_[i].shape()) +
                        " is not a leaf tensor (it was computed by an op); pass the model's parameters");
        }
    }
    set_lr(lr);
}

void Optimizer::set_lr(double lr) {
    check_hyper(lr >= 0.0, "learning rate must be >= 0, got " + std::to_string(lr));
    lr_ = lr;
}

void Optimizer::check_hyper(bool ok, const std::string& what) {
    if (!ok) throw Error("optimizer: invalid " + what);
}

void Optimizer::zero_grad() {
    for (Tensor& p : params_) p.mutable_grad() = Tensor();
}

void Optimizer::save(const std::string& path) const {
    State s = state();
    safetensors::File file;
    for (auto& [name, a] : s.tensors) file.tensors.emplace_back(name, a);
    file.metadata = s.metadata;
    file.metadata["optimizer"] = kind();
    file.metadata["lr"] = std::to_string(lr_);
    file.metadata["param_count"] = std::to_string(params_.size());
    safetensors::save(file, path);
}

void Optimizer::load(const std::string& path) {
    safetensors::File file = safetensors::load(path);
    auto meta = [&](const std::string& key) {
        auto it = file.metadata.find(key);
        if (it == file.metadata.end()) throw Error("optimizer load: " + path + ": metadata '" + key + "' is missing");
        return it->second;
    };
    if (meta("optimizer") != kind()) {
        throw Error("optimizer load: " + path + " holds " + meta("optimizer") + " state, this is " + kind());
    }
    if (meta("param_count") != std::to_string(params_.size())) {
        throw Error("optimizer load: " + path + " is for " + meta("param_count") + " parameters, this optimizer has " +
                    std::to_string(params_.size()));
    }
    State s;
    for (auto& [name, a] : file.tensors) {
        const auto dot = name.find('.');
        std::size_t index = params_.size();
        try {
            index = std::stoul(name.substr(0, dot));
        } catch (const std::exception&) {
        }
        if (dot == std::string::npos || index >= params_.size()) {
            throw Error("optimizer load: " + path + ": unexpected state '" + name + "'");
        }
        if (a.shape() != params_[index].shape()) {
            throw Error("optimizer load: " + path + ": '" + name + "' has shape " + shape_str(a.shape()) +
                        ", parameter " + std::to_string(index) + " is " + shape_str(params_[index].shape()));
        }
        s.tensors[name] = a;
    }
    s.metadata = file.metadata;
    set_state(s);
    set_lr(std::stod(meta("lr")));
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type) {
    double total = 0.0;
    const bool inf = std::isinf(norm_type);
    for (const Tensor& p : params) {
        const Tensor g = p.grad();
        if (!g.defined()) continue;
        for (float v : g.data()) {
            const double a = std::abs(static_cast<double>(v));
            total = inf ? std::max(total, a) : total + std::pow(a, norm_type);
        }
    }
    if (!inf) total = std::pow(total, 1.0 / norm_type);
    // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1.
    const double coef = std::min(max_norm / (total + 1e-6), 1.0);
    if (coef < 1.0) {
        for (const Tensor& p : params) {
            Tensor g = p.grad();
            if (g.defined()) g.data() *= static_cast<float>(coef);
        }
    }
    return total;
}

}  // namespace xg::optim
