// nn::Module: the base of every layer and model. Parameters, buffers and child modules are
// registered by name, in order; parameters(), named_parameters(), children(), train()/eval(),
// zero_grad(), printing and saving all come from that registry.
//
// Two ways to write a module, as a PyTorch user would write `class Net(nn.Module)`:
//   struct Net : nn::Module {                  // one tensor in, one out (every built-in layer)
//       Tensor forward(const Tensor& x) override;
//   };
//   struct Block : nn::ModuleBase<Block> {     // any forward: several inputs, several outputs
//       Tensor forward(const Tensor& x, const Tensor& skip);
//   };
// and both are called as PyTorch's are, net(x) and block(x, skip), the call running forward
// inside the anomaly-mode layer scope and then the forward hooks. Why two: a call operator has to
// know forward's parameters, and a virtual function has one fixed signature; C++20 has no
// deducing-this (P0847) to let Module's operator() see the derived class's forward. So Module keeps
// the virtual one-tensor forward that Sequential calls through a Module&, and ModuleBase<Derived>
// (CRTP, as libtorch's Cloneable<Derived>) adds a variadic operator() that calls
// Derived::forward(args...) with whatever arguments it declares and returns whatever it returns
// (a tuple, a struct). The alternative, a libtorch TORCH_MODULE holder (`Block` wrapping a
// `BlockImpl`), doubles every class name and puts `->` on every member access; one template
// argument is cheaper to read. A ModuleBase module whose forward takes one tensor also works in
// a Sequential; one that doesn't is refused there, at compile time (see Sequential).
// One trap of the design: `forward(const Tensor&)` is Module's virtual, so a ModuleBase forward
// with exactly that parameter overrides it and must return a Tensor (g++ says "invalid covariant
// return type" otherwise); a one-input forward returning a tuple or struct takes `Tensor x` by value.
//
// Modules are handles, as in libtorch: copying a Module shares its registry (parameters, buffers,
// children, hooks) and training flag with the original (register_module and Sequential store such
// copies). Hyperparameters are const members, fixed at construction, so copies can't disagree on
// them. Change a parameter's values through its Tensor (p.data(), nn::init), not by assigning a
// new Tensor.
//
// A copy with its own everything, as Python's copy.deepcopy(model), is nn::clone(model) (or
// model.clone() on the built-in layers, Sequential and every ModuleBase module):
// `auto best = nn::clone(model);`. It works for any module class through its copy constructor,
// with no code in the class (see nn::clone).
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <memory>
#include <string>
#include <concepts>
#include <cstdint>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "core/autograd.hpp"
#include "core/state_dict.hpp"
#include "core/tensor.hpp"
#include "nn/tensors_of.hpp"

namespace xg::nn {

class Module;
class HookHandle;
// Called after a module's forward with the module, its input and its output, as PyTorch's
// register_forward_hook (the hook can't change the output). For a call with one tensor that
// returns one tensor; on any other call it throws, naming the module and the other form.
using ForwardHook = std::function<void(Module& module, const Tensor& input, const Tensor& output)>;
// The hook for any forward: the call's tensor arguments and the tensors of its result, in order
// (a tuple's or struct's fields, a vector's elements, flattened; arguments that aren't tensors,
// such as a flag, are left out: see nn/tensors_of.hpp). PyTorch's hook gets (module, args,
// output) as Python objects; C++ has no "tuple of anything" to hand over, so it gets tensors.
using AnyForwardHook =
    std::function<void(Module& module, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs)>;
// Called before forward with the call's tensor arguments, as register_forward_pre_hook (it
// can't change them).
using ForwardPreHook = std::function<void(Module& module, const std::vector<Tensor>& inputs)>;
// The unqualified C++ name of a type ("Linear" for xg::nn::Linear).
std::string type_name(const std::type_info& type);
using ModulePtr = std::shared_ptr<Module>;
using NamedTensor = std::pair<std::string, Tensor>;
template <class M>
M clone(const M& module);

// What load_state_dict(dict, strict = false) didn't match, as PyTorch's _IncompatibleKeys.
struct IncompatibleKeys {
    std::vector<std::string> missing_keys;     // the module's, absent from the dict
    std::vector<std::string> unexpected_keys;  // the dict's, unknown to the module
};

class Module {
public:
    Module();
    virtual ~Module() = default;
    // Share the registry (see the file comment); inside nn::clone, copy it deeply instead.
    Module(const Module& other);
    Module& operator=(const Module& other);

