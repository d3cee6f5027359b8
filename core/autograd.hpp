// The tape: nodes recorded by differentiable ops, replayed in reverse by backward() and grad().
//
// Each op that runs in grad mode with an input that requires grad records one Node: its inputs,
// a backward function (which captures the values it needs) and a sequence number. The output
// tensor owns its node, so a graph that is never backpropagated dies with its tensors. The
// sequence numbers give the order ops ran in; replaying nodes in decreasing order visits every
// node after all the nodes that consume its output, so its gradient is complete when it runs.
//
// A backward function maps the output's gradient to one gradient per input using ordinary
// tensor ops. Normally backward runs with recording off, so those ops cost what the arithmetic
// costs. With create_graph it runs with recording on: the gradients come out as tensors with a
// tape of their own, and can be differentiated again (gradients of gradients, any order).
#pragma once

#include <concepts>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/pool.hpp"
#include "core/tensor.hpp"

namespace xg::autograd {

// One gradient per input, in input order. An entry for an input that needs no gradient is never
// read, so a backward function may leave it undefined (Tensor()).
using Tensors = std::vector<Tensor>;
// (gradient of the output, the output itself) -> gradients of the inputs. The output is passed
// only to ops that asked to save it (see record); it shares the output's values, and under
// create_graph it carries this node as its grad_fn, so a derivative taken from it is recorded.
// Like std::function<Tensors(Tensor, const Tensor&)>, except that the closure lives in one block
// from the per-thread cache (core/pool.hpp): std::function put every closure larger than two
// pointers on the heap, and a step records hundreds of them.
class BackwardFn {
public:
    BackwardFn() = default;
    template <class F>
    explicit BackwardFn(F&& f) : holder_(make_holder(std::forward<F>(f))) {}
    BackwardFn(BackwardFn&& other) noexcept : holder_(std::exchange(other.holder_, nullptr)) {}
    BackwardFn& operator=(BackwardFn&& other) noexcept {
        if (this != &other) {
            reset();
            holder_ = std::exchange(other.holder_, nullptr);
        }
        return *this;
    }
    BackwardFn& operator=(std::nullptr_t) noexcept {
        reset();
        return *this;
    }
    ~BackwardFn() { reset(); }
    explicit operator bool() const { return holder_ != nullptr; }
    Tensors operator()(Tensor grad_output, const Tensor& output) const {
        return holder_->call(std::move(grad_output), output);
    }

private:
    struct Holder {
        virtual Tensors call(Tensor g, const Tensor& y) = 0;
        virtual void destroy() noexcept = 0;  // destructs and returns the block

    protected:
        ~Holder() = default;
    };
    template <class F>
    struct Impl final : Holder {
        F f;
        explicit Impl(F fn) : f(std::move(fn)) {}
        Tensors call(Tensor g, const Tensor& y) override { return f(std::move(g), y); }
        void destroy() noexcept override {
            this->~Impl();
            xg::detail::pool_free(this, sizeof(Impl));
        }
    };
    template <class F>
    static Holder* make_holder(F&& f) {
        using Stored = Impl<std::decay_t<F>>;
        static_assert(alignof(Stored) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "pool blocks have operator new's alignment");
        void* block = xg::detail::pool_allocate(sizeof(Stored));
        try {
            return new (block) Stored(std::forward<F>(f));
        } catch (...) {
            xg::detail::pool_free(block, sizeof(Stored));
            throw;
        }
    }
    void reset() noexcept {
        if (holder_) std::exchange(holder_, nullptr)->destroy();
    }
    Holder* holder_ = nullptr;
};

// A node's inputs and which of them need a gradient, in blocks from the per-thread cache.
using NodeInputs = std::vector<Tensor, xg::detail::PoolAllocator<Tensor>>;
using InputMask = std::vector<bool, xg::detail::PoolAllocator<bool>>;

struct Node {
    Node(const char* name, NodeInputs inputs, BackwardFn fn, Shape out_shape);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    const char* name;      // the op: "mul", "matmul", ...
    std::uint64_t seq;     // recording order
    NodeInputs inputs;     // an absent optional input (a bias) is an undefined Tensor
    InputMask needs_grad;  // per input, fixed when recorded
    BackwardFn backward;
    Shape out_shape;
    std::shared_ptr<Array> saved_output;  // the output's values, for ops that asked to keep them
    bool first_order_only = false;        // backward is a raw kernel: see record_first_order
    bool released = false;                // inputs, closure and saved values have been freed
    Tensor grad;                          // the output's gradient, summed while backward runs
    // In anomaly mode, the layer whose forward recorded the node ("Sequential/2: Linear(...)");
    // shared by every node that layer's call recorded. Null otherwise.
    std::shared_ptr<const std::string> layer;

