// Shape ops (reshape, view, flatten, transpose, permute, squeeze, unsqueeze, cat, stack, slicing,
// split, chunk)
// and their gradients, each the inverse move (so differentiable to any order). Results are fresh
// copies of the values, never aliases.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

namespace {

// Result of moving the values into `shape` (same count).  d/da = g reshaped back.
Tensor reshaped(const char* op, const Tensor& a, Shape shape) {
    Array r = a.data();
    r.reshape(shape);
    Tensor out(std::move(r));
    record(op, out, {a}, [sa = a.shape()](Tensor g) { return Tensors{reshaped_to(std::move(g), sa)}; });
    return out;
}

Tensor scatter_along(const Tensor& g, const Shape& shape, std::size_t d, const std::vector<std::size_t>& idx);

// Picks positions `idx` along dim d: out[o, j, i] = a[o, idx[j], i] on [outer, n, inner] views.
// d/da = g scattered back, adding where an index repeats.
Tensor gather_along(const char* op, const Tensor& a, std::size_t d, std::vector<std::size_t> idx) {
    const DimSplit s = split_at(a.shape(), d);
    Shape shape = a.shape();
    shape[d] = idx.size();
    Array r = Array::from_shape(shape);
    const float* x = a.data().data();
    // An empty slab (a zero-size dim after d) has null data: memcpy(null, ..., 0) is still undefined.
    for (std::size_t o = 0; s.inner > 0 && o < s.outer; ++o)
        for (std::size_t j = 0; j < idx.size(); ++j)
            std::memcpy(r.data() + (o * idx.size() + j) * s.inner, x + (o * s.n + idx[j]) * s.inner,
                        s.inner * sizeof(float));
    Tensor out(std::move(r));
    record(op, out, {a},
           [sa = a.shape(), d, idx = std::move(idx)](Tensor g) { return Tensors{scatter_along(g, sa, d, idx)}; });
    return out;
}

// The adjoint of gather_along: a zero tensor of `shape` with g's entries added at `idx` along d.
// d/dg = gg gathered at idx.
Tensor scatter_along(const Tensor& g, const Shape& shape, std::size_t d, const std::vector<std::size_t>& idx) {
    const DimSplit s = split_at(shape, d);
    Array r = xt::zeros<float>(shape);
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t j = 0; j < idx.size(); ++j) {
            float* dst = r.data() + (o * s.n + idx[j]) * s.inner;
            const float* src = g.data().data() + (o * idx.size() + j) * s.inner;
            for (std::size_t i = 0; i < s.inner; ++i) dst[i] += src[i];
        }
    Tensor out(std::move(r));
    record("scatter", out, {g}, [d, idx](Tensor gg) { return Tensors{gather_along("gather", gg, d, idx)}; });
    return out;
}

}  // namespace

Shape reshape_shape(const Shape& a, const std::vector<std::int64_t>& shape) {
    std::size_t numel = 1;
    for (std::size_t n : a) numel *= n;
    auto fail = [&](const std::string& why) {
        return Error("reshape: can't reshape " + shape_str(a) + " (" + std::to_string(numel) + " elements) to " +
                     shape_str(shape) + ": " + why);
    };
    Shape out(shape.size());
    std::size_t known = 1;
    int infer = -1;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            if (infer >= 0) throw fail("only one dim may be -1");
            infer = static_cast<int>(i);
        } else if (shape[i] < 0) {
            throw fail("dims must be >= 0 or -1");
        } else {
            out[i] = static_cast<std::size_t>(shape[i]);
            known *= out[i];
        }
    }
    if (infer >= 0) {
        if (known == 0 || numel % known != 0) throw fail("the sizes don't divide");
        out[static_cast<std::size_t>(infer)] = numel / known;
    } else if (known != numel) {
        throw fail("the sizes differ");
    }
    return out;
}

Tensor reshape(const Tensor& a, const std::vector<std::int64_t>& shape) {
    return reshaped("reshape", a, reshape_shape(a.shape(), shape));
}

Tensor view(const Tensor& a, const std::vector<std::int64_t>& shape) { return reshape(a, shape); }

Shape flatten_shape(const Shape& a, std::int64_t start_dim, std::int64_t end_dim) {
    if (a.empty()) return Shape{1};  // a 0-d tensor flattens to [1], as PyTorch
    const std::size_t s = normalize_dim("flatten", start_dim, a.size(), a);
    const std::size_t e = normalize_dim("flatten", end_dim, a.size(), a);
    if (s > e)
        throw Error("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                    std::to_string(end_dim));
    Shape out;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (i <= s || i > e) out.push_back(a[i]);
        else out.back() *= a[i];
    }
    return out;
}

Tensor flatten(const Tensor& a, std::int64_t start_dim, std::int64_t end_dim) {
    return reshaped("flatten", a, flatten_shape(a.shape(), start_dim, end_dim));
}

Tensor squeeze(const Tensor& a) {
    Shape out;
    for (std::size_t n : a.shape())
        if (n != 1) out.push_back(n);
    return reshaped("squeeze", a, std::move(out));
}

