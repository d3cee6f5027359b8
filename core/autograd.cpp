// The tape's life cycle: record (Node), replay (run_backward), free (Node::release, ~Node).
#include "core/autograd.hpp"

#include <algorithm>
#include <atomic>
#include <unordered_set>
#include <utility>

namespace xg::autograd {

namespace {

std::atomic<std::uint64_t> next_seq{0};
std::atomic<std::int64_t> live_count{0};
thread_local bool grad_enabled = true;

// Freeing a long chain (x -> op -> op -> ... 10,000 deep) through shared_ptr destructors would
// recurse once per node and overflow the stack. Instead a node hands its inputs and closure to
// this per-thread list, and the outermost free drains it with a loop.
struct Graveyard {
    std::vector<std::vector<Tensor>> inputs;
    std::vector<BackwardFn> fns;
    bool draining = false;
};
thread_local Graveyard graveyard;

void bury(std::vector<Tensor>&& inputs, BackwardFn&& fn) {
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
            std::vector<Tensor> dying = std::move(g.inputs.back());
            g.inputs.pop_back();
        }
    }
    g.draining = false;
}

void accumulate(Array& into, bool& has, Array&& g) {
    if (has) {
        into += g;
    } else {
        into = std::move(g);
        has = true;
    }
}

}  // namespace

Node::Node(const char* name_, std::vector<Tensor> inputs_, BackwardFn fn, Shape out_shape_)
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
    grad = Array();
    bury(std::move(inputs), std::move(backward));
}

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

bool will_record(std::initializer_list<const Tensor*> inputs) {
    if (!grad_enabled) return false;
    return std::any_of(inputs.begin(), inputs.end(), [](const Tensor* t) { return t->requires_grad(); });
}

void record(const char* name, Tensor& out, std::vector<Tensor> inputs, BackwardFn fn) {
    if (!grad_enabled) return;
    if (std::none_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.requires_grad(); })) return;
    Shape shape = out.shape();
    out.impl()->grad_fn = std::make_shared<Node>(name, std::move(inputs), std::move(fn), std::move(shape));
}

std::vector<std::shared_ptr<Node>> graph_nodes(const Tensor& root, const char* who) {
    std::vector<std::shared_ptr<Node>> order;
    const std::shared_ptr<Node>& top = root.impl()->grad_fn;
    if (!top) return order;
    // Every node reachable from the root, found with an explicit stack (no recursion).
    std::unordered_set<Node*> seen{top.get()};
    std::vector<std::shared_ptr<Node>> stack{top};
    while (!stack.empty()) {
        std::shared_ptr<Node> n = std::move(stack.back());
        stack.pop_back();
        if (n->released) {
            throw Error(std::string(who) + ": the graph through '" + n->name + "' (output " + shape_str(n->out_shape) +
                        ") was already freed by an earlier backward(); pass retain_graph = true to "
                        "the first backward() to use the same graph twice");
        }
        for (const Tensor& in : n->inputs) {
            const std::shared_ptr<Node>& child = in.impl()->grad_fn;
            if (child && seen.insert(child.get()).second) stack.push_back(child);
        }
        order.push_back(std::move(n));
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a->seq < b->seq; });
    return order;
}

void run_backward(const Tensor& root, Array seed, bool retain_graph) {
    TensorImpl* r = root.impl();
    if (!r->grad_fn) {  // a leaf: its gradient is the seed itself
        Tensor& g = r->grad;
        if (g.defined()) g.data() += seed;
        else g = Tensor(std::move(seed));
        return;
    }

    // `order` owns the nodes while they run: releasing a node drops its inputs, which may hold
    // the last reference to a node that runs later.
    std::vector<std::shared_ptr<Node>> order = graph_nodes(root, "backward");
    std::reverse(order.begin(), order.end());

    Node* first = r->grad_fn.get();
    accumulate(first->grad, first->has_grad, std::move(seed));
    for (const std::shared_ptr<Node>& n : order) {
        if (!n->has_grad) continue;  // reachable only through inputs that needed no gradient
        Array g = std::move(n->grad);
        n->grad = Array();
        n->has_grad = false;
        Grads grads = n->backward(g);
        for (std::size_t i = 0; i < n->inputs.size(); ++i) {
            if (!n->needs_grad[i]) continue;
            TensorImpl* in = n->inputs[i].impl();
            if (grads[i].shape() != in->data.shape()) {  // a bug in the op, not in user code
                throw Error(std::string("backward of '") + n->name + "': gradient " + shape_str(grads[i].shape()) +
                            " for input " + std::to_string(i) + " of shape " + shape_str(in->data.shape()));
            }
            if (in->grad_fn) {
                accumulate(in->grad_fn->grad, in->grad_fn->has_grad, std::move(grads[i]));
            } else if (in->grad.defined()) {
                in->grad.data() += grads[i];
            } else {
                in->grad = Tensor(std::move(grads[i]));
            }
        }
        if (!retain_graph) n->release();
    }
}

std::int64_t live_nodes() { return live_count.load(std::memory_order_relaxed); }

}  // namespace xg::autograd
