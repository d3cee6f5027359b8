// The tape's life cycle: record (Node), replay (run_backward, grad), free (Node::release, ~Node);
// and anomaly mode, which checks each gradient replay computes.
#include "core/autograd.hpp"
#include "core/backward_hooks.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/kernels.hpp"
#include "core/ops.hpp"
#include "core/pool.hpp"

namespace xg::autograd {

namespace {

std::atomic<std::uint64_t> next_seq{0};
std::atomic<std::int64_t> live_count{0};
thread_local bool grad_enabled = true;
// The wanted-input mask of the backward function running on this thread (needs_input_grad).
thread_local const InputMask* input_mask = nullptr;
std::atomic<bool> anomaly_enabled{false};  // for every thread, as PyTorch's AnomalyMode

// The layers whose forward is running on this thread (anomaly mode only), innermost last.
struct LayerFrame {
    const void* owner;
    std::shared_ptr<const std::string> path;  // "Sequential/2: Linear(...)"
};
thread_local std::vector<LayerFrame> layer_frames;

// register_backward_end_hook's hooks, and their count for backward's lock-free check.
std::mutex backward_end_hooks_mutex;
std::vector<std::pair<std::uint64_t, std::function<void()>>> backward_end_hooks;
std::uint64_t next_backward_end_hook = 0;
std::atomic<std::size_t> backward_end_hook_count{0};

// Runs copies of the hooks, outside the lock: a hook may register or remove hooks.
void run_backward_end_hooks() {
    std::vector<std::function<void()>> hooks;
    {
        std::lock_guard lock(backward_end_hooks_mutex);
        for (const auto& h : backward_end_hooks) hooks.push_back(h.second);
    }
    for (const auto& hook : hooks) hook();
}

// Freeing a long chain (x -> op -> op -> ... 10,000 deep) through shared_ptr destructors would
// recurse once per node and overflow the stack. Instead a node hands its inputs and closure to
// this per-thread list, and the outermost free drains it with a loop.
struct Graveyard {
    std::vector<NodeInputs> inputs;
    std::vector<BackwardFn> fns;
    bool draining = false;
    ~Graveyard();
};
thread_local Graveyard graveyard;
// False once this thread's graveyard is destroyed: a Tensor with a tape that outlives it (a static
// one, at exit) frees its nodes directly rather than into a destroyed list.
thread_local bool graveyard_open = true;
Graveyard::~Graveyard() { graveyard_open = false; }

void bury(NodeInputs&& inputs, BackwardFn&& fn) {
    if (!graveyard_open) {
        NodeInputs dying_inputs = std::move(inputs);
        BackwardFn dying_fn = std::move(fn);
        return;
    }
    Graveyard& g = graveyard;
    if (!inputs.empty()) g.inputs.push_back(std::move(inputs));
    if (fn) g.fns.push_back(std::move(fn));
    inputs.clear();
    fn = nullptr;
    if (g.draining) return;
    g.draining = true;
    while (!g.inputs.empty() || !g.fns.empty()) {
        if (!g.fns.empty()) {
            BackwardFn dying = std::move(g.fns.back());
            g.fns.pop_back();
        }  // `dying` is destroyed here; what it frees lands back in the lists
        if (!g.inputs.empty()) {
            NodeInputs dying = std::move(g.inputs.back());
            g.inputs.pop_back();
        }
    }
    g.draining = false;
}

// into += g. In place when nothing else sees `into` and nothing is being recorded; otherwise a
// new tensor (recorded under create_graph, so the sum stays differentiable). The first g is kept
// as it is when nothing else holds it, and copied otherwise, as PyTorch's AccumulateGrad does: a
// leaf's grad() must not be the caller's seed or a tensor another input's gradient shares.
void accumulate(Tensor& into, Tensor g) {
    if (!into.defined()) {
        if (g.is_sole_owner()) into = std::move(g);
        else into = grad_enabled ? g.clone() : Tensor(g.data());  // under create_graph, a recorded copy
    } else if (!grad_enabled && into.is_sole_owner()) {
        kernels::add_into(into.numel(), into.data().data(), g.data().data());
    } else {
        into = add(into, g);
    }
}

// A set of nodes for one walk over a graph: open addressing in a power-of-two table of pointers.
// Every backward pass walks its whole graph (graph_nodes) and grad() marks the nodes it needs; a
// std::unordered_set allocated a block per node for that, about 5% of a PINN step.
class NodeSet {
public:
    bool contains(const Node* n) const {
        if (slots_.empty()) return false;
        for (std::size_t i = home(n);; i = (i + 1) & (slots_.size() - 1)) {
            if (slots_[i] == n) return true;
            if (!slots_[i]) return false;
        }
    }
    // Adds n; false if it was there already.
    bool insert(const Node* n) {
        if (2 * (count_ + 1) > slots_.size()) grow();
        std::size_t i = home(n);
        for (; slots_[i]; i = (i + 1) & (slots_.size() - 1))
            if (slots_[i] == n) return false;
        slots_[i] = n;
        ++count_;
        return true;
    }

private:
    std::vector<const Node*> slots_;  // null: empty; kept at most half full
    std::size_t count_ = 0;

