// The one matrix product every op uses: OpenBLAS sgemm behind the per-shape thread choice
// (core/parallel.hpp). Row-major, with transpose flags so no transposed copy is ever made.
#pragma once

#include <cstddef>

namespace xg::detail {

// C[m, n] = op(A) · op(B) (+ C when accumulate), op(X) = X or Xᵀ; A is [m, k] ([k, m] when ta),
// B is [k, n] ([n, k] when tb). one_thread: on the calling thread alone, whatever the shape (for
// products that already run side by side on several threads, core/conv_kernels.hpp).
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* A, const float* B, float* C,
          bool accumulate = false, bool one_thread = false);

}  // namespace xg::detail
