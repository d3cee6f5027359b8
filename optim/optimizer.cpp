// The optimizer base: parameter checks, zero_grad, lr, state_dict and its files, gradient clipping.
#include "optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <nlohmann/json.hpp>

#include "core/format.hpp"

namespace xg::optim {

using json = nlohmann::ordered_json;

void Optimizer::check_hyper(bool ok, const std::string& what) {
    if (!ok) throw Error("optimizer: invalid " + what);
}

void Optimizer::check_params(const std::vector<Tensor>& params) const {
    const std::vector<Tensor> existing = this->params();
    std::unordered_set<const void*> seen;
    for (const Tensor& q : existing) seen.insert(q.impl());
    for (std::size_t k = 0; k < params.size(); ++k) {
        const std::string name = kind() + ": parameter " + format_number(existing.size() + k);
        const Tensor& p = params[k];
        if (!p.defined()) throw Error(name + " is undefined");
        if (!p.is_leaf()) {
            throw Error(name + " " + shape_str(p.shape()) +
                        " is not a leaf tensor (it was computed by an op); pass the model's parameters");
        }
        if (!seen.insert(p.impl()).second) {
            throw Error(name + " " + shape_str(p.shape()) +
                        " is already in this optimizer: a parameter may appear in one group, once");
        }
    }
}

std::vector<Tensor> Optimizer::params() const {
    std::vector<Tensor> all;
    for (std::size_t g = 0; g < num_param_groups(); ++g) {
        const auto& ps = group_base(g).params;
        all.insert(all.end(), ps.begin(), ps.end());
    }
    return all;
}

double& Optimizer::group_lr(std::size_t group) { return *std::get<double*>(hyperparameters(group).at(0).value); }

double Optimizer::lr() const { return group_lr(0); }

void Optimizer::set_lr(double lr) {
    check_hyper(lr >= 0.0, "learning rate: it must be >= 0, got " + format_number(lr));
    for (std::size_t g = 0; g < num_param_groups(); ++g) group_lr(g) = lr;
}

void Optimizer::zero_grad() {
    for (std::size_t g = 0; g < num_param_groups(); ++g)
        for (Tensor& p : group_base(g).params) p.mutable_grad() = Tensor();
}

// ---- state_dict ----

namespace {
json hyper_json(const Hyperparameter& h) {
    return std::visit([](auto* v) { return json(*v); }, h.value);
}
}  // namespace

StateDict Optimizer::state_dict() const {
    StateDict out;
    auto& self = const_cast<Optimizer&>(*this);  // hyperparameters() hands out pointers; only read here
    json groups = json::array();
    std::size_t index = 0;
    for (std::size_t g = 0; g < num_param_groups(); ++g) {
        json group = json::object();
        for (const Hyperparameter& h : self.hyperparameters(g)) group[h.name] = hyper_json(h);
        if (group_base(g).initial_lr) group["initial_lr"] = *group_base(g).initial_lr;
        json indices = json::array();
        for (std::size_t k = 0; k < group_base(g).params.size(); ++k) indices.push_back(index++);
        group["params"] = indices;
        groups.push_back(group);
    }
    for (std::size_t i = 0; i < state_.size(); ++i) {
        if (!state_[i]) continue;
        const std::string key = "state." + format_number(i) + ".";
        if (counts_steps()) out.metadata[key + "step"] = format_number(state_[i]->step);
        for (const auto& [name, a] : state_[i]->buffers) out.add(key + name, Tensor(Array(a)));
    }
    out.metadata["optimizer"] = kind();
    out.metadata["param_groups"] = groups.dump();
    return out;
}

namespace {
// Group g's values from the JSON, each of the type the optimizer's field has.
std::map<std::string, std::variant<double, bool, std::pair<double, double>>> parse_group(
    const json& group, const std::vector<Hyperparameter>& fields, const std::string& where) {
    std::map<std::string, std::variant<double, bool, std::pair<double, double>>> values;
    for (const Hyperparameter& h : fields) {
        const std::string what = where + " '" + h.name + "'";
        if (!group.contains(h.name)) throw Error(what + " is missing");
        const json& v = group.at(h.name);
        if (std::holds_alternative<double*>(h.value)) {
            if (!v.is_number()) throw Error(what + " is " + v.dump() + ", expected a number");
            values[h.name] = v.get<double>();
        } else if (std::holds_alternative<bool*>(h.value)) {
            if (!v.is_boolean()) throw Error(what + " is " + v.dump() + ", expected true or false");
            values[h.name] = v.get<bool>();
        } else {
            if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
                throw Error(what + " is " + v.dump() + ", expected two numbers");
            values[h.name] = std::pair<double, double>(v[0].get<double>(), v[1].get<double>());
        }
    }
    return values;
}
}  // namespace

void Optimizer::load_state_dict(const StateDict& dict) {
    const std::string where = kind() + " load_state_dict:";
    if (!dict.metadata.contains("optimizer")) {
        throw Error(where + " metadata 'optimizer' is missing" +
                    (dict.metadata.contains("param_count") ? " (a file from an older xgrad: save it again)" : ""));
    }
    if (dict.meta("optimizer") != kind())
        throw Error(where + " the state is " + dict.meta("optimizer") + "'s, this is " + kind());
    if (!dict.metadata.contains("param_groups")) throw Error(where + " metadata 'param_groups' is missing");
    json groups;
    try {
        groups = json::parse(dict.meta("param_groups"));
    } catch (const json::exception& e) {
        throw Error(where + " metadata 'param_groups' is not JSON: " + e.what());
    }
    if (!groups.is_array() || groups.size() != num_param_groups()) {
        throw Error(where + " the state has " + (groups.is_array() ? format_number(groups.size()) : "no") +
                    " parameter groups, this optimizer has " + format_number(num_param_groups()));
    }
    // The groups: sizes, then every hyperparameter, parsed into the field's type.
    GroupValues values;
    std::vector<std::optional<double>> initial_lrs;
    std::vector<std::size_t> group_of;  // the group of each parameter index
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const std::string at = where + " param_groups[" + format_number(g) + "]";
        const json& group = groups[g];
        const std::size_t have = group_base(g).params.size();
        if (!group.is_object() || !group.contains("params") || !group["params"].is_array())
            throw Error(at + " has no 'params' list");
        if (group["params"].size() != have) {
            throw Error(at + " has " + format_number(group["params"].size()) + " parameters, this optimizer's has " +
                        format_number(have));
        }
        values.push_back(parse_group(group, hyperparameters(g), at));
        std::optional<double> initial;
        if (group.contains("initial_lr")) {
            if (!group["initial_lr"].is_number()) throw Error(at + " 'initial_lr' is not a number");
            initial = group["initial_lr"].get<double>();
        }
        initial_lrs.push_back(initial);
        group_of.insert(group_of.end(), have, g);
    }
    PreparedGroups prepared = prepare_groups(values, initial_lrs);  // throws on a bad value
    // The per-parameter state: the names the loaded options imply, shapes, step counts.
    const std::vector<Tensor> ps = params();
    std::vector<std::optional<ParamState>> state(ps.size());
    std::size_t used_tensors = 0;
    for (std::size_t i = 0; i < ps.size(); ++i) {
        const std::string key = "state." + format_number(i) + ".";
        const std::vector<std::string>& names = prepared.state_names[group_of[i]];
        const bool has_step = dict.metadata.contains(key + "step");
        const bool has_any = has_step || std::any_of(names.begin(), names.end(),
                                                     [&](const std::string& n) { return dict.contains(key + n); });
        if (!has_any) continue;
        ParamState s;
        if (counts_steps()) {
            if (!has_step) throw Error(where + " metadata '" + key + "step' is missing");
            s.step = parse_number<std::int64_t>(dict.meta(key + "step"), where + " metadata '" + key + "step'");
            if (s.step < 0) throw Error(where + " metadata '" + key + "step' is negative");
        }
        for (const std::string& n : names) {
            const Tensor* t = dict.find(key + n);
            if (!t) throw Error(where + " tensor '" + key + n + "' is missing");
            if (t->shape() != ps[i].shape()) {
                throw Error(where + " '" + key + n + "' has shape " + shape_str(t->shape()) + ", parameter " +
                            format_number(i) + " is " + shape_str(ps[i].shape()));
            }
            s.buffers[n] = Array(t->data());  // a copy: the dict's tensor stays the caller's
            ++used_tensors;
        }
        state[i] = std::move(s);
    }
    if (used_tensors != dict.tensors.size()) {
        for (const auto& [name, t] : dict.tensors) {
            bool known = false;
            for (std::size_t i = 0; i < ps.size() && !known; ++i)
                for (const std::string& n : prepared.state_names[group_of[i]])
                    known = known || name == "state." + format_number(i) + "." + n;
            if (!known) throw Error(where + " unexpected tensor '" + name + "'");
        }
    }
    state_ = std::move(state);
    prepared.install();
}