    std::size_t home(const Node* n) const {  // the address times 2^64/φ; its middle bits pick the slot
        return static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(n) * 0x9E3779B97F4A7C15ull) >> 20) &
               (slots_.size() - 1);
    }
    void grow() {
        std::vector<const Node*> old = std::move(slots_);
        slots_.assign(old.empty() ? 64 : 2 * old.size(), nullptr);
        count_ = 0;
        for (const Node* n : old)
            if (n) insert(n);
    }
};

// Under create_graph, the gradients a first-order-only node computed get a node of their own
// whose backward throws: differentiating them again is where the missing second order would bite.
void mark_first_order(const Node& n, const Tensor& grad_output, Tensors& grads) {
    NodeInputs sources{grad_output};
    for (const Tensor& in : n.inputs) {
        if (!in.defined()) continue;
        // A leaf goes in as an alias of its values: the node would otherwise own the leaf whose
        // grad() it may become, a cycle that never frees.
        if (in.is_leaf()) sources.push_back(Tensor::from_storage(in.storage()).requires_grad_(in.requires_grad()));
        else sources.push_back(in);
    }
    for (Tensor& g : grads) {
        if (!g.defined()) continue;
        g = g.detach();
        detail::add_node(
            n.name, g, sources, BackwardFn([name = std::string(n.name)](Tensor, const Tensor&) -> Tensors {
                throw Error(name +
                            ": its backward is a fused first-order kernel, so a gradient computed through it "
                            "with create_graph can't be differentiated again (second-order gradients are not "
                            "supported through '" +
                            name + "')");
            }),
            detail::Saves::nothing, false);
    }
}

// Anomaly mode: throws naming the node's op, its inputs' shapes and its layer if a gradient it
// computed holds a NaN or an infinity.
void check_finite(const Node& n, const Tensors& grads) {
    for (std::size_t i = 0; i < n.inputs.size() && i < grads.size(); ++i) {
        if (!n.needs_grad[i] || !grads[i].defined()) continue;
        const Array& g = grads[i].data();
        const auto bad = std::find_if(g.begin(), g.end(), [](float v) { return !std::isfinite(v); });
        if (bad == g.end()) continue;
        std::string shapes;
        int count = 0;
        for (const Tensor& in : n.inputs) {
            if (!in.defined()) continue;  // an absent optional input
            shapes += (count++ ? ", " : "") + shape_str(in.shape());
        }
        throw Error(std::string("anomaly: the backward of '") + n.name + "' (input shape" + (count == 1 ? " " : "s ") +
                    shapes + ")" + (n.layer ? " in layer '" + *n.layer + "'" : std::string()) + " returned " +
                    (std::isnan(*bad) ? "NaN"
                     : *bad > 0       ? "inf"
                                      : "-inf") +
                    " in its gradient for input " + std::to_string(i) + " (first at element " +
                    std::to_string(bad - g.begin()) + ")");
    }
}

// Which nodes a grad() call must run: those with a path down to a wanted input.
struct Wanted {
    std::unordered_map<const TensorImpl*, std::size_t> leaves;  // leaf input -> its index
    std::unordered_map<const Node*, std::size_t> results;       // a wanted intermediate's node -> index
    NodeSet needed;

