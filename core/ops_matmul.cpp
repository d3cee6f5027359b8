// Matrix products on OpenBLAS sgemm: matmul (1-D, 2-D, batched 3-D) and the fused linear layer.
// Backward products use sgemm's transpose flags; no transposed copy is ever materialised.
#include <cblas.h>

#include <algorithm>
#include <chrono>

#include "core/ops.hpp"
#include "core/ops_util.hpp"
#include "core/parallel.hpp"

namespace xg {

using namespace detail;

namespace detail {

// C[m, n] = op(A) · op(B) (+ C when accumulate), row-major; op(X) is X or Xᵀ.
// A is [m, k] (or [k, m] when ta), B is [k, n] (or [n, k] when tb).
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
    if (ticket.slot) parallel::end_gemm(ticket, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace detail

namespace {

[[noreturn]] void mismatch(const Tensor& a, const Tensor& b, std::size_t ka, std::size_t kb) {
    throw Error("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " don't line up (" +
                std::to_string(ka) + " != " + std::to_string(kb) + ")");
}

// a [B?, m, k] · b [B?, k, n] -> [B?, m, n], where at least one side is 3-D and a 2-D side is
// shared by every batch entry. Both operands here have 2 or 3 dims.
Tensor matmul_batched(const Tensor& a, const Tensor& b) {
    const bool a3 = a.dim() == 3, b3 = b.dim() == 3;
    const std::size_t batch = a3 ? a.shape()[0] : b.shape()[0];
    if (a3 && b3 && a.shape()[0] != b.shape()[0]) {
        throw Error("matmul: batch sizes of " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " differ");
    }
    const std::size_t m = a.shape()[a.dim() - 2], k = a.shape()[a.dim() - 1];
    const std::size_t kb = b.shape()[b.dim() - 2], n = b.shape()[b.dim() - 1];
    if (k != kb) mismatch(a, b, k, kb);
    const std::size_t sa = a3 ? m * k : 0, sb = b3 ? k * n : 0;  // per-batch strides (0: shared)

    Array c = Array::from_shape({batch, m, n});
    for (std::size_t i = 0; i < batch; ++i)
        gemm(false, false, m, n, k, a.data().data() + i * sa, b.data().data() + i * sb, c.data() + i * m * n);
    Tensor out(std::move(c));
    // dA_i = G_i · B_iᵀ,  dB_i = A_iᵀ · G_i; a shared 2-D side sums its batch contributions.
    record("matmul", out, {a, b}, [a, b, batch, m, n, k, sa, sb](const Array& g) {
        Grads grads(2);
        if (a.requires_grad()) {
            grads[0] = Array::from_shape(a.shape());
            for (std::size_t i = 0; i < batch; ++i)
                gemm(false, true, m, k, n, g.data() + i * m * n, b.data().data() + i * sb, grads[0].data() + i * sa,
                     sa == 0 && i > 0);
        }
        if (b.requires_grad()) {
            grads[1] = Array::from_shape(b.shape());
            for (std::size_t i = 0; i < batch; ++i)
                gemm(true, false, k, n, m, a.data().data() + i * sa, g.data() + i * m * n, grads[1].data() + i * sb,
                     sb == 0 && i > 0);
        }
        return grads;
    });
    return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    const std::size_t da = a.dim(), db = b.dim();
    if (da == 0 || db == 0 || da > 3 || db > 3) {
        throw Error("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                    ": operands must have 1 to 3 dims");
    }
    // Vectors become matrices and the extra dim is removed afterwards, as torch.matmul does.
    if (da == 1 && db == 1) {
        if (a.shape()[0] != b.shape()[0]) mismatch(a, b, a.shape()[0], b.shape()[0]);
        return squeeze(squeeze(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), -1), -1);
    }
    if (da == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
    if (db == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
    if (da == 3 || db == 3) return matmul_batched(a, b);

    // a [m, k] · b [k, n] -> [m, n]
    const std::size_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
    if (k != b.shape()[0]) mismatch(a, b, k, b.shape()[0]);
    Array c = Array::from_shape({m, n});
    gemm(false, false, m, n, k, a.data().data(), b.data().data(), c.data());
    Tensor out(std::move(c));
    // dA [m, k] = G [m, n] · Bᵀ,  dB [k, n] = Aᵀ · G [m, n]
    record("matmul", out, {a, b}, [a, b, m, n, k](const Array& g) {
        Grads grads(2);
        if (a.requires_grad()) {
            grads[0] = Array::from_shape({m, k});
            gemm(false, true, m, k, n, g.data(), b.data().data(), grads[0].data());
        }
        if (b.requires_grad()) {
            grads[1] = Array::from_shape({k, n});
            gemm(true, false, k, n, m, a.data().data(), g.data(), grads[1].data());
        }
        return grads;
    });
    return out;
}

Shape linear_shape(const Shape& x, const Shape& w, const std::string& who) {
    if (w.size() != 2) throw Error(who + ": weight must be 2-D [out, in], got " + shape_str(w));
    if (x.empty() || x.back() != w[1]) {
        throw Error(who + ": input " + shape_str(x) + " has " + (x.empty() ? "no" : std::to_string(x.back())) +
                    " features, expected " + std::to_string(w[1]) + " (weight " + shape_str(w) + ")");
    }
    Shape out = x;
    out.back() = w[0];
    return out;
}

// x [batch, in] · wᵀ [in, out] + b [out] -> [batch, out].
// dx [batch, in] = G · W,  dW [out, in] = Gᵀ · x,  db [out] = G summed over the batch.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
    const Shape out_shape = linear_shape(x.shape(), w.shape());
    const std::size_t out_f = w.shape()[0], in_f = w.shape()[1];
    if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != out_f)) {
        throw Error("linear: bias " + shape_str(bias.shape()) + " doesn't match weight " + shape_str(w.shape()) +
                    " (expected [" + std::to_string(out_f) + "])");
    }
    if (x.dim() != 2) {  // [*, in] -> [batch, in] -> [batch, out] -> [*, out]; the reshapes carry the gradient
        return reshape(linear(reshape(x, {-1, static_cast<std::int64_t>(in_f)}), w, bias),
                       std::vector<std::int64_t>(out_shape.begin(), out_shape.end()));
    }
    const std::size_t batch = x.shape()[0];
    Array y = Array::from_shape({batch, out_f});
    if (bias.defined()) {  // start from the bias in every row, then let sgemm accumulate on top
        const float* b = bias.data().data();
        for (std::size_t r = 0; r < batch; ++r) std::copy(b, b + out_f, y.data() + r * out_f);
    }
    gemm(false, true, batch, out_f, in_f, x.data().data(), w.data().data(), y.data(), bias.defined());
    Tensor out(std::move(y));
    std::vector<Tensor> inputs{x, w};
    if (bias.defined()) inputs.push_back(bias);
    record("linear", out, std::move(inputs), [x, w, bias, batch, in_f, out_f](const Array& g) {
        Grads grads(bias.defined() ? 3 : 2);
        if (x.requires_grad()) {
            grads[0] = Array::from_shape({batch, in_f});
            gemm(false, false, batch, in_f, out_f, g.data(), w.data().data(), grads[0].data());
        }
        if (w.requires_grad()) {
            grads[1] = Array::from_shape({out_f, in_f});
            gemm(true, false, out_f, in_f, batch, g.data(), x.data().data(), grads[1].data());
        }
        if (bias.defined() && bias.requires_grad()) {
            Array gb = xt::zeros<float>({out_f});
            for (std::size_t r = 0; r < batch; ++r)
                for (std::size_t j = 0; j < out_f; ++j) gb.data()[j] += g.data()[r * out_f + j];
            grads[2] = std::move(gb);
        }
        return grads;
    });
    return out;
}

}  // namespace xg
