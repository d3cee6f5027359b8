// Seeing the tape: the ops recorded behind a tensor as a listing, in the order they ran, and as
// a Graphviz DOT picture (`dot -Tsvg tape.dot -o tape.svg`). Both read the graph without
// changing it; call them before backward() (or after one with retain_graph = true).
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace xg::autograd {

// Names for leaf tensors, e.g. model.named_parameters(); others print as "input" or "leaf".
using TensorNames = std::vector<std::pair<std::string, Tensor>>;

// One line per op: "#3 linear   input [64, 784], 1.weight [256, 784], 1.bias [256] -> [64, 256]".
std::string tape_str(const Tensor& t, const TensorNames& names = {});
void print_tape(std::ostream& os, const Tensor& t, const TensorNames& names = {});

// The graph as DOT: a box per op (name, number in the tape, output shape), an ellipse per leaf
// (its name from `names` when known, and shape), edges in the direction values flow.
std::string to_dot(const Tensor& t, const TensorNames& names = {});

}  // namespace xg::autograd