    // Whether a gradient delivered to `in` can reach a wanted input (valid for `in`'s node once
    // every older node has been decided).
    bool leads_to_wanted(const Tensor& in) const {
        const Node* child = in.impl()->grad_fn.get();
        return child ? (results.count(child) || needed.contains(child)) : leaves.count(in.impl()) != 0;
    }
};

Wanted find_wanted(const std::vector<Tensor>& inputs, const std::vector<std::shared_ptr<Node>>& order) {
    Wanted w;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].grad_fn()) w.results.emplace(inputs[i].grad_fn().get(), i);
        else w.leaves.emplace(inputs[i].impl(), i);
    }
    for (const auto& n : order) {  // oldest first: a node's inputs' nodes are decided before it
        for (std::size_t i = 0; i < n->inputs.size(); ++i) {
            if (n->needs_grad[i] && w.leads_to_wanted(n->inputs[i])) {
                w.needed.insert(n.get());
                break;
            }
        }
    }
    return w;
}

// Sets needs_input_grad's mask for a backward call, and restores the caller's afterwards (a
// backward function may itself run a backward pass).
class InputMaskScope {
public:
    explicit InputMaskScope(const InputMask* mask) : previous_(input_mask) { input_mask = mask; }
    ~InputMaskScope() { input_mask = previous_; }
    InputMaskScope(const InputMaskScope&) = delete;
    InputMaskScope& operator=(const InputMaskScope&) = delete;

private:
    const InputMask* previous_;
};

// The replay shared by backward() and grad(). With `wanted`, gradients reaching those inputs are
// returned instead of added into leaves' grad(), and nodes with no path to them don't run.
Tensors replay(const std::vector<Tensor>& roots, const std::vector<Tensor>& seeds, bool retain_graph, bool create_graph,
               const std::vector<Tensor>* wanted_inputs) {
    AutoGradMode mode(create_graph);
    // `order` owns the nodes while they run: releasing a node drops its inputs, which may hold
    // the last reference to a node that runs later.
    std::vector<std::shared_ptr<Node>> order = graph_nodes(roots, wanted_inputs ? "grad" : "backward");
    Wanted wanted;
    Tensors captured;
    if (wanted_inputs) {
        wanted = find_wanted(*wanted_inputs, order);
        captured.resize(wanted_inputs->size());
    }
    std::reverse(order.begin(), order.end());

    // Delivers gradient `g` for tensor `t`: to its node, or to a leaf's grad() (or grad()'s result).
    auto deliver = [&](const Tensor& t, Tensor g) {
        TensorImpl* impl = t.impl();
        if (impl->grad_fn) {
            accumulate(impl->grad_fn->grad, std::move(g));
        } else if (!wanted_inputs) {
            accumulate(impl->grad, std::move(g));
        } else if (auto it = wanted.leaves.find(impl); it != wanted.leaves.end()) {
            accumulate(captured[it->second], std::move(g));
        }
    };
    const bool anomaly = is_anomaly_enabled();
    for (std::size_t r = 0; anomaly && r < roots.size(); ++r) {
        const Array& s = seeds[r].data();
        if (std::any_of(s.begin(), s.end(), [](float v) { return !std::isfinite(v); }))
            throw Error("anomaly: the gradient given for output " + std::to_string(r) + " " +
                        shape_str(seeds[r].shape()) + " holds a NaN or an infinity");
    }
    for (std::size_t r = 0; r < roots.size(); ++r) deliver(roots[r], seeds[r]);

    InputMask grad_mask;  // per input of the running node: is its gradient wanted (grad() only)
    try {
        for (const std::shared_ptr<Node>& n : order) {
            if (!n->grad.defined()) continue;  // reachable only through inputs that needed no gradient
            Tensor g = std::move(n->grad);
            n->grad = Tensor();
            if (wanted_inputs) {
                if (auto it = wanted.results.find(n.get()); it != wanted.results.end()) captured[it->second] = g;
                if (!wanted.needed.contains(n.get())) continue;
            }
            const InputMask* mask = &n->needs_grad;
            if (wanted_inputs) {
                grad_mask.assign(n->inputs.size(), false);
                for (std::size_t i = 0; i < n->inputs.size(); ++i)
                    grad_mask[i] = n->needs_grad[i] && wanted.leads_to_wanted(n->inputs[i]);
                mask = &grad_mask;
            }
            const Tensor y =
                n->saved_output ? Tensor::from_storage(n->saved_output, create_graph ? n : nullptr) : Tensor();
            Tensors grads;
            const InputMaskScope mask_scope(mask);
            if (n->first_order_only && create_graph) {
                {
                    NoGradGuard kernel;
                    grads = n->backward(g, y);
                }
                mark_first_order(*n, g, grads);
            } else {
                grads = n->backward(std::move(g), y);
            }
            if (anomaly) check_finite(*n, grads);
            for (std::size_t i = 0; i < n->inputs.size(); ++i) {
                if (!(*mask)[i] || i >= grads.size() || !grads[i].defined()) continue;
                const Tensor& in = n->inputs[i];
                if (grads[i].shape() != in.shape()) {  // a bug in the op, not in user code
                    throw Error(std::string("backward of '") + n->name + "': gradient " + shape_str(grads[i].shape()) +
                                " for input " + std::to_string(i) + " of shape " + shape_str(in.shape()));
                }
                deliver(in, std::move(grads[i]));
            }
            if (!retain_graph) n->release();
        }
    } catch (...) {
        // A throw mid-way (anomaly mode, a bug in an op) leaves gradients summed in nodes that
        // haven't run; cleared, so that a retained graph's next backward starts from nothing.
        for (const std::shared_ptr<Node>& n : order) n->grad = Tensor();
        throw;
    }
    return captured;
}

}  // namespace