    // The one-tensor forward. Not pure: a module whose forward takes other arguments (a
    // ModuleBase) needs none, and calling it with one tensor throws, naming the class.
    virtual Tensor forward(const Tensor& input);
    // The pre-hooks, forward(input), then every forward hook in the order registered. A
    // ModuleBase module's own operator() takes its forward's arguments.
    Tensor operator()(const Tensor& input);

    // Runs `hook` after every forward of this module until the handle's remove(). The first form
    // is for a one-tensor call, the second for any call (a lambda picks its form by its parameters).
    HookHandle register_forward_hook(ForwardHook hook);
    HookHandle register_forward_hook(AnyForwardHook hook);
    // Runs `hook` before every forward of this module until the handle's remove().
    HookHandle register_forward_pre_hook(ForwardPreHook hook);
    // The same for every handle of one module (copies share it), different for a clone: compares
    // modules as Python's `is` does.
    const void* identity() const { return state_.get(); }
    // False for a ModuleBase module whose forward can't take one tensor: Sequential refuses it.
    virtual bool takes_one_tensor() const { return true; }

    // The output shape for an input of `input_shape`, or an Error saying why the layer can't
    // take it. Built-in layers return their op's shape function (conv2d_shape, ...), the check
    // the op itself makes, without computing anything; the default runs forward on zeros under
    // NoGradGuard. Sequential checks layer by layer (see check()).
    virtual Shape output_shape(const Shape& input_shape);
    // The output shape of the whole module for `input_shape`; on a mismatch, an Error that
    // names the layer, the shapes and the likely fix. Nothing is computed for built-in layers.
    Shape check(const Shape& input_shape) { return output_shape(input_shape); }
    // A suggestion for the layer to accept `input_shape` ("make it Linear(30, 1)"), or "".
    virtual std::string fix_for(const Shape& input_shape) const;

    // Each parameter once, in registration order, children's after the module's own.
    std::vector<Tensor> parameters(bool recurse = true) const;
    // Dotted names, as PyTorch: "0.weight", "encoder.1.bias".
    std::vector<NamedTensor> named_parameters(bool recurse = true) const;
    std::vector<Tensor> buffers(bool recurse = true) const;
    std::vector<NamedTensor> named_buffers(bool recurse = true) const;
    std::vector<ModulePtr> children() const;
    std::vector<std::pair<std::string, ModulePtr>> named_children() const;

    void train(bool on = true);  // this module and every descendant
    void eval() { train(false); }
    bool is_training() const;
    void zero_grad();  // clears every parameter's grad (PyTorch's set_to_none=True)
    // Sets requires_grad on every parameter of this module and its descendants: requires_grad_(false)
    // freezes a subtree (a pretrained encoder), as PyTorch's. Returns *this.
    Module& requires_grad_(bool requires_grad = true);

    // Parameters, then buffers, then each child's, by dotted name, as PyTorch's state_dict(). The
    // tensors share their values with the module (detached, as PyTorch's): training changes them,
    // and writing them changes the module. To keep a snapshot, take state_dict().clone().
    // A parameter shared by two layers appears under both names, as in PyTorch.
    StateDict state_dict() const;
    // Copies `dict`'s values into the module's own tensors (so optimizers holding them keep
    // working), as PyTorch's load_state_dict. strict: every name of the module must be in the
    // dict and the dict may hold nothing else; otherwise an Error names every missing and
    // unexpected key. A shape mismatch is an Error even when not strict (as in PyTorch). On any
    // Error nothing changes. Non-strict, what didn't match is returned. A BatchNorm's
    // num_batches_tracked may be absent (files from before PyTorch kept it): it is set to 0.
    IncompatibleKeys load_state_dict(const StateDict& dict, bool strict = true);

    // A deep copy as type Self: model.clone<Net>(). The built-in layers and Sequential declare
    // clone() returning their own type; for your own class write nn::clone(model), which needs no
    // code in the class (C++20 can't give a base's function the caller's type).
    template <class Self = void>
    auto clone() const;

    // The class name printed ("Linear"); by default the C++ type's unqualified name.
    virtual std::string name() const;
    // What goes between the parentheses when printed: "in_features=10, out_features=20, bias=true".
    virtual std::string extra_repr() const { return ""; }
    // name(extra_repr), on one line: how error messages name a layer.
    std::string short_repr() const { return name() + "(" + extra_repr() + ")"; }

protected:
    // What every call does around forward: the anomaly-mode layer scope (the ops recorded remember
    // this layer), the pre-hooks, run(), the hooks; returns run()'s result. Used by operator()
    // and ModuleBase's operator().
    template <class Run, class... Args>
    auto call(Run&& run, const Args&... args) {
        const autograd::ModuleScope layer(state_.get(), [this](const void* caller) { return layer_label(caller); });
        if (!state_->pre_hooks.empty()) run_pre_hooks(detail::tensors_of(args...));
        auto out = run();
        if (!state_->hooks.empty()) run_hooks(detail::tensors_of(args...), detail::tensors_of(out));
        return out;
    }
    // What operator()(x) runs: forward(x), or for a ModuleBase, its Derived's forward(x).
    virtual Tensor forward_one_tensor(const Tensor& input) { return forward(input); }

