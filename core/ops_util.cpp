// Broadcasting and dim helpers used by every op family.
#include "core/ops_util.hpp"

#include "core/pool.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace xg::detail {

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
    const std::size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (std::size_t i = 0; i < n; ++i) {  // align from the right, as NumPy does
        const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
        const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
        if (da != db && da != 1 && db != 1) {
            throw Error(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                        " can't broadcast (dim " + std::to_string(i) + " of the result: " + std::to_string(da) +
                        " vs " + std::to_string(db) + ")");
        }
        out[i] = da == 1 ? db : da;
    }
    return out;
}

Array sum_to(const Array& g, const Shape& shape) {
    if (g.shape() == shape) return g;
    const std::size_t lead = g.dimension() - shape.size();
    Array r;
    bool reduced = false;
    for (std::size_t i = 0; i < g.dimension(); ++i) {
        if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) {
            r = sum_dim_keep(reduced ? r : g, i);
            reduced = true;
        }
    }
    if (!reduced) r = g;  // same size, other shape (e.g. [1, 3] -> [3])
    r.reshape(shape);
    return r;
}

Tensor empty_tensor(const Shape& shape) {
    return Tensor::from_storage(std::allocate_shared<Array>(PoolAllocator<Array>(), shape));
}

Tensor zip(void (*kernel)(std::size_t, const float*, const float*, float*), const Tensor& a, const Tensor& b) {
    Tensor out = empty_tensor(a.shape());
    kernel(out.numel(), a.data().data(), b.data().data(), out.data().data());
    return out;
}

float clamp_value(float x, float lo, float hi) {
    if (std::isnan(x)) return x;
    return std::min(std::max(x, lo), hi);  // std::max(x, NaN) is x: a NaN bound is ignored
}

DimSplit split_at(const Shape& shape, std::size_t dim) {
    DimSplit s;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i < dim) s.outer *= shape[i];
        else if (i == dim) s.n = shape[i];
        else s.inner *= shape[i];
    }
    return s;
}

Array sum_dim_keep(const Array& a, std::size_t d) {
    const DimSplit s = split_at(a.shape(), d);
    Shape shape = a.shape();
    shape[d] = 1;
    Array r = xt::zeros<float>(shape);
    const float* x = a.data();
    float* y = r.data();
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t k = 0; k < s.n; ++k) {
            const float* row = x + (o * s.n + k) * s.inner;
            float* acc = y + o * s.inner;
            for (std::size_t i = 0; i < s.inner; ++i) acc[i] += row[i];
        }
    return r;
}

Shape reduced_shape(const Shape& shape, std::size_t dim, bool keepdim) {
    Shape out;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i != dim) out.push_back(shape[i]);
        else if (keepdim) out.push_back(1);
    }
    return out;
}

}  // namespace xg::detail