Node::Node(const char* name_, NodeInputs inputs_, BackwardFn fn, Shape out_shape_)
    : name(name_), seq(next_seq.fetch_add(1, std::memory_order_relaxed)), inputs(std::move(inputs_)),
      backward(std::move(fn)), out_shape(std::move(out_shape_)) {
    needs_grad.reserve(inputs.size());
    for (const Tensor& t : inputs) needs_grad.push_back(t.requires_grad());
    live_count.fetch_add(1, std::memory_order_relaxed);
}

Node::~Node() {
    bury(std::move(inputs), std::move(backward));
    live_count.fetch_sub(1, std::memory_order_relaxed);
}

void Node::release() {
    released = true;
    grad = Tensor();
    saved_output.reset();
    bury(std::move(inputs), std::move(backward));
}

bool is_grad_enabled() { return grad_enabled; }

bool needs_input_grad(std::size_t i) { return !input_mask || (i < input_mask->size() && (*input_mask)[i]); }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

bool will_record(std::initializer_list<Tensor> inputs) {
    return grad_enabled && std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.requires_grad(); });
}
bool will_record(const std::vector<Tensor>& inputs) {
    return grad_enabled && std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.requires_grad(); });
}

void detail::add_node(const char* name, Tensor& out, NodeInputs inputs, BackwardFn fn, Saves saves, bool first_order) {
    auto node = std::allocate_shared<Node>(xg::detail::PoolAllocator<Node>(), name, std::move(inputs), std::move(fn),
                                           out.shape());
    if (saves == Saves::output) node->saved_output = out.storage();
    node->first_order_only = first_order;
    if (anomaly_enabled.load(std::memory_order_relaxed) && !layer_frames.empty())
        node->layer = layer_frames.back().path;
    out.impl()->grad_fn = std::move(node);
}

std::vector<std::shared_ptr<Node>> graph_nodes(const std::vector<Tensor>& roots, const char* who) {
    std::vector<std::shared_ptr<Node>> order;
    // Every node reachable from the roots, found with an explicit stack (no recursion).
    NodeSet seen;
    std::vector<std::shared_ptr<Node>> stack;
    for (const Tensor& r : roots) {
        const std::shared_ptr<Node>& top = r.impl()->grad_fn;
        if (top && seen.insert(top.get())) stack.push_back(top);
    }
    while (!stack.empty()) {
        std::shared_ptr<Node> n = std::move(stack.back());
        stack.pop_back();
        if (n->released) {
            throw Error(std::string(who) + ": the graph through '" + n->name + "' (output " + shape_str(n->out_shape) +
                        ") was already freed by an earlier backward(); pass retain_graph = true to "
                        "the first backward() to use the same graph twice");
        }
        for (const Tensor& in : n->inputs) {
            if (!in.defined()) continue;  // an absent optional input
            const std::shared_ptr<Node>& child = in.impl()->grad_fn;
            if (child && seen.insert(child.get())) stack.push_back(child);
        }
        order.push_back(std::move(n));
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a->seq < b->seq; });
    return order;
}

