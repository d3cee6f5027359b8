// The tape: nodes recorded by differentiable ops, replayed in reverse by backward().
//
// Each op that runs in grad mode with an input that requires grad records one Node: its inputs,
// a backward function (which captures the values it needs) and a sequence number. The output
// tensor owns its node, so a graph that is never backpropagated dies with its tensors. The
// sequence numbers give the order ops ran in; replaying nodes in decreasing order visits every
// node after all the nodes that consume its output, so its gradient is complete when it runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace xg::autograd {

// One gradient per input, in input order. An entry for an input that does not need a gradient
// is never read, so a backward function may leave it as Array().
using Grads = std::vector<Array>;
using BackwardFn = std::function<Grads(const Array& grad_output)>;

struct Node {
    Node(const char* name, std::vector<Tensor> inputs, BackwardFn fn, Shape out_shape);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    const char* name;              // the op: "mul", "matmul", ...
    std::uint64_t seq;             // recording order
    std::vector<Tensor> inputs;    // emptied once backward has run (unless retain_graph)
    std::vector<bool> needs_grad;  // per input, fixed when recorded
    BackwardFn backward;           // emptied with inputs
    Shape out_shape;
    bool released = false;         // inputs and saved values have been freed
    Array grad;                    // the output's gradient, summed while backward runs
    bool has_grad = false;

    void release();
};

// Grad mode is per thread, on by default.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// Records `out` as the result of `name` applied to `inputs`, when grad mode is on and some input
// requires grad; otherwise does nothing (and `fn` is dropped unused).
void record(const char* name, Tensor& out, std::vector<Tensor> inputs, BackwardFn fn);

// True when an op with these inputs would record a node: ops use it to skip saving values.
bool will_record(std::initializer_list<const Tensor*> inputs);

// The nodes of the graph behind `root`, in the order they ran (empty for a leaf). `who` names
// the caller in the error for a graph that an earlier backward() has freed.
std::vector<std::shared_ptr<Node>> graph_nodes(const Tensor& root, const char* who);

// Replays the tape behind `root`, seeded with `seed` (root's shape).
void run_backward(const Tensor& root, Array seed, bool retain_graph);

// Nodes alive in the process now (all threads): a leak check for tests and long training loops.
std::int64_t live_nodes();

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
}  // namespace xg
