// Comparisons (eq ne lt le gt ge: 0/1 tensors, never recorded) and the differentiable ops that
// pick between values: where, minimum, maximum, clamp. Their gradients are g routed by a
// constant 0/1 mask, written with `where`, so each is differentiable to any order.
#include <cmath>
#include <limits>

#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

namespace {

// a's values laid out in `shape` (a broadcast of a's shape): a's own when the shapes match,
// otherwise materialised into `scratch`.
const float* values_in(const Array& a, const Shape& shape, Array& scratch) {
    if (a.shape() == shape) return a.data();
    scratch = xt::broadcast(a, shape);
    return scratch.data();
}

// f(a, b) elementwise over `shape`, the broadcast shape of a and b (checked by the caller).
template <class F>
Array broadcast_map(const Shape& shape, const Array& a, const Array& b, F f) {
    Array sa, sb;
    const float* x = values_in(a, shape, sa);
    const float* y = values_in(b, shape, sb);
    Array out = Array::from_shape(shape);
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = f(x[i], y[i]);
    return out;
}

// a op b as 1/0: IEEE comparisons, so anything but != with a NaN is 0, as in PyTorch.
template <class F>
Tensor compare(const char* op, const Tensor& a, const Tensor& b, F f) {
    const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
    return Tensor(broadcast_map(shape, a.data(), b.data(), [f](float x, float y) { return f(x, y) ? 1.0f : 0.0f; }));
}

template <class F>
Tensor compare(const Tensor& a, float s, F f) {
    Array out = Array::from_shape(a.shape());
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = f(a.data().data()[i], s) ? 1.0f : 0.0f;
    return Tensor(std::move(out));
}

Tensor scalar(float s) { return Tensor(Array(Shape{}, s)); }

// g·w where w != 0, and exactly 0 where w = 0: an inf or NaN in g stays out of the entries the
// input didn't reach, as PyTorch's masked_fill in these backwards. w is a constant.
Tensor routed(const Tensor& g, Array w) {
    const Tensor mask(std::move(w));
    return where(mask, g * mask, 0.0f);
}

// The shared body of minimum and maximum; `beaten(x, y)` is true where y strictly wins over x
// (x < y for maximum). A NaN in either gives NaN. d/da = g where a's entry is the result, g/2
// on a tie (PyTorch's rule), 0 where b's strictly won; a NaN entry sends g to both inputs in
// full, as in PyTorch. d/db likewise.
template <class Beaten>
Tensor min_or_max(const char* op, const Tensor& a, const Tensor& b, Beaten beaten) {
    const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
    Tensor out(broadcast_map(shape, a.data(), b.data(), [beaten](float x, float y) {
        if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<float>::quiet_NaN();
        return beaten(x, y) ? y : x;
    }));
    record(op, out, {a, b}, [a, b, shape, beaten](Tensor g) {
        // The share of g that x's input gets at each entry: 1/2, 0 or 1 (a NaN compares false).
        auto share = [beaten](float x, float y) { return x == y ? 0.5f : beaten(x, y) ? 0.0f : 1.0f; };
        Tensor da, db;
        if (a.requires_grad()) da = sum_to(routed(g, broadcast_map(shape, a.data(), b.data(), share)), a.shape());
        if (b.requires_grad()) db = sum_to(routed(g, broadcast_map(shape, b.data(), a.data(), share)), b.shape());
        return Tensors{da, db};
    });
    return out;
}

// clamp's body, recorded as `op` (clamp, clamp_min or clamp_max).
Tensor clamp_impl(const char* op, const Tensor& a, std::optional<float> min, std::optional<float> max) {
    const float lo = min.value_or(-std::numeric_limits<float>::infinity());
    const float hi = max.value_or(std::numeric_limits<float>::infinity());
    Array out = Array::from_shape(a.shape());
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = clamp_value(a.data().data()[i], lo, hi);
    Tensor y(std::move(out));
    record(op, y, {a}, [a, lo, hi](Tensor g) {
        Array inside = Array::from_shape(a.shape());
        for (std::size_t i = 0; i < inside.size(); ++i) {
            const float x = a.data().data()[i];
            inside.data()[i] = x >= lo && x <= hi ? 1.0f : 0.0f;  // false for a NaN x or bound
        }
        return Tensors{where(Tensor(std::move(inside)), g, 0.0f)};
    });
    return y;
}

}  // namespace

