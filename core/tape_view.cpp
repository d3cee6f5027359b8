// The tape as text and as DOT, from autograd::graph_nodes.
#include "core/tape_view.hpp"

#include <map>
#include <ostream>
#include <sstream>

#include "core/autograd.hpp"

namespace xg::autograd {

namespace {

struct Graph {
    std::vector<std::shared_ptr<Node>> nodes;   // in the order they ran
    std::map<const Node*, std::size_t> number;  // 1-based position in the tape
};

Graph graph_of(const Tensor& t, const char* who) {
    if (!t.defined()) throw Error(std::string(who) + ": the tensor is undefined");
    Graph g;
    g.nodes = graph_nodes(t, who);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) g.number[g.nodes[i].get()] = i + 1;
    return g;
}

std::string leaf_name(const Tensor& leaf, const TensorNames& names) {
    for (const auto& [name, t] : names)
        if (t.impl() == leaf.impl()) return name;
    return leaf.requires_grad() ? "leaf" : "input";
}

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

std::string tape_str(const Tensor& t, const TensorNames& names) {
    const Graph g = graph_of(t, "tape_str");
    std::ostringstream s;
    if (g.nodes.empty()) {
        s << "no tape: the tensor " << shape_str(t.shape()) << " is a leaf (nothing recorded made it)\n";
        return s.str();
    }
    s << "tape behind a tensor of shape " << shape_str(t.shape()) << ": " << g.nodes.size()
      << " ops, in the order they ran (backward replays them bottom to top)\n";
    for (const auto& n : g.nodes) {
        const std::string op = n->name;
        s << "  #" << g.number.at(n.get()) << ' ' << op << std::string(op.size() < 20 ? 20 - op.size() : 1, ' ');
        bool first = true;
        for (const Tensor& in : n->inputs) {
            if (!in.defined()) continue;  // an absent optional input (a layer without bias)
            if (!first) s << ", ";
            first = false;
            if (in.grad_fn()) s << '#' << g.number.at(in.grad_fn().get());
            else s << leaf_name(in, names);
            s << ' ' << shape_str(in.shape());
        }
        s << " -> " << shape_str(n->out_shape) << '\n';
    }
    return s.str();
}

void print_tape(std::ostream& os, const Tensor& t, const TensorNames& names) { os << tape_str(t, names); }

std::string to_dot(const Tensor& t, const TensorNames& names) {
    const Graph g = graph_of(t, "to_dot");
    std::ostringstream s;
    s << "digraph tape {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=11];\n";
    std::map<const TensorImpl*, std::string> leaves;
    auto leaf_id = [&](const Tensor& leaf) {
        auto it = leaves.find(leaf.impl());
        if (it != leaves.end()) return it->second;
        const std::string id = "leaf" + std::to_string(leaves.size() + 1);
        leaves[leaf.impl()] = id;
        const std::string name = leaf_name(leaf, names);
        s << "  " << id << " [shape=ellipse, style=filled, fillcolor=\""
          << (leaf.requires_grad() ? "#d5e8d4" : "#eeeeee") << "\", label=\"" << escape(name) << "\\n"
          << shape_str(leaf.shape()) << "\"];\n";
        return id;
    };
    if (g.nodes.empty()) leaf_id(t);
    for (const auto& n : g.nodes) {
        const std::size_t k = g.number.at(n.get());
        s << "  op" << k << " [shape=box, style=\"rounded,filled\", fillcolor=\"#dae8fc\", label=\"#" << k << ' '
          << escape(n->name) << "\\n"
          << shape_str(n->out_shape) << "\"];\n";
        for (const Tensor& in : n->inputs) {
            if (!in.defined()) continue;
            // leaf_id may first write the leaf's own line, so it runs before this edge's text starts.
            const std::string from =
                in.grad_fn() ? "op" + std::to_string(g.number.at(in.grad_fn().get())) : leaf_id(in);
            s << "  " << from << " -> op" << k << ";\n";
        }
    }
    if (!g.nodes.empty()) {
        s << "  result [shape=plaintext, label=\"result " << shape_str(t.shape()) << "\"];\n  op" << g.nodes.size()
          << " -> result;\n";
    }
    s << "}\n";
    return s.str();
}

}  // namespace xg::autograd
