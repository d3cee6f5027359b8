// The optimizer base: parameter checks, zero_grad, lr, state files, gradient clipping.
#include "optim/optimizer.hpp"

#include <cmath>
#include <limits>

#include "core/format.hpp"
#include "core/safetensors.hpp"

namespace xg::optim {

Optimizer::Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {
    if (params_.empty()) throw Error("optimizer got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (!params_[i].defined()) throw Error("optimizer: parameter " + format_number(i) + " is undefined");
        if (!params_[i].is_leaf()) {
            throw Error("optimizer: parameter " + format_number(i) + " " + shape_str(params_[i].shape()) +
                        " is not a leaf tensor (it was computed by an op); pass the model's parameters");
        }
    }
}

void Optimizer::set_lr(double lr) {
    check_lr(lr);
    lr_ref() = lr;
}

void Optimizer::check_lr(double lr) { check_hyper(lr >= 0.0, "learning rate must be >= 0, got " + format_number(lr)); }

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
    file.metadata["lr"] = format_number(lr());
    file.metadata["param_count"] = format_number(params_.size());
    safetensors::save(file, path);
}

void Optimizer::load(const std::string& path) {
    safetensors::File file = safetensors::load(path);
    const std::string where = "optimizer load: " + path;
    auto meta = [&](const std::string& key) {
        auto it = file.metadata.find(key);
        if (it == file.metadata.end()) throw Error(where + ": metadata '" + key + "' is missing");
        return it->second;
    };
    if (meta("optimizer") != kind()) throw Error(where + " holds " + meta("optimizer") + " state, this is " + kind());
    const auto count = parse_number<std::size_t>(meta("param_count"), where + ": metadata 'param_count'");
    if (count != params_.size()) {
        throw Error(where + " is for " + format_number(count) + " parameters, this optimizer has " +
                    format_number(params_.size()));
    }
    const double lr = parse_number(meta("lr"), where + ": metadata 'lr'");
    check_lr(lr);
    State s;
    for (auto& [name, a] : file.tensors) {
        const auto dot = name.find('.');
        if (dot == std::string::npos) throw Error(where + ": unexpected state '" + name + "'");
        const auto index = parse_number<std::size_t>(std::string_view(name).substr(0, dot),
                                                     where + ": the parameter index of state '" + name + "'");
        if (index >= params_.size()) throw Error(where + ": unexpected state '" + name + "'");
        if (a.shape() != params_[index].shape()) {
            throw Error(where + ": '" + name + "' has shape " + shape_str(a.shape()) + ", parameter " +
                        format_number(index) + " is " + shape_str(params_[index].shape()));
        }
        s.tensors[name] = a;
    }
    s.metadata = file.metadata;
    s.origin = path;
    set_state(s);
    set_lr(lr);
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
