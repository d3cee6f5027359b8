// Module's registry: registration, recursive queries, train/eval, zero_grad, state dicts,
// deep copies (nn::clone), printing.
#include "nn/module.hpp"

#include "core/autograd.hpp"
#include "core/tensor_remap.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

namespace xg::nn {

Module::Module() : state_(std::make_shared<State>()) {}

Tensor Module::forward(const Tensor&) {
    throw Error(name() +
                " can't be called with one tensor: it defines no `Tensor forward(const Tensor&)`. A module "
                "whose forward takes other arguments derives from nn::ModuleBase<" +
                name() + "> and is called with them, model(x, skip)");
}

Tensor Module::operator()(const Tensor& input) {
    return call([&] { return forward_one_tensor(input); }, input);
}

// The dotted path from `from` down to the module with registry `target` ("head", "blocks.1"),
// direct children first; "" if it isn't below `from`.
std::string Module::path_below(const State& from, const State* target) {
    for (const Child& c : from.children)
        if (c.module->state_.get() == target) return c.name;
    for (const Child& c : from.children) {
        const std::string rest = path_below(*c.module->state_, target);
        if (!rest.empty()) return c.name + "." + rest;
    }
    return "";
}

// Anomaly mode only: the ops forward records remember this layer ("2: Linear(...)", under its
// caller's path), so that backward's error can name it. Off, the label is never built. A layer
// its caller reaches through a container (a ModuleList, never called itself) is named by the
// dotted path: "blocks.1: Linear(...)".
std::string Module::layer_label(const void* caller) const {
    std::string label = state_->children.empty() ? short_repr() : name();
    if (!caller) return label;
    const std::string path = path_below(*static_cast<const State*>(caller), state_.get());
    return path.empty() ? label : path + ": " + label;
}

void Module::run_pre_hooks(const std::vector<Tensor>& inputs) {
    const auto hooks = state_->pre_hooks;  // a hook may remove itself
    for (const auto& [id, hook] : hooks) hook(*this, inputs);
}

void Module::run_hooks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
    const auto hooks = state_->hooks;
    for (const auto& [id, hook] : hooks) hook(*this, inputs, outputs);
}

HookHandle Module::register_forward_hook(ForwardHook hook) {
    if (!hook) throw Error(name() + ": register_forward_hook got an empty function");
    return register_forward_hook(AnyForwardHook(
        [hook = std::move(hook)](Module& m, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
            if (in.size() != 1 || out.size() != 1) {
                throw Error(m.name() +
                            ": a forward hook taking (Module&, const Tensor&, const Tensor&) was called on a "
                            "forward with " +
                            std::to_string(in.size()) + " tensor input(s) and " + std::to_string(out.size()) +
                            " tensor output(s); register one taking (Module&, const std::vector<Tensor>& inputs, "
                            "const std::vector<Tensor>& outputs)");
            }
            hook(m, in[0], out[0]);
        }));
}

HookHandle Module::register_forward_hook(AnyForwardHook hook) {
    if (!hook) throw Error(name() + ": register_forward_hook got an empty function");
    const std::uint64_t id = ++state_->next_hook;
    state_->hooks.emplace_back(id, std::move(hook));
    return HookHandle(state_, id);
}

HookHandle Module::register_forward_pre_hook(ForwardPreHook hook) {
    if (!hook) throw Error(name() + ": register_forward_pre_hook got an empty function");
    const std::uint64_t id = ++state_->next_hook;
    state_->pre_hooks.emplace_back(id, std::move(hook));
    return HookHandle(state_, id);
}

void HookHandle::remove() {
    if (auto state = state_.lock()) {
        std::erase_if(state->hooks, [this](const auto& h) { return h.first == id_; });
        std::erase_if(state->pre_hooks, [this](const auto& h) { return h.first == id_; });
    }
    state_.reset();
}

Shape Module::output_shape(const Shape& input_shape) {
    NoGradGuard no_grad;
    return forward_one_tensor(Tensor::zeros(input_shape)).shape();
}

std::string Module::fix_for(const Shape&) const { return ""; }

void Module::check_new_name(const std::string& name) const {
    if (name.empty() || name.find('.') != std::string::npos) {
        throw Error("Module: name '" + name + "' must be non-empty and contain no '.'");
    }
    auto taken = [&](const auto& list) {
        for (const auto& entry : list)
            if (entry.first == name) return true;
        return false;
    };
    bool child_taken = false;
    for (const Child& c : state_->children) child_taken = child_taken || c.name == name;
    if (taken(state_->parameters) || taken(state_->buffers) || child_taken) {
        throw Error(this->name() + ": name '" + name + "' is already registered");
    }
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
    check_new_name(name);
    if (tensor.defined()) tensor.requires_grad_(requires_grad);
    state_->parameters.emplace_back(std::move(name), std::move(tensor));
    return state_->parameters.back().second;
}

Tensor& Module::register_buffer(std::string name, Tensor tensor) {
    check_new_name(name);
    state_->buffers.emplace_back(std::move(name), std::move(tensor));
    return state_->buffers.back().second;
}

