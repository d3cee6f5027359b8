// Matrix products on OpenBLAS sgemm (core/blas.hpp): matmul (1-D, 2-D, batched) and the fused
// linear layer. Backward products use sgemm's transpose flags through mm, a product that is its
// own derivative, so no transposed copy is made and matmul is differentiable to any order.
#include <algorithm>

#include "core/blas.hpp"
#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

namespace {

[[noreturn]] void mismatch(const Tensor& a, const Tensor& b, std::size_t ka, std::size_t kb) {
    throw Error("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " don't line up (" +
                std::to_string(ka) + " != " + std::to_string(kb) + ")");
}

// op(a) · op(b), op(X) = X or Xᵀ (last two dims), for two matrices or two batches of B matrices.
// With G the output's gradient:
//   a·b:    da = G·bᵀ,  db = aᵀ·G        a·bᵀ:   da = G·b,    db = Gᵀ·a
//   aᵀ·b:   da = b·Gᵀ,  db = a·G         aᵀ·bᵀ:  da = bᵀ·Gᵀ,  db = Gᵀ·aᵀ
Tensor mm(const Tensor& a, const Tensor& b, bool ta, bool tb) {
    const std::size_t r = a.dim();
    const std::size_t batch = r == 3 ? a.shape()[0] : 1;
    const std::size_t m = a.shape()[r - (ta ? 1 : 2)], k = a.shape()[r - (ta ? 2 : 1)];
    const std::size_t kb = b.shape()[r - (tb ? 1 : 2)], n = b.shape()[r - (tb ? 2 : 1)];
    if (k != kb) mismatch(a, b, k, kb);
    Tensor out = empty_tensor(r == 3 ? Shape{batch, m, n} : Shape{m, n});
    float* c = out.data().data();
    for (std::size_t i = 0; i < batch; ++i)
        gemm(ta, tb, m, n, k, a.data().data() + i * m * k, b.data().data() + i * k * n, c + i * m * n);
    record("matmul", out, {a, b}, [a, b, ta, tb](Tensor g) {
        Tensor da, db;
        if (needs_input_grad(0)) da = ta ? (tb ? mm(b, g, true, true) : mm(b, g, false, true)) : mm(g, b, false, !tb);
        if (needs_input_grad(1)) db = tb ? (ta ? mm(g, a, true, true) : mm(g, a, true, false)) : mm(a, g, !ta, false);
        return Tensors{da, db};
    });
    return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    const std::size_t da = a.dim(), db = b.dim();
    if (da == 0 || db == 0) {
        throw Error("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                    ": both operands need at least 1 dim");
    }
    // Vectors become matrices and the extra dim is removed afterwards, as torch.matmul does.
    if (da == 1 && db == 1) {
        if (a.shape()[0] != b.shape()[0]) mismatch(a, b, a.shape()[0], b.shape()[0]);
        return squeeze(squeeze(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), -1), -1);
    }
    if (da == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
    if (db == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
    const std::size_t m = a.shape()[da - 2], k = a.shape()[da - 1], kb = b.shape()[db - 2], n = b.shape()[db - 1];
    if (k != kb) mismatch(a, b, k, kb);
    if (da == 2 && db == 2) return mm(a, b, false, false);
    auto i64 = [](std::size_t v) { return static_cast<std::int64_t>(v); };
    // a [*, m, k] · b [k, n]: one product of a as [(*)·m, k], then the batch dims back.
    if (db == 2) {
        Shape out(a.shape().begin(), a.shape().end() - 1);
        out.push_back(n);
        std::size_t rows = 1;  // explicit, not -1: -1 can't be solved when k is 0
        for (std::size_t i = 0; i + 1 < da; ++i) rows *= a.shape()[i];
        return reshape(mm(reshape(a, {i64(rows), i64(k)}), b, false, false),
                       std::vector<std::int64_t>(out.begin(), out.end()));
    }
    // Otherwise the batch dims (all but the last two) broadcast, as NumPy's: each side is expanded
    // to the common batch (expand's gradient sums it back) and flattened to [B, rows, cols].
    const Shape batch_a(a.shape().begin(), a.shape().end() - 2), batch_b(b.shape().begin(), b.shape().end() - 2);
    Shape batch;
    try {
        batch = broadcast_shapes("matmul", batch_a, batch_b);
    } catch (const Error&) {
        throw Error("matmul: batch sizes of " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                    " don't broadcast");
    }
    auto as_batch = [&](const Tensor& t, std::size_t rows, std::size_t cols) {
        Shape full = batch;
        full.push_back(rows);
        full.push_back(cols);
        std::size_t count = 1;  // explicit, not -1: -1 can't be solved when rows or cols is 0
        for (std::size_t d : batch) count *= d;
        return reshape(expand_to(t, full), {i64(count), i64(rows), i64(cols)});
    };
    Shape out = batch;
    out.push_back(m);
    out.push_back(n);
    return reshape(mm(as_batch(a, m, k), as_batch(b, k, n), false, false),
                   std::vector<std::int64_t>(out.begin(), out.end()));
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

// x [batch, in] · wᵀ [in, out] + b [out] -> [batch, out]: the bias is written into every row, then
// one sgemm adds the product on top.
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
    Tensor out = empty_tensor({batch, out_f});
    float* y = out.data().data();
    if (bias.defined()) {
        const float* b = bias.data().data();
        for (std::size_t r = 0; r < batch; ++r) std::copy(b, b + out_f, y + r * out_f);
    }
    gemm(false, true, batch, out_f, in_f, x.data().data(), w.data().data(), y, bias.defined());
    record("linear", out, {x, w, bias}, [x, w, bias](Tensor g) {
        return Tensors{needs_input_grad(0) ? mm(g, w, false, false) : Tensor(),
                       needs_input_grad(1) ? mm(g, x, true, false) : Tensor(),
                       needs_input_grad(2) ? sum(g, 0) : Tensor()};
    });
    return out;
}

}  // namespace xg
