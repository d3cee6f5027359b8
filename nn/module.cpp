// Module's registry: registration, recursive queries, train/eval, zero_grad, printing.
#include "nn/module.hpp"

#include "core/autograd.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <ostream>
#include <sstream>
#include <typeinfo>

namespace xg::nn {

Module::Module() : state_(std::make_shared<State>()) {}

Tensor Module::operator()(const Tensor& input) {
    // Anomaly mode only: the ops forward records remember this layer ("2: Linear(...)", under its
    // caller's path), so that backward's error can name it. Off, the label is never built.
    const autograd::ModuleScope layer(state_.get(), [this](const void* caller) {
        std::string label = state_->children.empty() ? short_repr() : name();
        if (caller)
            for (const Child& c : static_cast<const State*>(caller)->children)
                if (c.module->state_ == state_) return c.name + ": " + label;
        return label;
    });
    Tensor out = forward(input);
    if (!state_->hooks.empty()) {
        const auto hooks = state_->hooks;  // a hook may remove itself
        for (const auto& [id, hook] : hooks) hook(*this, input, out);
    }
    return out;
}

HookHandle Module::register_forward_hook(ForwardHook hook) {
    if (!hook) throw Error(name() + ": register_forward_hook got an empty function");
    const std::uint64_t id = ++state_->next_hook;
    state_->hooks.emplace_back(id, std::move(hook));
    return HookHandle(state_, id);
}

void HookHandle::remove() {
    if (auto state = state_.lock()) {
        std::erase_if(state->hooks, [this](const auto& h) { return h.first == id_; });
    }
    state_.reset();
}

Shape Module::output_shape(const Shape& input_shape) {
    NoGradGuard no_grad;
    return forward(Tensor::zeros(input_shape)).shape();
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
