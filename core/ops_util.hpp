// Helpers shared by the op families (not part of the public API): broadcasting checks, summing a
// broadcast gradient back to its input's shape, and dim bookkeeping. The Tensor helpers here are
// differentiable ops themselves, so backward functions built from them support any order.
#pragma once

#include <cstddef>
#include <string>

#include "core/autograd.hpp"
#include "core/tensor.hpp"

namespace xg::detail {

using autograd::needs_input_grad;
using autograd::record;
using autograd::record_first_order;
using autograd::Tensors;

// The broadcast shape of a and b, or an Error naming `op` and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// Sums g over the dims that broadcasting expanded, so the result has `shape` (values only).
Array sum_to(const Array& g, const Shape& shape);

// The same as a differentiable op (its backward is expand_to); g itself when the shapes match.
// Every broadcast input's gradient goes through it.
Tensor sum_to(Tensor g, const Shape& shape);

// g broadcast up to `shape` and materialised; its backward is sum_to.
Tensor expand_to(const Tensor& g, const Shape& shape);

// g with `shape` (same count), for a pass-through gradient: when nothing records and nothing
// else holds g, its values are moved, not copied; otherwise a recorded reshape.
Tensor reshaped_to(Tensor g, const Shape& shape);

// A new tensor of `shape` whose values are left for an op to write, made in place: building an
// Array and moving it into a Tensor copied its shape and strides once more per op, a visible
// cost on small tensors (the PINN step makes about 160).
Tensor empty_tensor(const Shape& shape);

// kernel(a, b) over two tensors of one shape, into a new tensor: the elementwise ops' one
// vectorised pass (core/kernels.hpp).
Tensor zip(void (*kernel)(std::size_t, const float*, const float*, float*), const Tensor& a, const Tensor& b);

// x clamped to [lo, hi] as torch.clamp: min(max(x, lo), hi), so hi wins when lo > hi; a NaN x
// stays NaN and a NaN bound is ignored (torch 1.13). clamp and clamp_ share it.
float clamp_value(float x, float lo, float hi);

// A tensor viewed as [outer, n, inner] around `dim`: reductions and softmax loop over it.
struct DimSplit {
    std::size_t outer = 1, n = 1, inner = 1;
};
DimSplit split_at(const Shape& shape, std::size_t dim);

// Σ over dim d (the result keeps d as size 1); float accumulation in memory order.
Array sum_dim_keep(const Array& a, std::size_t d);

// `shape` with `dim` removed, or set to 1 when keepdim.
Shape reduced_shape(const Shape& shape, std::size_t dim, bool keepdim);

}  // namespace xg::detail