void Optimizer::save(const std::string& path) const { xg::save(state_dict(), path); }

void Optimizer::load(const std::string& path) {
    const StateDict dict = xg::load(path);
    try {
        load_state_dict(dict);
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + " (in " + path + ")");
    }
}

// ---- clip_grad_norm_ ----

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, ClipGradNormOptions options) {
    const double p = options.norm_type;
    const bool inf = std::isinf(p);
    if (!(p > 0.0)) throw Error("clip_grad_norm_: norm_type must be > 0 or inf, got " + format_number(p));
    double total = 0.0;
    for (const Tensor& param : params) {
        const Tensor g = param.grad();
        if (!g.defined()) continue;
        for (float v : g.data()) {
            const double a = std::abs(static_cast<double>(v));
            // NaN must survive the max (std::max would drop it), as torch's max propagates it.
            if (inf) total = (std::isnan(a) || a > total) ? a : total;
            else total += std::pow(a, p);
        }
    }
    if (!inf) total = std::pow(total, 1.0 / p);
    if (options.error_if_nonfinite && !std::isfinite(total)) {
        throw Error("clip_grad_norm_: the total norm of order " + format_number(p) + " of the gradients is " +
                    format_number(total) +
                    ", so it cannot be clipped; to scale the gradients by it anyway, leave error_if_nonfinite off");
    }
    // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1 (NaN stays NaN).
    const double coef = std::isnan(total) ? total : std::min(max_norm / (total + 1e-6), 1.0);
    if (coef < 1.0 || std::isnan(coef)) {
        for (const Tensor& param : params) {
            Tensor g = param.grad();
            if (g.defined()) g.data() *= static_cast<float>(coef);
        }
    }
    return total;
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
    return clip_grad_norm_(params, max_norm, ClipGradNormOptions{norm_type, error_if_nonfinite});
}

}  // namespace xg::optim
