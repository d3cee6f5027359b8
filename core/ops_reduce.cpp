// Reductions (sum, mean, max, argmax) over everything or one dim, and their gradients.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

// sum of all elements -> 0-d.  d/da = g broadcast to a's shape.
Tensor sum(const Tensor& a) {
    double total = 0.0;  // double: a float running sum loses digits over large tensors
    for (float v : a.data()) total += v;
    Tensor out(Array(Shape{}, static_cast<float>(total)));
    record("sum", out, {a}, [sa = a.shape()](Tensor g) { return Tensors{expand_to(g, sa)}; });
    return out;
}

// sum over dim: [.., n, ..] -> [.., ..] (or [.., 1, ..] with keepdim).  d/da = g broadcast back.
Tensor sum(const Tensor& a, std::int64_t dim, bool keepdim) {
    const std::size_t d = normalize_dim("sum", dim, a.dim(), a.shape());
    Array r = sum_dim_keep(a.data(), d);
    r.reshape(reduced_shape(a.shape(), d, keepdim));
    Tensor out(std::move(r));
    record("sum", out, {a}, [sa = a.shape(), d](Tensor g) {
        return Tensors{expand_to(reshaped_to(std::move(g), reduced_shape(sa, d, true)), sa)};
    });
    return out;
}

Tensor mean(const Tensor& a) {
    if (a.numel() == 0) throw Error("mean: the tensor " + shape_str(a.shape()) + " is empty");
    return mul(sum(a), 1.0f / static_cast<float>(a.numel()));
}

Tensor mean(const Tensor& a, std::int64_t dim, bool keepdim) {
    const std::size_t d = normalize_dim("mean", dim, a.dim(), a.shape());
    if (a.shape()[d] == 0)
        throw Error("mean: dim " + std::to_string(dim) + " of " + shape_str(a.shape()) + " is empty");
    return mul(sum(a, dim, keepdim), 1.0f / static_cast<float>(a.shape()[d]));
}

// max of all elements -> 0-d; NaN if any element is NaN, as torch.max (std::max_element would
// skip it: every comparison with NaN is false).  d/da = g / (number of maxima) at each maximum
// (each NaN, when the max is NaN), 0 elsewhere: g times a constant mask, so the gradient is
// differentiable in g.
Tensor max(const Tensor& a) {
    if (a.numel() == 0) throw Error("max: the tensor " + shape_str(a.shape()) + " is empty");
    float m = a.data().data()[0];
    for (float v : a.data()) {
        if (std::isnan(v)) {
            m = v;
            break;
        }
        if (v > m) m = v;
    }
    Tensor out(Array(Shape{}, m));
    record("max", out, {a}, [a, m](Tensor g) {
        const Array at = std::isnan(m) ? Array(xt::isnan(a.data())) : Array(xt::equal(a.data(), m));
        const float count = std::accumulate(at.begin(), at.end(), 0.0f);
        return Tensors{g * Tensor(Array(at / count))};
    });
    return out;
}

namespace {
// Index of the first maximum along dim for each [outer, inner] position of a [outer, n, inner] view,
// or of the first NaN: NaN is the maximum, as in torch.max and torch.argmax.
std::vector<std::size_t> argmax_along(const Array& a, const DimSplit& s) {
    std::vector<std::size_t> idx(s.outer * s.inner);
    const float* x = a.data();
    for (std::size_t o = 0; o < s.outer; ++o) {
        for (std::size_t i = 0; i < s.inner; ++i) {
            const float* p = x + o * s.n * s.inner + i;
            std::size_t best = 0;
            for (std::size_t k = 1; k < s.n; ++k) {
                if (p[k * s.inner] > p[best * s.inner] || std::isnan(p[k * s.inner])) best = k;
                if (std::isnan(p[best * s.inner])) break;  // NaN propagates, as in PyTorch
            }
            idx[o * s.inner + i] = best;
        }
    }
    return idx;
}
}  // namespace

// max over dim: the largest value along dim.  d/da = g at the element picked, 0 elsewhere: g
// broadcast back times a constant one-hot mask.
Tensor max(const Tensor& a, std::int64_t dim, bool keepdim) {
    const std::size_t d = normalize_dim("max", dim, a.dim(), a.shape());
    if (a.shape()[d] == 0) throw Error("max: dim " + std::to_string(dim) + " of " + shape_str(a.shape()) + " is empty");
    const DimSplit s = split_at(a.shape(), d);
    std::vector<std::size_t> idx = argmax_along(a.data(), s);
    Array r = Array::from_shape(reduced_shape(a.shape(), d, keepdim));
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t i = 0; i < s.inner; ++i)
            r.data()[o * s.inner + i] = a.data().data()[(o * s.n + idx[o * s.inner + i]) * s.inner + i];
    Tensor out(std::move(r));
    record("max", out, {a}, [sa = a.shape(), d, s, idx = std::move(idx)](Tensor g) {
        Array picked = xt::zeros<float>(sa);
        for (std::size_t o = 0; o < s.outer; ++o)
            for (std::size_t i = 0; i < s.inner; ++i)
                picked.data()[(o * s.n + idx[o * s.inner + i]) * s.inner + i] = 1.0f;
        return Tensors{reshaped_to(std::move(g), reduced_shape(sa, d, true)) * Tensor(std::move(picked))};
    });
    return out;
}

Tensor argmax(const Tensor& a, std::int64_t dim, bool keepdim) {
    const std::size_t d = normalize_dim("argmax", dim, a.dim(), a.shape());
    if (a.shape()[d] == 0)
        throw Error("argmax: dim " + std::to_string(dim) + " of " + shape_str(a.shape()) + " is empty");
    std::vector<std::size_t> idx = argmax_along(a.data(), split_at(a.shape(), d));
    Array r = Array::from_shape(reduced_shape(a.shape(), d, keepdim));
    for (std::size_t k = 0; k < idx.size(); ++k) r.data()[k] = static_cast<float>(idx[k]);
    return Tensor(std::move(r));
}

}  // namespace xg