void run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& seeds, bool retain_graph,
                  bool create_graph) {
    replay(roots, seeds, retain_graph, create_graph, nullptr);
    if (backward_end_hook_count.load(std::memory_order_relaxed) != 0) run_backward_end_hooks();
}

std::uint64_t register_backward_end_hook(std::function<void()> hook) {
    std::lock_guard lock(backward_end_hooks_mutex);
    const std::uint64_t id = next_backward_end_hook++;
    backward_end_hooks.emplace_back(id, std::move(hook));
    backward_end_hook_count.store(backward_end_hooks.size(), std::memory_order_relaxed);
    return id;
}

void remove_backward_end_hook(std::uint64_t id) {
    std::lock_guard lock(backward_end_hooks_mutex);
    std::erase_if(backward_end_hooks, [id](const auto& h) { return h.first == id; });
    backward_end_hook_count.store(backward_end_hooks.size(), std::memory_order_relaxed);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs, GradOptions options) {
    if (outputs.empty()) throw Error("grad: needs at least one output");
    if (!options.grad_outputs.empty() && options.grad_outputs.size() != outputs.size()) {
        throw Error("grad: " + std::to_string(options.grad_outputs.size()) + " grad_outputs for " +
                    std::to_string(outputs.size()) + " outputs");
    }
    std::vector<Tensor> seeds;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const Tensor& y = outputs[i];
        if (!y.defined() || !y.requires_grad()) {
            throw Error("grad: output " + std::to_string(i) +
                        " does not require grad (no input had requires_grad, or it was computed under NoGradGuard)");
        }
        const Tensor given = options.grad_outputs.empty() ? Tensor() : options.grad_outputs[i];
        if (given.defined() && given.shape() != y.shape()) {
            throw Error("grad: grad_outputs[" + std::to_string(i) + "] " + shape_str(given.shape()) +
                        " does not match output " + shape_str(y.shape()));
        }
        if (!given.defined() && y.numel() != 1) {
            throw Error("grad: output " + std::to_string(i) + " is " + shape_str(y.shape()) +
                        "; grad can be implicitly created only for a one-element output, so pass grad_outputs");
        }
        seeds.push_back(given.defined() ? given : Tensor(Array(y.shape(), 1.0f)));
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].defined() || !inputs[i].requires_grad()) {
            throw Error("grad: input " + std::to_string(i) + " does not require grad");
        }
    }
    Tensors result =
        replay(outputs, seeds, options.retain_graph.value_or(options.create_graph), options.create_graph, &inputs);
    for (std::size_t i = 0; i < inputs.size(); ++i)  // an input listed twice gets its gradient twice, as in PyTorch
        for (std::size_t j = 0; j < i; ++j)
            if (inputs[j].impl() == inputs[i].impl()) result[i] = result[j];
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!result[i].defined() && !options.allow_unused) {
            throw Error("grad: input " + std::to_string(i) + " " + shape_str(inputs[i].shape()) +
                        " was not used to compute the outputs (pass allow_unused = true to get an undefined Tensor "
                        "for it)");
        }
    }
    return result;
}

std::int64_t live_nodes() { return live_count.load(std::memory_order_relaxed); }

void set_detect_anomaly(bool enabled) { anomaly_enabled.store(enabled, std::memory_order_relaxed); }
bool is_anomaly_enabled() { return anomaly_enabled.load(std::memory_order_relaxed); }

const void* ModuleScope::current_owner() { return layer_frames.empty() ? nullptr : layer_frames.back().owner; }

void ModuleScope::push(const void* owner, const std::string& label) {
    auto path =
        std::make_shared<const std::string>(layer_frames.empty() ? label : *layer_frames.back().path + "/" + label);
    layer_frames.push_back({owner, std::move(path)});
}

void ModuleScope::pop() { layer_frames.pop_back(); }

}  // namespace xg::autograd