    void release();  // frees inputs, closure and saved values (after backward, unless retained)
};

// Grad mode is per thread, on by default.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// True when an op with these inputs would record a node.
bool will_record(std::initializer_list<Tensor> inputs);
bool will_record(const std::vector<Tensor>& inputs);

namespace detail {
enum class Saves { nothing, output };
void add_node(const char* name, Tensor& out, NodeInputs inputs, BackwardFn fn, Saves saves, bool first_order);

// Accepts fn(Tensor g) or fn(Tensor g, const Tensor& y); the second form saves the output.
template <class F>
void record_impl(const char* name, Tensor& out, NodeInputs&& inputs, F&& fn, bool first_order) {
    if constexpr (std::is_invocable_v<F&, Tensor, const Tensor&>) {
        add_node(name, out, std::move(inputs), BackwardFn(std::forward<F>(fn)), Saves::output, first_order);
    } else {
        static_assert(std::is_invocable_r_v<Tensors, F&, Tensor>,
                      "a backward function takes (Tensor g) or (Tensor g, const Tensor& y)");
        add_node(name, out, std::move(inputs),
                 BackwardFn([f = std::forward<F>(fn)](Tensor g, const Tensor&) mutable { return f(std::move(g)); }),
                 Saves::nothing, first_order);
    }
}
}  // namespace detail

// Records `out` as the result of `name` applied to `inputs`, when grad mode is on and some input
// requires grad; otherwise does nothing (and `fn` is dropped unused). fn takes the output's
// gradient by value (so a pass-through op can move it on) and returns the inputs' gradients
// computed with tensor ops, which makes the op differentiable to any order. fn may take the
// output too, `(Tensor g, const Tensor& y)`: then the output's values are saved (shared, not
// copied) and handed back to fn — for ops whose derivative is cheapest from the result (exp, tanh).
template <class F>
void record(const char* name, Tensor& out, std::initializer_list<Tensor> inputs, F&& fn) {
    if (will_record(inputs)) detail::record_impl(name, out, NodeInputs(inputs), std::forward<F>(fn), false);
}
template <class F>
void record(const char* name, Tensor& out, const std::vector<Tensor>& inputs, F&& fn) {
    if (will_record(inputs))
        detail::record_impl(name, out, NodeInputs(inputs.begin(), inputs.end()), std::forward<F>(fn), false);
}

// As record, for a fused op whose backward is a hand-written kernel on raw values (convolution,
// batch norm, cross-entropy): its gradients can't be differentiated again. Under create_graph
// they come out marked so, and a second-order pass that reaches them throws an Error naming the
// op (PyTorch's once_differentiable). Plain first-order training is unaffected.
template <class F>
void record_first_order(const char* name, Tensor& out, std::initializer_list<Tensor> inputs, F&& fn) {
    if (will_record(inputs)) detail::record_impl(name, out, NodeInputs(inputs), std::forward<F>(fn), true);
}

// Inside a backward function: whether this pass wants the gradient of input i, as PyTorch's
// ctx.needs_input_grad. False for an input that doesn't require grad and, in grad(), for an input
// with no path to the tensors asked for: grad({u}, {x}) through linear(x, w, b) wants only x's
// gradient, so w's product and b's sum are skipped (a PINN's u' and u'' are such passes). A
// gradient computed anyway is dropped. Outside a backward function it is true.
bool needs_input_grad(std::size_t i);

// The nodes of the graph behind `roots`, in the order they ran (empty for leaves). `who` names
// the caller in the error for a graph that an earlier backward() has freed.
std::vector<std::shared_ptr<Node>> graph_nodes(const std::vector<Tensor>& roots, const char* who);
inline std::vector<std::shared_ptr<Node>> graph_nodes(const Tensor& root, const char* who) {
    return graph_nodes(std::vector<Tensor>{root}, who);
}

// Replays the tape behind `roots`, seeded with `seeds` (one per root, of its shape), and adds
// the gradients into the leaves' grad(). The engine behind Tensor::backward.
void run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& seeds, bool retain_graph,
                  bool create_graph);

