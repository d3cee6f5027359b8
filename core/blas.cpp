// gemm: cblas_sgemm with the thread count parallel::begin_gemm chooses for the shape.
#include "core/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>

#include "core/parallel.hpp"

namespace xg::detail {

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* A, const float* B, float* C,
          bool accumulate) {
    if (m == 0 || n == 0) return;
    if (k == 0) {  // an empty inner dim: the product is zero (BLAS rejects leading dims of 0)
        if (!accumulate) std::fill(C, C + m * n, 0.0f);
        return;
    }
    const auto M = static_cast<blasint>(m), N = static_cast<blasint>(n), K = static_cast<blasint>(k);
    const parallel::GemmTicket ticket = parallel::begin_gemm(m, n, k, ta, tb);
    const auto start = ticket.slot ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A,
                ta ? M : K, B, tb ? K : N, accumulate ? 1.0f : 0.0f, C, N);
    if (ticket.slot)
        parallel::end_gemm(ticket, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace xg::detail
