// nn::Module: the base of every layer and model. Parameters, buffers and child modules are
// registered by name, in order; parameters(), named_parameters(), children(), train()/eval(),
// zero_grad(), printing and saving all come from that registry.
//
// Modules are handles, as in libtorch: copying a Module shares its registry (parameters, buffers,
// children, hooks) and training flag with the original (register_module and Sequential store such
// copies). Hyperparameters are const members, fixed at construction, so copies can't disagree on
// them. Change a parameter's values through its Tensor (p.data(), nn::init), not by assigning a
// new Tensor.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <memory>
#include <string>
#include <cstdint>
#include <typeinfo>
#include <utility>
#include <vector>

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

class Module {
public:
    Module();
    virtual ~Module() = default;
    Module(const Module&) = default;  // shares the registry: see the file comment
    Module& operator=(const Module&) = default;

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

    // The class name printed ("Linear"); by default the C++ type's unqualified name.
    virtual std::string name() const;
    // What goes between the parentheses when printed: "in_features=10, out_features=20, bias=true".
    virtual std::string extra_repr() const { return ""; }
    // name(extra_repr), on one line: how error messages name a layer.
    std::string short_repr() const { return name() + "(" + extra_repr() + ")"; }

protected:
    Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
    Tensor& register_buffer(std::string name, Tensor tensor);
    // Stores a handle to `module` (sharing its parameters) as the child `name`.
    template <class M>
    M& register_module(std::string name, const M& module) {
        auto child = std::make_shared<M>(module);
        add_child(std::move(name), child);
        return *child;
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
    friend class HookHandle;

    void check_new_name(const std::string& name) const;
    void collect(const std::string& prefix, bool params, bool recurse, std::vector<NamedTensor>& out) const;
    friend std::ostream& operator<<(std::ostream& os, const Module& m);
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
