// Elementwise arithmetic and math (+ - * / neg exp log sqrt pow abs sin cos erf), their gradients,
// and broadcasting: each broadcast input's gradient is summed back to its shape by sum_to.
// Every backward here is written with these same ops, so each op is differentiable to any order.
#include <cmath>

#include "core/kernels.hpp"
#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

namespace {
// a op b: equal shapes in one vectorised pass, other shapes broadcast by xtensor.
template <class Broadcast>
Tensor binary(kernels::PairKernel kernel, const Tensor& a, const Tensor& b, Broadcast&& broadcast) {
    return a.shape() == b.shape() ? zip(kernel, a, b) : Tensor(Array(broadcast(a.data(), b.data())));
}
// a·s or a + s in one vectorised pass.
Tensor scalar(void (*kernel)(std::size_t, const float*, float, float*), const Tensor& a, float s) {
    Tensor out = empty_tensor(a.shape());
    kernel(out.numel(), a.data().data(), s, out.data().data());
    return out;
}
}  // namespace

// a + b.  d/da = g,  d/db = g.
Tensor add(const Tensor& a, const Tensor& b) {
    broadcast_shapes("add", a.shape(), b.shape());
    Tensor out(binary(kernels::add, a, b, [](const Array& x, const Array& y) { return x + y; }));
    record("add", out, {a, b}, [sa = a.shape(), sb = b.shape()](Tensor g) {
        return Tensors{needs_input_grad(0) ? sum_to(g, sa) : Tensor(), needs_input_grad(1) ? sum_to(g, sb) : Tensor()};
    });
    return out;
}

// a - b.  d/da = g,  d/db = -g.
Tensor sub(const Tensor& a, const Tensor& b) {
    broadcast_shapes("sub", a.shape(), b.shape());
    Tensor out(binary(kernels::sub, a, b, [](const Array& x, const Array& y) { return x - y; }));
    record("sub", out, {a, b}, [sa = a.shape(), sb = b.shape()](Tensor g) {
        return Tensors{needs_input_grad(0) ? sum_to(g, sa) : Tensor(),
                       needs_input_grad(1) ? sum_to(neg(g), sb) : Tensor()};
    });
    return out;
}

// a * b.  d/da = g * b,  d/db = g * a.
Tensor mul(const Tensor& a, const Tensor& b) {
    broadcast_shapes("mul", a.shape(), b.shape());
    Tensor out(binary(kernels::mul, a, b, [](const Array& x, const Array& y) { return x * y; }));
    record("mul", out, {a, b}, [a, b](Tensor g) {
        return Tensors{needs_input_grad(0) ? sum_to(g * b, a.shape()) : Tensor(),
                       needs_input_grad(1) ? sum_to(g * a, b.shape()) : Tensor()};
    });
    return out;
}

// a / b.  d/da = g / b,  d/db = -g * a / b².
Tensor div(const Tensor& a, const Tensor& b) {
    broadcast_shapes("div", a.shape(), b.shape());
    Tensor out(binary(kernels::div, a, b, [](const Array& x, const Array& y) { return x / y; }));
    record("div", out, {a, b}, [a, b](Tensor g) {
        return Tensors{needs_input_grad(0) ? sum_to(g / b, a.shape()) : Tensor(),
                       needs_input_grad(1) ? sum_to(-g * a / (b * b), b.shape()) : Tensor()};
    });
    return out;
}

// -a.  d/da = -g.
Tensor neg(const Tensor& a) {
    Tensor out(Array(-a.data()));
    record("neg", out, {a}, [](Tensor g) { return Tensors{neg(g)}; });
    return out;
}

// a + s.  d/da = g.
Tensor add(const Tensor& a, float s) {
    Tensor out(scalar(kernels::shift, a, s));
    record("add", out, {a}, [](Tensor g) { return Tensors{std::move(g)}; });
    return out;
}

// a * s.  d/da = g * s.
Tensor mul(const Tensor& a, float s) {
    Tensor out(scalar(kernels::scale, a, s));
    record("mul", out, {a}, [s](Tensor g) { return Tensors{mul(g, s)}; });
    return out;
}

// s - a.  d/da = -g.
Tensor rsub(float s, const Tensor& a) {
    Tensor out(Array(s - a.data()));
    record("rsub", out, {a}, [](Tensor g) { return Tensors{neg(g)}; });
    return out;
}

// s / a.  d/da = -g * s / a².
Tensor rdiv(float s, const Tensor& a) {
    Tensor out(Array(s / a.data()));
    record("rdiv", out, {a}, [a, s](Tensor g) { return Tensors{g * (-s) / (a * a)}; });
    return out;
}

// exp(a).  d/da = g * exp(a), from the saved result y.
Tensor exp(const Tensor& a) {
    Tensor out(Array(xt::exp(a.data())));
    record("exp", out, {a}, [](Tensor g, const Tensor& y) { return Tensors{g * y}; });
    return out;
}

// log(a).  d/da = g / a.  log(0) = -inf and log(<0) = nan, as in PyTorch.
Tensor log(const Tensor& a) {
    Tensor out(Array(xt::log(a.data())));
    record("log", out, {a}, [a](Tensor g) { return Tensors{g / a}; });
    return out;
}