    // A state-dict entry (local name) that load_state_dict tolerates missing, filling it with 0s.
    virtual bool optional_state(const std::string&) const { return false; }

    Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
    Tensor& register_buffer(std::string name, Tensor tensor);
    // Stores a handle to `module` (sharing its parameters) as the child `name`.
    template <class M>
    M& register_module(std::string name, const M& module) {
        auto child = make_module<M>(module);
        add_child(std::move(name), child);
        return *child;
    }
    // What a container stores for `module`: a ModulePtr as it is, a module as a new handle to it
    // (sharing its parameters). Sequential, ModuleList and ModuleDict add with it.
    template <class M>
    static ModulePtr handle_of(M&& module) {
        using T = std::decay_t<M>;
        if constexpr (std::is_same_v<T, ModulePtr>) return module;
        else {
            static_assert(std::is_base_of_v<Module, T>, "containers hold nn::Module subclasses");
            return make_module<T>(std::forward<M>(module));
        }
    }
    // std::make_shared<M>(args...), remembering that the module is an M, which nn::clone needs
    // to copy it as a child. Sequential makes its layers with it.
    template <class M, class... Args>
    static std::shared_ptr<M> make_module(Args&&... args) {
        auto module = std::make_shared<M>(std::forward<Args>(args)...);
        module->copy_as_ = &copy_as<M>;
        module->copy_type_ = &typeid(M);
        return module;
    }

    struct Child {
        std::string name;
        ModulePtr module;
        bool numbered = false;  // named by its index (Sequential renumbers these after edits)
    };
    // Iterates over the children as Module& (Sequential, ModuleList).
    class ChildIterator {
    public:
        using value_type = Module;
        using difference_type = std::ptrdiff_t;
        ChildIterator() = default;
        explicit ChildIterator(std::vector<Child>::const_iterator it) : it_(it) {}
        Module& operator*() const { return *it_->module; }
        Module* operator->() const { return it_->module.get(); }
        ChildIterator& operator++() {
            ++it_;
            return *this;
        }
        ChildIterator operator++(int) {
            ChildIterator old = *this;
            ++it_;
            return old;
        }
        bool operator==(const ChildIterator& o) const { return it_ == o.it_; }

    private:
        std::vector<Child>::const_iterator it_;
    };
    void add_child(std::string name, ModulePtr module, bool numbered = false);
    std::vector<Child>& child_list();
    const std::vector<Child>& child_list() const;

private:
    struct State {
        std::vector<NamedTensor> parameters;
        std::vector<NamedTensor> buffers;
        std::vector<Child> children;
        std::vector<std::pair<std::uint64_t, AnyForwardHook>> hooks;
        std::vector<std::pair<std::uint64_t, ForwardPreHook>> pre_hooks;
        std::uint64_t next_hook = 0;
        bool training = true;
    };
    std::shared_ptr<State> state_;
    // How to copy this object as its own class (set by make_module, checked against typeid).
    ModulePtr (*copy_as_)(const Module&) = nullptr;
    const std::type_info* copy_type_ = nullptr;
    template <class M>
    static ModulePtr copy_as(const Module& m) {
        return std::make_shared<M>(static_cast<const M&>(m));
    }
    friend class HookHandle;
    friend struct CloneAccess;

    std::string layer_label(const void* caller) const;  // "2: Linear(...)", for anomaly mode
    static std::string path_below(const State& from, const State* target);
    void run_pre_hooks(const std::vector<Tensor>& inputs);
    void run_hooks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
    static std::shared_ptr<State> share_or_clone(const std::shared_ptr<State>& state);
    // Visits every registered tensor (defined), own first, then children's: (dotted name, owner, local name, tensor).
    template <class F>
    void visit_state(const std::string& prefix, F&& f) const;

