// Ops that pick entries by position or by an index tensor: masked_fill, tril, triu, gather and
// the embedding lookup. Index tensors are float tensors holding whole numbers (xgrad is
// float32-only; argmax gives its indices the same way): each is checked to be a whole number in
// range, and the error names the op, the value and the shapes. Every gradient here is built from
// ops of this file (a gather's is a scatter-add, whose gradient is the gather again), so all of
// them are differentiable to any order.
#include <algorithm>
#include <cmath>
#include <memory>

#include "core/format.hpp"
#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

namespace {

// The entries of `index` as whole numbers in [0, bound), or an Error naming `op`, the value and
// `range` (what the bound is, e.g. "for dim 1 of [3, 4]").
std::vector<std::size_t> index_values(const char* op, const Tensor& index, std::size_t bound,
                                      const std::string& range) {
    std::vector<std::size_t> out(index.numel());
    const float* v = index.data().data();
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (!std::isfinite(v[i]) || v[i] != std::floor(v[i])) {
            throw Error(std::string(op) + ": index " + format_number(v[i]) + " (entry " + std::to_string(i) +
                        " of index " + shape_str(index.shape()) +
                        ") is not a whole number; indices are floats holding integers");
        }
        if (v[i] < 0.0f || v[i] >= static_cast<float>(bound)) {
            throw Error(std::string(op) + ": index " + format_number(v[i]) + " is out of range " + range);
        }
        out[i] = static_cast<std::size_t>(v[i]);
    }
    return out;
}

Tensor put_add(const Tensor& g, const Shape& shape, std::shared_ptr<const std::vector<std::size_t>> at);

// out[i] = a.flat[at[i]], out of shape `shape`: gather and embedding both reduce to this once the
// flat positions are known.  d/da = g added back at the same positions (put_add).
Tensor take(const char* op, const Tensor& a, Shape shape, std::shared_ptr<const std::vector<std::size_t>> at) {
    Array r = Array::from_shape(shape);
    const float* x = a.data().data();
    for (std::size_t i = 0; i < at->size(); ++i) r.data()[i] = x[(*at)[i]];
    Tensor out(std::move(r));
    record(op, out, {a}, [sa = a.shape(), at = std::move(at)](Tensor g) { return Tensors{put_add(g, sa, at)}; });
    return out;
}

// The adjoint of take: zeros of `shape` with g[i] added at at[i] (repeats add up, as PyTorch's
// scatter_add and embedding backward).  d/dg = gg taken at the same positions.
Tensor put_add(const Tensor& g, const Shape& shape, std::shared_ptr<const std::vector<std::size_t>> at) {
    Array r = xt::zeros<float>(shape);
    const float* src = g.data().data();
    for (std::size_t i = 0; i < at->size(); ++i) r.data()[(*at)[i]] += src[i];
    Tensor out(std::move(r));
    record("scatter_add", out, {g},
           [sg = g.shape(), at = std::move(at)](Tensor gg) { return Tensors{take("gather", gg, sg, at)}; });
    return out;
}

// Row-major strides of `shape`.
std::vector<std::size_t> strides_of(const Shape& shape) {
    std::vector<std::size_t> s(shape.size(), 1);
    for (std::size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
    return s;
}

// The shared body of tril and triu: a's entries where keep(column - row) holds over the last two
// dims, zeros elsewhere.  d/da = the same op on g (zeroing fixed entries is its own adjoint).
template <class Keep>
Tensor triangle(const char* op, const Tensor& a, std::int64_t k, Keep keep) {
    if (a.dim() < 2) throw Error(std::string(op) + ": input must have at least 2 dims, got " + shape_str(a.shape()));
    const std::size_t rows = a.shape()[a.dim() - 2], cols = a.shape()[a.dim() - 1];
    Array r = a.data();
    for (std::size_t m = 0; m < r.size() / std::max<std::size_t>(rows * cols, 1); ++m)
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j)
                if (!keep(static_cast<std::int64_t>(j) - static_cast<std::int64_t>(i), k))
                    r.data()[(m * rows + i) * cols + j] = 0.0f;
    Tensor out(std::move(r));
    record(op, out, {a}, [op, k, keep](Tensor g) { return Tensors{triangle(op, g, k, keep)}; });
    return out;
}

bool lower(std::int64_t diagonal_offset, std::int64_t k) { return diagonal_offset <= k; }
bool upper(std::int64_t diagonal_offset, std::int64_t k) { return diagonal_offset >= k; }

}  // namespace