Tensor squeeze(const Tensor& a, std::int64_t dim) {
    if (a.dim() == 0) return reshaped("squeeze", a, a.shape());
    const std::size_t d = normalize_dim("squeeze", dim, a.dim(), a.shape());
    Shape out = a.shape();
    if (out[d] == 1) out.erase(out.begin() + static_cast<std::ptrdiff_t>(d));  // otherwise a no-op, as PyTorch
    return reshaped("squeeze", a, std::move(out));
}

Tensor unsqueeze(const Tensor& a, std::int64_t dim) {
    const std::size_t d = normalize_dim("unsqueeze", dim, a.dim() + 1, a.shape());
    Shape out;
    for (std::size_t i = 0; i <= a.dim(); ++i) {
        if (i == d) out.push_back(1);
        if (i < a.dim()) out.push_back(a.shape()[i]);
    }
    return reshaped("unsqueeze", a, std::move(out));
}

// out = a with its dims reordered by `perm`.  d/da = g permuted by the inverse of perm.
Tensor permute(const Tensor& a, const std::vector<std::int64_t>& dims) {
    if (dims.size() != a.dim()) {
        throw Error("permute: " + std::to_string(dims.size()) + " dims given for a tensor of shape " +
                    shape_str(a.shape()));
    }
    std::vector<std::size_t> perm(dims.size()), inverse(dims.size());
    std::vector<bool> used(dims.size(), false);
    for (std::size_t i = 0; i < dims.size(); ++i) {
        perm[i] = normalize_dim("permute", dims[i], a.dim(), a.shape());
        if (used[perm[i]])
            throw Error("permute: dim " + std::to_string(dims[i]) + " appears twice in " + shape_str(dims));
        used[perm[i]] = true;
        inverse[perm[i]] = i;
    }
    Tensor out(Array(xt::transpose(a.data(), perm)));
    std::vector<std::int64_t> back(inverse.begin(), inverse.end());
    record("permute", out, {a}, [back](Tensor g) { return Tensors{permute(g, back)}; });
    return out;
}

Tensor transpose(const Tensor& a, std::int64_t dim0, std::int64_t dim1) {
    std::vector<std::int64_t> perm(a.dim());
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[normalize_dim("transpose", dim0, a.dim(), a.shape())],
              perm[normalize_dim("transpose", dim1, a.dim(), a.shape())]);
    return permute(a, perm);
}

Tensor t(const Tensor& a) {
    if (a.dim() > 2) throw Error("t: expects a tensor with <= 2 dims, got " + shape_str(a.shape()) + "; use transpose");
    return a.dim() < 2 ? reshaped("t", a, a.shape()) : transpose(a, 0, 1);
}

// Joins along dim. Every tensor has the same shape except along dim.  d/da_i = g's slice for a_i.
Tensor cat(const std::vector<Tensor>& ts, std::int64_t dim) {
    if (ts.empty()) throw Error("cat: needs at least one tensor");
    const Shape& first = ts[0].shape();
    const std::size_t d = normalize_dim("cat", dim, first.size(), first);
    std::size_t total = 0;
    for (std::size_t t = 0; t < ts.size(); ++t) {
        const Shape& s = ts[t].shape();
        bool ok = s.size() == first.size();
        for (std::size_t i = 0; ok && i < s.size(); ++i) ok = i == d || s[i] == first[i];
        if (!ok) {
            throw Error("cat: tensor " + std::to_string(t) + " has shape " + shape_str(s) + ", which doesn't match " +
                        shape_str(first) + " outside dim " + std::to_string(dim));
        }
        total += s[d];
    }
    Shape shape = first;
    shape[d] = total;
    const DimSplit so = split_at(shape, d);
    Array r = Array::from_shape(shape);
    std::size_t offset = 0;
    for (const Tensor& t : ts) {
        const std::size_t w = t.shape()[d] * so.inner;       // one contiguous block per tensor per outer row
        for (std::size_t o = 0; w > 0 && o < so.outer; ++o)  // an empty tensor's data may be null
            std::memcpy(r.data() + o * so.n * so.inner + offset, t.data().data() + o * w, w * sizeof(float));
        offset += w;
    }
    Tensor out(std::move(r));
    std::vector<std::int64_t> sizes;
    for (const Tensor& t : ts) sizes.push_back(static_cast<std::int64_t>(t.shape()[d]));
    // d/dts[i] = the slice of g that ts[i] filled.
    record("cat", out, ts, [d, sizes](Tensor g) {
        Tensors grads;
        std::int64_t offset = 0;
        for (std::int64_t n : sizes) {
            grads.push_back(slice(g, static_cast<std::int64_t>(d), offset, offset + n));
            offset += n;
        }
        return grads;
    });
    return out;
}