    void check_new_name(const std::string& name) const;
    void collect(const std::string& prefix, bool params, bool recurse, std::vector<NamedTensor>& out) const;
    friend std::ostream& operator<<(std::ostream& os, const Module& m);
};

// nn::clone's machinery (nn/module.cpp), not for direct use.
struct CloneAccess {
    struct Memo;  // what the running clone has copied (nn/module.cpp)
    static void check_type(const Module& module, const std::type_info& type);
    class Scope {  // copies of modules and tensors are deep on this thread while it lives
    public:
        Scope();
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        bool outer_;
    };
    template <class M>
    static void remember(M& module) {
        module.copy_as_ = &Module::copy_as<M>;
        module.copy_type_ = &typeid(M);
    }
};

// A deep copy of `module`, as copy.deepcopy(model): its own parameters and buffers (values copied,
// requires_grad kept, no grad, as deepcopy of a Parameter), its own children, the training flag,
// and the forward hooks (the same functions; removing a handle from the original leaves the
// clone's). Tensors shared within the module (tied weights) stay shared within the clone.
// Done by M's copy constructor with copies made deep for its duration, so a class of your own
// needs no code: its layer members and Tensor members land on the clone's (see
// core/tensor_remap.hpp). A child added to a Sequential as a bare ModulePtr has no known class
// and can't be cloned (an Error names it). Throws if `module` is of a class derived from M (the
// copy would be cut down to an M).
template <class M>
M clone(const M& module) {
    static_assert(std::is_base_of_v<Module, M>, "nn::clone copies nn::Module subclasses");
    CloneAccess::check_type(module, typeid(M));
    std::optional<M> copy;
    {
        CloneAccess::Scope deep;
        copy.emplace(module);
    }
    CloneAccess::remember(*copy);
    return std::move(*copy);  // outside the scope: a handle copy of the clone
}

template <class Self>
auto Module::clone() const {
    if constexpr (std::is_void_v<Self>) {
        static_assert(!std::is_void_v<Self>,
                      "this module class declares no clone(): write nn::clone(model) (a deep copy of its own class)");
    } else {
        const auto* self = dynamic_cast<const Self*>(this);
        if (!self) throw Error("clone<" + type_name(typeid(Self)) + ">(): the module is a " + name());
        return nn::clone(*self);
    }
}

// M's forward takes these arguments.
template <class M, class... Args>
concept ForwardsWith = requires(M& m, Args&... args) {
    m.forward(args...);
};
// M is called as m(x) with one tensor and returns one tensor: what Sequential and Residual hold.
template <class M>
concept OneTensorModule = requires(M& m, const Tensor& x) {
    { m(x) } -> std::convertible_to<Tensor>;
};

// The base of a module whose forward takes and returns what it needs (see the file comment):
//   struct Block : nn::ModuleBase<Block> {
//       nn::Linear fc{4, 4};
//       Block() { register_module("fc", fc); }
//       Tensor forward(const Tensor& x, const Tensor& skip) { return relu(fc(x)) + skip; }
//   };
//   Block block;  Tensor y = block(x, skip);  auto copy = block.clone();
// Everything else (registry, printing, state dicts, hooks, train/eval) is Module's.
template <class Derived>
class ModuleBase : public Module {
public:
    // Derived::forward(args...) inside the layer scope, with the pre-hooks and hooks (which get the
    // tensors among the arguments and the result). Arguments are passed on as lvalues, as the
    // hooks read them after forward.
    template <class... Args>
    requires ForwardsWith<Derived, Args...>
    auto operator()(Args&&... args) {
        return call([&] { return self().forward(args...); }, args...);
    }
    // A deep copy of the Derived (see nn::clone): `auto best = block.clone();`.
    Derived clone() const { return nn::clone(static_cast<const Derived&>(*this)); }

    bool takes_one_tensor() const override { return one_tensor(); }

protected:
    Tensor forward_one_tensor(const Tensor& input) override {
        if constexpr (one_tensor()) return self().forward(input);
        else return Module::forward(input);  // throws, naming the class
    }

private:
    // A function, not a constant: its body is read once Derived is complete.
    static constexpr bool one_tensor() {
        return requires(Derived & m, const Tensor& x) {
            { m.forward(x) } -> std::convertible_to<Tensor>;
        };
    }
    Derived& self() { return static_cast<Derived&>(*this); }
};

// A layer whose output has its input's shape (activations, Dropout, Identity).
class ElementwiseModule : public Module {
public:
    Shape output_shape(const Shape& input_shape) override { return input_shape; }
};

// Returned by register_forward_hook; remove() unregisters the hook (a no-op once the module is gone).
class HookHandle {
public:
    HookHandle() = default;
    void remove();

private:
    friend class Module;
    HookHandle(std::weak_ptr<Module::State> state, std::uint64_t id) : state_(std::move(state)), id_(id) {}
    std::weak_ptr<Module::State> state_;
    std::uint64_t id_ = 0;
};

// Prints the module tree as PyTorch does:
// Sequential(
//   (0): Linear(in_features=10, out_features=20, bias=true)
//   (1): ReLU()
// )
std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace xg::nn