void Module::add_child(std::string name, ModulePtr module, bool numbered) {
    check_new_name(name);
    if (!module) throw Error("Module: child '" + name + "' is null");
    state_->children.push_back({std::move(name), std::move(module), numbered});
}

std::vector<Module::Child>& Module::child_list() { return state_->children; }
const std::vector<Module::Child>& Module::child_list() const { return state_->children; }

void Module::collect(const std::string& prefix, bool params, bool recurse, std::vector<NamedTensor>& out) const {
    for (const auto& [name, t] : params ? state_->parameters : state_->buffers) {
        if (!t.defined()) continue;  // e.g. Linear's bias with bias=false
        bool seen = false;           // a tensor shared by two layers is listed once, as PyTorch
        for (const auto& [_, u] : out) seen = seen || u.impl() == t.impl();
        if (!seen) out.emplace_back(prefix + name, t);
    }
    if (!recurse) return;
    for (const Child& c : state_->children) c.module->collect(prefix + c.name + ".", params, true, out);
}

std::vector<NamedTensor> Module::named_parameters(bool recurse) const {
    std::vector<NamedTensor> out;
    collect("", true, recurse, out);
    return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
    std::vector<Tensor> out;
    for (auto& [_, t] : named_parameters(recurse)) out.push_back(t);
    return out;
}

std::vector<NamedTensor> Module::named_buffers(bool recurse) const {
    std::vector<NamedTensor> out;
    collect("", false, recurse, out);
    return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
    std::vector<Tensor> out;
    for (auto& [_, t] : named_buffers(recurse)) out.push_back(t);
    return out;
}

std::vector<ModulePtr> Module::children() const {
    std::vector<ModulePtr> out;
    for (const Child& c : state_->children) out.push_back(c.module);
    return out;
}

std::vector<std::pair<std::string, ModulePtr>> Module::named_children() const {
    std::vector<std::pair<std::string, ModulePtr>> out;
    for (const Child& c : state_->children) out.emplace_back(c.name, c.module);
    return out;
}

void Module::train(bool on) {
    state_->training = on;
    for (const Child& c : state_->children) c.module->train(on);
}

bool Module::is_training() const { return state_->training; }

void Module::zero_grad() {
    for (Tensor& p : parameters()) p.mutable_grad() = Tensor();
}

Module& Module::requires_grad_(bool requires_grad) {
    for (Tensor& p : parameters()) p.requires_grad_(requires_grad);
    return *this;
}

template <class F>
void Module::visit_state(const std::string& prefix, F&& f) const {
    for (const auto& [name, t] : state_->parameters)
        if (t.defined()) f(prefix + name, *this, name, t);
    for (const auto& [name, t] : state_->buffers)
        if (t.defined()) f(prefix + name, *this, name, t);
    for (const Child& c : state_->children) c.module->visit_state(prefix + c.name + ".", f);
}

StateDict Module::state_dict() const {
    StateDict out;
    visit_state("", [&](const std::string& name, const Module&, const std::string&, const Tensor& t) {
        out.tensors.emplace_back(name, t.detach());
    });
    return out;
}

namespace {
std::string quoted_list(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
    return out;
}
}  // namespace

IncompatibleKeys Module::load_state_dict(const StateDict& dict, bool strict) {
    std::unordered_map<std::string, const Tensor*> given;
    for (const auto& [name, t] : dict.tensors) given.emplace(name, &t);
    struct Target {
        Tensor tensor;
        const Tensor* source;  // null: an optional entry the dict lacks, set to 0
    };
    std::vector<Target> targets;
    std::unordered_set<std::string> known;
    IncompatibleKeys keys;
    std::vector<std::string> mismatches;
    visit_state("", [&](const std::string& name, const Module& owner, const std::string& local, const Tensor& t) {
        known.insert(name);
        auto it = given.find(name);
        if (it == given.end()) {
            if (owner.optional_state(local)) targets.push_back({t, nullptr});
            else keys.missing_keys.push_back(name);
            return;
        }
        const Tensor& source = *it->second;
        if (!source.defined() || source.shape() != t.shape()) {
            mismatches.push_back("size mismatch for " + name + ": copying a param with shape " +
                                 (source.defined() ? shape_str(source.shape()) : std::string("(undefined)")) +
                                 " from checkpoint, the shape in current model is " + shape_str(t.shape()) + ".");
            return;
        }
        targets.push_back({t, &source});
    });
    for (const auto& [name, t] : dict.tensors)
        if (!known.count(name)) keys.unexpected_keys.push_back(name);

    std::vector<std::string> errors;  // PyTorch's message, line for line
    if (strict && !keys.missing_keys.empty())
        errors.push_back("Missing key(s) in state_dict: " + quoted_list(keys.missing_keys) + ".");
    if (strict && !keys.unexpected_keys.empty())
        errors.push_back("Unexpected key(s) in state_dict: " + quoted_list(keys.unexpected_keys) + ".");
    errors.insert(errors.end(), mismatches.begin(), mismatches.end());
    if (!errors.empty()) {
        std::string message = "Error(s) in loading state_dict for " + name() + ":";
        for (const auto& e : errors) message += "\n\t" + e;
        throw Error(message);
    }
    for (Target& target : targets) {  // everything checked: now change the module
        Array& to = target.tensor.data();
        if (!target.source) to.fill(0.0f);
        else if (target.source->data().data() != to.data())  // loading its own state_dict: nothing to do
            std::copy(target.source->data().begin(), target.source->data().end(), to.begin());
    }
    return keys;
}