// ---- comparisons ----
Tensor eq(const Tensor& a, const Tensor& b) {
    return compare("eq", a, b, [](float x, float y) { return x == y; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
    return compare("ne", a, b, [](float x, float y) { return x != y; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
    return compare("lt", a, b, [](float x, float y) { return x < y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
    return compare("le", a, b, [](float x, float y) { return x <= y; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
    return compare("gt", a, b, [](float x, float y) { return x > y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
    return compare("ge", a, b, [](float x, float y) { return x >= y; });
}
Tensor eq(const Tensor& a, float s) {
    return compare(a, s, [](float x, float y) { return x == y; });
}
Tensor ne(const Tensor& a, float s) {
    return compare(a, s, [](float x, float y) { return x != y; });
}
Tensor lt(const Tensor& a, float s) {
    return compare(a, s, [](float x, float y) { return x < y; });
}
Tensor le(const Tensor& a, float s) {
    return compare(a, s, [](float x, float y) { return x <= y; });
}
Tensor gt(const Tensor& a, float s) {
    return compare(a, s, [](float x, float y) { return x > y; });
}
Tensor ge(const Tensor& a, float s) {
    return compare(a, s, [](float x, float y) { return x >= y; });
}

Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, float s) { return eq(a, s); }
Tensor operator!=(const Tensor& a, float s) { return ne(a, s); }
Tensor operator<(const Tensor& a, float s) { return lt(a, s); }
Tensor operator<=(const Tensor& a, float s) { return le(a, s); }
Tensor operator>(const Tensor& a, float s) { return gt(a, s); }
Tensor operator>=(const Tensor& a, float s) { return ge(a, s); }
// s op a is a op' s with the comparison mirrored, as Python's reflected operators.
Tensor operator==(float s, const Tensor& a) { return eq(a, s); }
Tensor operator!=(float s, const Tensor& a) { return ne(a, s); }
Tensor operator<(float s, const Tensor& a) { return gt(a, s); }
Tensor operator<=(float s, const Tensor& a) { return ge(a, s); }
Tensor operator>(float s, const Tensor& a) { return lt(a, s); }
Tensor operator>=(float s, const Tensor& a) { return le(a, s); }

// ---- where ----

// cond ? a : b, all three broadcast together; cond is a constant (nonzero = true, no gradient).
// d/da = where(cond, g, 0),  d/db = where(cond, 0, g), each summed back to its input's shape.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
    Shape shape;
    try {
        shape = broadcast_shapes("where", cond.shape(), broadcast_shapes("where", a.shape(), b.shape()));
    } catch (const Error&) {  // name all three shapes, not the intermediate one
        throw Error("where: condition " + shape_str(cond.shape()) + ", input " + shape_str(a.shape()) + " and other " +
                    shape_str(b.shape()) + " can't broadcast together");
    }
    Array sc, sa, sb;
    const float* c = values_in(cond.data(), shape, sc);
    const float* x = values_in(a.data(), shape, sa);
    const float* y = values_in(b.data(), shape, sb);
    Array values = Array::from_shape(shape);
    for (std::size_t i = 0; i < values.size(); ++i) values.data()[i] = c[i] != 0.0f ? x[i] : y[i];
    Tensor out(std::move(values));
    // The closure keeps cond's values, not its history (a recorded cond's graph may go).
    record("where", out, {a, b},
           [cond = cond.detach(), sa = a.shape(), sb = b.shape(), na = a.requires_grad(),
            nb = b.requires_grad()](Tensor g) {
               return Tensors{na ? sum_to(where(cond, g, 0.0f), sa) : Tensor(),
                              nb ? sum_to(where(cond, 0.0f, g), sb) : Tensor()};
           });
    return out;
}
Tensor where(const Tensor& cond, const Tensor& a, float b) { return where(cond, a, scalar(b)); }
Tensor where(const Tensor& cond, float a, const Tensor& b) { return where(cond, scalar(a), b); }
Tensor where(const Tensor& cond, float a, float b) { return where(cond, scalar(a), scalar(b)); }

// ---- minimum, maximum, clamp ----

Tensor maximum(const Tensor& a, const Tensor& b) {
    return min_or_max("maximum", a, b, [](float x, float y) { return x < y; });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
    return min_or_max("minimum", a, b, [](float x, float y) { return x > y; });
}

// min(max(a, min), max): a bound larger than the other wins (PyTorch's order). A NaN in a stays
// NaN; a NaN bound is ignored, as torch 1.13's clamp does.
// d/da = g where min <= a <= max (bounds inclusive), 0 elsewhere and at a NaN.
Tensor clamp(const Tensor& a, std::optional<float> min, std::optional<float> max) {
    if (!min && !max)
        throw Error("clamp: at least one of min or max must be given (input " + shape_str(a.shape()) + ")");
    return clamp_impl("clamp", a, min, max);
}
Tensor clamp_min(const Tensor& a, float min) { return clamp_impl("clamp_min", a, min, std::nullopt); }
Tensor clamp_max(const Tensor& a, float max) { return clamp_impl("clamp_max", a, std::nullopt, max); }

}  // namespace xg