// sqrt(a).  d/da = g / (2 sqrt(a)), from the saved result y.
Tensor sqrt(const Tensor& a) {
    Tensor out(Array(xt::sqrt(a.data())));
    record("sqrt", out, {a}, [](Tensor g, const Tensor& y) { return Tensors{g / (y * 2.0f)}; });
    return out;
}

// a^p.  d/da = g * p * a^(p-1); 0 for p = 0, as PyTorch (not 0·a^-1 = NaN at a = 0).
Tensor pow(const Tensor& a, float p) {
    Tensor out(Array(xt::pow(a.data(), p)));
    record("pow", out, {a},
           [a, p](Tensor g) { return Tensors{p == 0.0f ? Tensor::zeros(a.shape()) : g * pow(a, p - 1.0f) * p}; });
    return out;
}

namespace {
// a with the entries where `mask` holds moved to 1, and the mask as a constant tensor of a ⊕ b's
// shape: log and negative powers of those entries are then finite, and the gradient through a
// is zero there.
Tensor ones_where(const Tensor& a, const Array& mask) {
    Tensor m(mask);
    return a * (1.0f - m) + m;
}
}  // namespace

// a^b.  d/da = g * b * a^(b-1),  d/db = g * a^b * log(a), a^b being the saved result y.
// As PyTorch: d/da = 0 where b = 0, and d/db = 0 where a = 0 and b >= 0 (not 0·inf = NaN).
Tensor pow(const Tensor& a, const Tensor& b) {
    broadcast_shapes("pow", a.shape(), b.shape());
    Tensor out(Array(xt::pow(a.data(), b.data())));
    record("pow", out, {a, b}, [a, b](Tensor g, const Tensor& y) {
        const auto A = xt::broadcast(a.data(), y.shape());
        const auto B = xt::broadcast(b.data(), y.shape());
        Tensor da, db;
        if (needs_input_grad(0)) {
            const Array b_zero = xt::cast<float>(xt::equal(B, 0.0f));
            const Tensor base = xt::any(b_zero) ? ones_where(a, b_zero) : a;
            da = sum_to(g * b * pow(base, b - 1.0f), a.shape());
        }
        if (needs_input_grad(1)) {
            const Array a_zero = xt::cast<float>(xt::equal(A, 0.0f) && xt::greater_equal(B, 0.0f));
            const Tensor base = xt::any(a_zero) ? ones_where(a, a_zero) : a;
            db = sum_to(g * y * log(base), b.shape());
        }
        return Tensors{da, db};
    });
    return out;
}

// |a|.  d/da = g * sign(a); the gradient at exactly 0 is 0, as in PyTorch.
Tensor abs(const Tensor& a) {
    Tensor out(Array(xt::abs(a.data())));
    // d|a|/da = sign(a): 0 at 0 and, as PyTorch's sgn, at NaN (xt::sign would give NaN there).
    record("abs", out, {a}, [a](Tensor g) {
        const Array& x = a.data();
        return Tensors{g * Tensor(Array(xt::cast<float>(x > 0.0f) - xt::cast<float>(x < 0.0f)))};
    });
    return out;
}

// sin(a).  d/da = g * cos(a).
Tensor sin(const Tensor& a) {
    Tensor out(Array(xt::sin(a.data())));
    record("sin", out, {a}, [a](Tensor g) { return Tensors{g * cos(a)}; });
    return out;
}

// cos(a).  d/da = -g * sin(a).
Tensor cos(const Tensor& a) {
    Tensor out(Array(xt::cos(a.data())));
    record("cos", out, {a}, [a](Tensor g) { return Tensors{-g * sin(a)}; });
    return out;
}

// erf(a).  d/da = g * 2/√π * e^(-a²).
Tensor erf(const Tensor& a) {
    Tensor out(Array(xt::erf(a.data())));
    record("erf", out, {a}, [a](Tensor g) { return Tensors{g * exp(-(a * a)) * 1.12837916709551257f}; });
    return out;
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, float s) { return add(a, s); }
Tensor operator+(float s, const Tensor& a) { return add(a, s); }
Tensor operator-(const Tensor& a, float s) { return add(a, -s); }
Tensor operator-(float s, const Tensor& a) { return rsub(s, a); }
Tensor operator*(const Tensor& a, float s) { return mul(a, s); }
Tensor operator*(float s, const Tensor& a) { return mul(a, s); }
Tensor operator/(const Tensor& a, float s) { return mul(a, 1.0f / s); }
Tensor operator/(float s, const Tensor& a) { return rdiv(s, a); }

namespace detail {

// Σ g over broadcast dims -> shape.  d/dg = gg broadcast back (expand_to).
Tensor sum_to(Tensor g, const Shape& shape) {
    if (g.shape() == shape) return g;
    Tensor out(sum_to(g.data(), shape));
    record("sum_to", out, {g}, [sg = g.shape()](Tensor gg) { return Tensors{expand_to(gg, sg)}; });
    return out;
}

// g broadcast to shape.  d/dg = gg summed back (sum_to).
Tensor expand_to(const Tensor& g, const Shape& shape) {
    if (g.shape() == shape) return g;
    Tensor out(Array(xt::broadcast(g.data(), shape)));
    record("expand", out, {g}, [sg = g.shape()](Tensor gg) { return Tensors{sum_to(std::move(gg), sg)}; });
    return out;
}

}  // namespace detail

}  // namespace xg
