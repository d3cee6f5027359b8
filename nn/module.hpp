// nn::Module: the base of every layer and model. Parameters, buffers and child modules are
// registered by name, in order; parameters(), named_parameters(), children(), train()/eval(),
// zero_grad(), printing and saving all come from that registry.
//
// Modules are handles, as in libtorch: copying a Module shares its registry (parameters, buffers,
// children, hooks) and training flag with the original (register_module and Sequential store such
// copies). Hyperparameters are const members, fixed at construction, so copies can't disagree on
// them. Change a parameter's values through its Tensor (p.data(), nn::init), not by assigning a
// new Tensor.
//
// A copy with its own everything, as Python's copy.deepcopy(model), is nn::clone(model) (or
// model.clone() on the built-in layers and Sequential): `auto best = nn::clone(model);`. It works
// for any module class through its copy constructor, with no code in the class (see nn::clone).
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <memory>
#include <string>
#include <cstdint>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "core/state_dict.hpp"
#include "core/tensor.hpp"

namespace xg::nn {

class Module;
class HookHandle;
// Called after a module's forward with the module, its input and its output, as PyTorch's
// register_forward_hook (the hook can't change the output).
using ForwardHook = std::function<void(Module& module, const Tensor& input, const Tensor& output)>;
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

    virtual Tensor forward(const Tensor& input) = 0;
    // forward(input), then every forward hook in the order registered.
    Tensor operator()(const Tensor& input);

    // Runs `hook` after every forward of this module until the handle's remove().
    HookHandle register_forward_hook(ForwardHook hook);

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
    void add_child(std::string name, ModulePtr module, bool numbered = false);
    std::vector<Child>& child_list();
    const std::vector<Child>& child_list() const;

private:
    struct State {
        std::vector<NamedTensor> parameters;
        std::vector<NamedTensor> buffers;
        std::vector<Child> children;
        std::vector<std::pair<std::uint64_t, ForwardHook>> hooks;
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