Tensor stack(const std::vector<Tensor>& ts, std::int64_t dim) {
    if (ts.empty()) throw Error("stack: needs at least one tensor");
    for (std::size_t t = 1; t < ts.size(); ++t) {
        if (ts[t].shape() != ts[0].shape()) {
            throw Error("stack: tensor " + std::to_string(t) + " has shape " + shape_str(ts[t].shape()) +
                        ", tensor 0 has " + shape_str(ts[0].shape()) + "; all must be equal");
        }
    }
    std::vector<Tensor> parts;
    for (const Tensor& t : ts) parts.push_back(unsqueeze(t, dim));
    return cat(parts, dim);
}

Tensor slice(const Tensor& a, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) {
    const std::size_t d = normalize_dim("slice", dim, a.dim(), a.shape());
    if (step <= 0) throw Error("slice: step must be positive, got " + std::to_string(step));
    const auto n = static_cast<std::int64_t>(a.shape()[d]);
    auto clamp = [n](std::int64_t v) { return std::clamp(v < 0 ? v + n : v, std::int64_t{0}, n); };
    std::vector<std::size_t> idx;
    for (std::int64_t i = clamp(start); i < clamp(end); i += step) idx.push_back(static_cast<std::size_t>(i));
    return gather_along("slice", a, d, std::move(idx));
}

Tensor select(const Tensor& a, std::int64_t dim, std::int64_t index) {
    const std::size_t d = normalize_dim("select", dim, a.dim(), a.shape());
    const auto n = static_cast<std::int64_t>(a.shape()[d]);
    if (index < -n || index >= n) {
        throw Error("select: index " + std::to_string(index) + " is out of range for dim " + std::to_string(dim) +
                    " of " + shape_str(a.shape()));
    }
    const auto i = static_cast<std::size_t>(index < 0 ? index + n : index);
    return squeeze(gather_along("select", a, d, {i}), static_cast<std::int64_t>(d));
}

Tensor index_select(const Tensor& a, std::int64_t dim, const std::vector<std::size_t>& index) {
    const std::size_t d = normalize_dim("index_select", dim, a.dim(), a.shape());
    for (std::size_t i : index) {
        if (i >= a.shape()[d]) {
            throw Error("index_select: index " + std::to_string(i) + " is out of range for dim " + std::to_string(dim) +
                        " of " + shape_str(a.shape()));
        }
    }
    return gather_along("index_select", a, d, index);
}

std::vector<Tensor> split(const Tensor& a, const std::vector<std::int64_t>& sizes, std::int64_t dim) {
    const std::size_t d = normalize_dim("split", dim, a.dim(), a.shape());
    std::int64_t total = 0;
    for (std::int64_t n : sizes) {
        if (n < 0) throw Error("split: sizes " + shape_str(sizes) + " must not be negative");
        total += n;
    }
    if (total != static_cast<std::int64_t>(a.shape()[d])) {
        throw Error("split: sizes " + shape_str(sizes) + " add up to " + std::to_string(total) + ", but dim " +
                    std::to_string(dim) + " of " + shape_str(a.shape()) + " has " + std::to_string(a.shape()[d]));
    }
    std::vector<Tensor> pieces;
    std::int64_t start = 0;
    for (std::int64_t n : sizes) {
        pieces.push_back(slice(a, static_cast<std::int64_t>(d), start, start + n));
        start += n;
    }
    return pieces;
}

// PyTorch's rule: max(ceil(size / split_size), 1) pieces, the last one holding what is left.
std::vector<Tensor> split(const Tensor& a, std::int64_t split_size, std::int64_t dim) {
    const std::size_t d = normalize_dim("split", dim, a.dim(), a.shape());
    const auto n = static_cast<std::int64_t>(a.shape()[d]);
    if (split_size < 0 || (split_size == 0 && n != 0)) {
        throw Error("split: split_size " + std::to_string(split_size) + " must be positive for dim " +
                    std::to_string(dim) + " of " + shape_str(a.shape()));
    }
    const std::int64_t count = split_size == 0 ? 1 : std::max<std::int64_t>((n + split_size - 1) / split_size, 1);
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(count), split_size);
    sizes.back() = n - split_size * (count - 1);
    return split(a, sizes, dim);
}

// PyTorch's rule: split_size = ceil(size / chunks); an empty dim gives `chunks` empty pieces.
std::vector<Tensor> chunk(const Tensor& a, std::int64_t chunks, std::int64_t dim) {
    const std::size_t d = normalize_dim("chunk", dim, a.dim(), a.shape());
    if (chunks <= 0) throw Error("chunk: chunks must be positive, got " + std::to_string(chunks));
    const auto n = static_cast<std::int64_t>(a.shape()[d]);
    if (n == 0) return split(a, std::vector<std::int64_t>(static_cast<std::size_t>(chunks), 0), dim);
    return split(a, (n + chunks - 1) / chunks, dim);
}

namespace detail {

Tensor reshaped_to(Tensor g, const Shape& shape) {
    if (g.shape() == shape) return g;
    if (!autograd::is_grad_enabled() && g.is_sole_owner()) {
        g.data().reshape(shape);  // a pass-through gradient nobody else holds: relabel, don't copy
        return g;
    }
    return reshaped("reshape", g, shape);
}

}  // namespace detail

}  // namespace xg
