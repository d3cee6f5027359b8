// gemm: small products on libxsmm's JIT kernels, the others on cblas_sgemm with the thread count
// parallel::GemmThreads gives the shape (from the shape and the thread setting alone).
#include "core/blas.hpp"

#include <cblas.h>
#include <libxsmm.h>

#include <algorithm>
#include <vector>

#include "core/parallel.hpp"

namespace xg::detail {

namespace {

// Below 64³ multiply-adds OpenBLAS's fixed cost per call (packing A and B, clearing C) outweighs
// the arithmetic: half of a PINN step went there. libxsmm generates a kernel for each small shape
// once and calls it directly, 2-5x faster at 64x32x32 and below (bench/README.md). A
// matrix-vector product (n = 1) stays on OpenBLAS, which is faster there.
constexpr std::size_t small_product = 64 * 64 * 64;

// libxsmm is column-major: row-major C [m, n] is column-major Cᵀ [n, m] = op(B)ᵀ · op(A)ᵀ, so B
// goes first. Its kernels can't transpose their first operand, so a transposed B is laid out
// again first. Returns false when libxsmm has no kernel for the shape.
bool small_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* A, const float* B, float* C,
                bool accumulate) {
    if (tb) {
        thread_local std::vector<float> bt;  // op(B) = Bᵀ as row-major [k, n]
        bt.resize(n * k);
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t p = 0; p < k; ++p) bt[p * n + j] = B[j * k + p];
        B = bt.data();
    }
    const auto M = static_cast<libxsmm_blasint>(n), N = static_cast<libxsmm_blasint>(m),
               K = static_cast<libxsmm_blasint>(k);
    const libxsmm_blasint lda = M, ldb = ta ? N : K, ldc = M;
    const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
    const int flags = (ta ? LIBXSMM_GEMM_FLAG_TRANS_B : 0) | (accumulate ? 0 : LIBXSMM_GEMM_FLAG_BETA_0);
    const int prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
    const libxsmm_smmfunction kernel = libxsmm_smmdispatch(M, N, K, &lda, &ldb, &ldc, &alpha, &beta, &flags, &prefetch);
    if (!kernel) return false;
    kernel(B, A, C);
    // The generated kernel leaves the upper halves of the vector registers dirty; code compiled for
    // baseline x86-64 (xtensor's SSE loops) would then pay a transition penalty on every
    // instruction (tanh ran 4x slower). vzeroupper clears them; only AVX machines run it.
    static const bool avx = __builtin_cpu_supports("avx");
    if (avx) asm volatile("vzeroupper" ::: "memory");
    return true;
}

}  // namespace

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* A, const float* B, float* C,
          bool accumulate, bool one_thread) {
    if (m == 0 || n == 0) return;
    if (k == 0) {  // an empty inner dim: the product is zero (BLAS rejects leading dims of 0)
        if (!accumulate) std::fill(C, C + m * n, 0.0f);
        return;
    }
    if (m * n * k <= small_product && n > 1 && small_gemm(ta, tb, m, n, k, A, B, C, accumulate)) return;
    const auto M = static_cast<blasint>(m), N = static_cast<blasint>(n), K = static_cast<blasint>(k);
    // OpenBLAS's thread count, held steady until the product is done (1x1x1 asks for one thread)
    const parallel::GemmThreads threads = one_thread ? parallel::GemmThreads(1, 1, 1) : parallel::GemmThreads(m, n, k);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A,
                ta ? M : K, B, tb ? K : N, accumulate ? 1.0f : 0.0f, C, N);
}

}  // namespace xg::detail