// What one nn::clone has copied so far: each original registry, module object and tensor mapped
// to its copy, so that anything reached twice (a layer member and its registered child, tied
// weights) is copied once and stays shared in the clone, as deepcopy's memo.
struct CloneAccess::Memo {
    std::unordered_map<const Module::State*, std::shared_ptr<Module::State>> states;
    std::unordered_map<const Module*, ModulePtr> modules;
    detail::TensorRemap tensors;
    std::optional<detail::TensorRemapGuard> guard;
};

namespace {
thread_local CloneAccess::Memo* active_clone = nullptr;  // set while nn::clone runs on this thread
}  // namespace

Module::Module(const Module& other)
    : state_(share_or_clone(other.state_)), copy_as_(other.copy_as_), copy_type_(other.copy_type_) {}

Module& Module::operator=(const Module& other) {
    state_ = share_or_clone(other.state_);
    copy_as_ = other.copy_as_;
    copy_type_ = other.copy_type_;
    return *this;
}

std::shared_ptr<Module::State> Module::share_or_clone(const std::shared_ptr<State>& state) {
    if (!active_clone) return state;
    auto& memo = *active_clone;
    if (auto it = memo.states.find(state.get()); it != memo.states.end()) return it->second;
    auto copy = std::make_shared<State>();
    memo.states.emplace(state.get(), copy);
    auto clone_tensor = [&](const Tensor& t) {
        if (!t.defined()) return Tensor();
        auto [it, fresh] = memo.tensors.clones.try_emplace(t.impl());
        if (fresh) it->second = Tensor(t.data(), t.requires_grad());  // values copied; no grad, as deepcopy
        return it->second;
    };
    for (const auto& [name, t] : state->parameters) copy->parameters.emplace_back(name, clone_tensor(t));
    for (const auto& [name, t] : state->buffers) copy->buffers.emplace_back(name, clone_tensor(t));
    for (const Child& c : state->children) {
        const Module& child = *c.module;
        auto [it, fresh] = memo.modules.try_emplace(&child);
        if (fresh) {
            if (!child.copy_as_ || *child.copy_type_ != typeid(child)) {
                memo.modules.erase(it);
                throw Error("nn::clone: the child '" + c.name + "' (" + child.name() +
                            ") was added as a ModulePtr made elsewhere, so its class isn't known; add the module "
                            "itself (push_back(layer), register_module)");
            }
            it->second = child.copy_as_(child);  // its class's copy constructor, deep as we are inside the scope
        }
        copy->children.push_back({c.name, it->second, c.numbered});
    }
    copy->hooks = state->hooks;  // as deepcopy: the same functions, now also run by the clone
    copy->pre_hooks = state->pre_hooks;
    copy->next_hook = state->next_hook;
    copy->training = state->training;
    return copy;
}

void CloneAccess::check_type(const Module& module, const std::type_info& type) {
    if (typeid(module) != type) {
        throw Error("nn::clone: the module is a " + module.name() + ", passed as a " + type_name(type) +
                    ": the copy would be cut down to that; call it on the " + module.name() + " itself");
    }
}

CloneAccess::Scope::Scope() : outer_(active_clone == nullptr) {
    if (!outer_) return;  // a clone inside a copy constructor joins the running one
    active_clone = new Memo();
    active_clone->guard.emplace(active_clone->tensors);
}

CloneAccess::Scope::~Scope() {
    if (!outer_) return;
    delete active_clone;
    active_clone = nullptr;
}

std::string Module::name() const { return type_name(typeid(*this)); }

std::string type_name(const std::type_info& type) {
    const char* mangled = type.name();
    int status = 0;
    char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    std::string full = status == 0 && demangled ? demangled : mangled;
    std::free(demangled);
    const auto colon = full.rfind("::");
    return colon == std::string::npos ? full : full.substr(colon + 2);
}

namespace {
void print_module(std::ostream& os, const Module& m, const std::string& indent);
}

std::ostream& operator<<(std::ostream& os, const Module& m) {
    std::ostringstream s;
    print_module(s, m, "");
    return os << s.str();
}

namespace {
void print_module(std::ostream& os, const Module& m, const std::string& indent) {
    const auto children = m.named_children();
    if (children.empty()) {
        os << m.name() << '(' << m.extra_repr() << ')';
        return;
    }
    os << m.name() << "(\n";
    if (!m.extra_repr().empty()) os << indent << "  " << m.extra_repr() << '\n';
    for (const auto& [name, child] : children) {
        os << indent << "  (" << name << "): ";
        print_module(os, *child, indent + "  ");
        os << '\n';
    }
    os << indent << ')';
}
}  // namespace

}  // namespace xg::nn