// a with `value` where mask is 1, as torch.masked_fill; a and mask broadcast together (the result
// has the broadcast shape, as PyTorch's out-of-place masked_fill). mask holds 0/1 (a comparison's
// result: PyTorch's bool mask) and is a constant.  d/da = where(mask, 0, g) summed back to a.
Tensor masked_fill(const Tensor& a, const Tensor& mask, float value) {
    Shape shape;
    try {
        shape = broadcast_shapes("masked_fill", a.shape(), mask.shape());
    } catch (const Error&) {
        throw Error("masked_fill: mask " + shape_str(mask.shape()) + " doesn't broadcast with input " +
                    shape_str(a.shape()));
    }
    for (std::size_t i = 0; i < mask.numel(); ++i) {
        const float m = mask.data().data()[i];
        if (m != 0.0f && m != 1.0f) {
            throw Error("masked_fill: mask " + shape_str(mask.shape()) + " must hold 0 or 1 (a boolean mask), entry " +
                        std::to_string(i) + " is " + std::to_string(m));
        }
    }
    const Array in = xt::broadcast(a.data(), shape);
    const Array m = xt::broadcast(mask.data(), shape);
    Array r = Array::from_shape(shape);
    for (std::size_t i = 0; i < r.size(); ++i) r.data()[i] = m.data()[i] != 0.0f ? value : in.data()[i];
    Tensor out(std::move(r));
    record("masked_fill", out, {a},
           [mask = mask.detach(), sa = a.shape()](Tensor g) { return Tensors{sum_to(where(mask, 0.0f, g), sa)}; });
    return out;
}

Tensor tril(const Tensor& a, std::int64_t diagonal) { return triangle("tril", a, diagonal, lower); }
Tensor triu(const Tensor& a, std::int64_t diagonal) { return triangle("triu", a, diagonal, upper); }

// out[i][j][k] = a[index[i][j][k]][j][k] for dim 0 (likewise for other dims), as torch.gather:
// index has a's number of dims, and no larger size than a's in the dims other than `dim`.
// d/da = g added at the picked positions (scatter_add); repeated indices add up.
Tensor gather(const Tensor& a, std::int64_t dim, const Tensor& index) {
    const std::size_t d = normalize_dim("gather", dim, a.dim(), a.shape());
    if (index.dim() != a.dim()) {
        throw Error("gather: index " + shape_str(index.shape()) + " must have as many dims as input " +
                    shape_str(a.shape()));
    }
    for (std::size_t i = 0; i < a.dim(); ++i) {
        if (i != d && index.shape()[i] > a.shape()[i]) {
            throw Error("gather: index " + shape_str(index.shape()) + " is larger than input " + shape_str(a.shape()) +
                        " in dim " + std::to_string(i) + " (only dim " + std::to_string(dim) + " may differ)");
        }
    }
    const std::vector<std::size_t> idx = index_values(
        "gather", index, a.shape()[d], "for dim " + std::to_string(dim) + " of input " + shape_str(a.shape()));
    const std::vector<std::size_t> sa = strides_of(a.shape()), si = strides_of(index.shape());
    auto at = std::make_shared<std::vector<std::size_t>>(idx.size());
    for (std::size_t i = 0; i < idx.size(); ++i) {  // index position -> a's flat offset
        std::size_t offset = 0;
        for (std::size_t k = 0; k < a.dim(); ++k) offset += (k == d ? idx[i] : (i / si[k]) % index.shape()[k]) * sa[k];
        (*at)[i] = offset;
    }
    return take("gather", a, index.shape(), std::move(at));
}

// weight [num, dim] rows picked by indices [*] -> [*, dim], as torch.nn.functional.embedding.
// d/dweight = g's rows added into the rows they came from (repeats add up); the padding_idx row
// gets no gradient, as PyTorch (its lookups are routed through a detached copy).
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
    if (weight.dim() != 2) {
        throw Error("embedding: weight must be 2-D [num_embeddings, embedding_dim], got " + shape_str(weight.shape()));
    }
    const std::size_t num = weight.shape()[0], width = weight.shape()[1];
    const std::vector<std::size_t> idx =
        index_values("embedding", indices, num, "for " + std::to_string(num) + " embeddings");
    auto at = std::make_shared<std::vector<std::size_t>>(idx.size() * width);
    for (std::size_t i = 0; i < idx.size(); ++i)
        for (std::size_t j = 0; j < width; ++j) (*at)[i * width + j] = idx[i] * width + j;
    Shape shape = indices.shape();
    shape.push_back(width);
    Tensor out = take("embedding", weight, shape, std::move(at));
    if (!padding_idx) return out;
    const auto n = static_cast<std::int64_t>(num);
    if (*padding_idx < -n || *padding_idx >= n) {
        throw Error("embedding: padding_idx " + std::to_string(*padding_idx) + " is out of range for " +
                    std::to_string(num) + " embeddings");
    }
    const auto pad = static_cast<float>(*padding_idx < 0 ? *padding_idx + n : *padding_idx);
    return where(unsqueeze(eq(indices, pad), -1), out.detach(), out);  // [*, 1] broadcasts over dim
}

}  // namespace xg
