// Helpers shared by the op families (not part of the public API): broadcasting checks,
// summing a broadcast gradient back to its input's shape, and dim bookkeeping.
#pragma once

#include <cstddef>
#include <string>

#include "core/autograd.hpp"
#include "core/tensor.hpp"

namespace xg::detail {

using autograd::Grads;
using autograd::record;

// The broadcast shape of a and b, or an Error naming `op` and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// Sums g over the dims that broadcasting expanded, so the result has `shape`.
Array sum_to(const Array& g, const Shape& shape);

// g broadcast up to `shape` and materialised.
Array expand_to(const Array& g, const Shape& shape);

// A tensor viewed as [outer, n, inner] around `dim`: reductions and softmax loop over it.
struct DimSplit {
    std::size_t outer = 1, n = 1, inner = 1;
};
DimSplit split_at(const Shape& shape, std::size_t dim);

// Σ over dim d (the result keeps d as size 1); float accumulation in memory order.
Array sum_dim_keep(const Array& a, std::size_t d);

// C[m, n] = op(A) · op(B) (+ C when accumulate), row-major, op(X) = X or Xᵀ; A is [m, k] ([k, m]
// when ta), B is [k, n] ([n, k] when tb). OpenBLAS sgemm, with the per-shape thread choice.
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* A, const float* B, float* C,
          bool accumulate = false);

// `shape` with `dim` removed, or set to 1 when keepdim.
Shape reduced_shape(const Shape& shape, std::size_t dim, bool keepdim);

}  // namespace xg::detail