// grad()'s options, as torch.autograd.grad's keyword arguments.
struct GradOptions {
    std::vector<Tensor> grad_outputs{};  // one per output; empty: 1 for each (one-element) output
    std::optional<bool> retain_graph{};  // default: create_graph
    bool create_graph = false;           // record this pass, so its results can be differentiated again
    bool allow_unused = false;           // an input the outputs don't depend on gives an undefined Tensor
};

// The gradients of `outputs` (seeded by grad_outputs) with respect to each of `inputs`, returned
// instead of added into .grad(), as torch.autograd.grad. Inputs may be leaves or intermediate
// results; only the part of the tape between them and the outputs runs.
//   Tensor y = sum(pow(x, 3.0f));
//   Tensor dy = autograd::grad({y}, {x}, {.create_graph = true})[0];   // 3x²
//   Tensor d2y = autograd::grad({sum(dy)}, {x})[0];                     // 6x
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         GradOptions options = {});

// Nodes alive in the process now (all threads): a leak check for tests and long training loops.
std::int64_t live_nodes();

// Anomaly detection, as torch.autograd.set_detect_anomaly: while it is on (in every thread, as in
// PyTorch), backward() and grad() check every gradient each node computes and throw an Error
// naming the first op whose backward returned a NaN or an infinity, its inputs' shapes and the
// layer whose forward recorded it:
//   anomaly: the backward of 'log' (input shape [64, 10]) in layer 'Sequential/2: Lambda()'
//   returned NaN in its gradient for input 0 (first at element 3)
// Forward values are not checked (PyTorch doesn't either). Off, it costs nothing measurable; on,
// a pass over every gradient and a label per module call. See docs/2-backward-pass.md.
void set_detect_anomaly(bool enabled);
bool is_anomaly_enabled();

// Turns anomaly detection on (or off) for its scope, as torch.autograd.detect_anomaly().
class DetectAnomalyGuard {
public:
    explicit DetectAnomalyGuard(bool enabled = true) : previous_(is_anomaly_enabled()) { set_detect_anomaly(enabled); }
    ~DetectAnomalyGuard() { set_detect_anomaly(previous_); }
    DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
    DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
    bool previous_;
};

// The layer being run on this thread, for anomaly mode: Module::operator() holds one around its
// forward, and every node recorded meanwhile remembers the layer's path (each enclosing layer's
// label, joined by '/'). With anomaly mode off it does nothing and `label` is never called.
// `owner` identifies the layer to the layers it calls: label(owner of the enclosing scope, or
// nullptr) gives this layer's label, such as "2: Linear(in_features=128, ...)".
class ModuleScope {
public:
    template <class F>
    ModuleScope(const void* owner, F&& label) : active_(is_anomaly_enabled()) {
        if (active_) push(owner, label(current_owner()));
    }
    ~ModuleScope() {
        if (active_) pop();
    }
    ModuleScope(const ModuleScope&) = delete;
    ModuleScope& operator=(const ModuleScope&) = delete;

private:
    static const void* current_owner();
    static void push(const void* owner, const std::string& label);
    static void pop();
    bool active_;
};

}  // namespace xg::autograd

namespace xg {
// Turns recording off on this thread for its scope, like torch::NoGradGuard.
class NoGradGuard {
public:
    NoGradGuard() : previous_(autograd::is_grad_enabled()) { autograd::set_grad_enabled(false); }
    ~NoGradGuard() { autograd::set_grad_enabled(previous_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

// Sets grad mode on this thread for its scope, like torch::AutoGradMode (or Python's
// torch.enable_grad() when `enabled` is true).
class AutoGradMode {
public:
    explicit AutoGradMode(bool enabled) : previous_(autograd::is_grad_enabled()) {
        autograd::set_grad_enabled(enabled);
    }
    ~AutoGradMode() { autograd::set_grad_enabled(previous_); }
    AutoGradMode(const AutoGradMode&) = delete;
    AutoGradMode& operator=(const AutoGradMode&) = delete;

private:
    bool previous_;
};
}  // namespace xg
