// Elementwise arithmetic and math (+ - * / neg exp log sqrt pow abs) and their gradients.
// Binary ops broadcast; each broadcast input's gradient is summed back with sum_to.
#include <cmath>

#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

// a + b.  d/da = g,  d/db = g.
Tensor add(const Tensor& a, const Tensor& b) {
    broadcast_shapes("add", a.shape(), b.shape());
    Tensor out(Array(a.data() + b.data()));
    record("add", out, {a, b}, [sa = a.shape(), sb = b.shape()](const Array& g) {
        return Grads{sum_to(g, sa), sum_to(g, sb)};
    });
    return out;
}

// a - b.  d/da = g,  d/db = -g.
Tensor sub(const Tensor& a, const Tensor& b) {
    broadcast_shapes("sub", a.shape(), b.shape());
    Tensor out(Array(a.data() - b.data()));
    record("sub", out, {a, b}, [sa = a.shape(), sb = b.shape()](const Array& g) {
        return Grads{sum_to(g, sa), sum_to(Array(-g), sb)};
    });
    return out;
}

// a * b.  d/da = g * b,  d/db = g * a.
Tensor mul(const Tensor& a, const Tensor& b) {
    broadcast_shapes("mul", a.shape(), b.shape());
    Tensor out(Array(a.data() * b.data()));
    record("mul", out, {a, b}, [a, b](const Array& g) {
        Grads grads(2);
        if (a.requires_grad()) grads[0] = sum_to(g * b.data(), a.shape());
        if (b.requires_grad()) grads[1] = sum_to(g * a.data(), b.shape());
        return grads;
    });
    return out;
}

// a / b.  d/da = g / b,  d/db = -g * a / b².
Tensor div(const Tensor& a, const Tensor& b) {
    broadcast_shapes("div", a.shape(), b.shape());
    Tensor out(Array(a.data() / b.data()));
    record("div", out, {a, b}, [a, b](const Array& g) {
        Grads grads(2);
        if (a.requires_grad()) grads[0] = sum_to(g / b.data(), a.shape());
        if (b.requires_grad()) grads[1] = sum_to(-g * a.data() / (b.data() * b.data()), b.shape());
        return grads;
    });
    return out;
}

// -a.  d/da = -g.
Tensor neg(const Tensor& a) {
    Tensor out(Array(-a.data()));
    record("neg", out, {a}, [](const Array& g) { return Grads{Array(-g)}; });
    return out;
}

// a + s.  d/da = g.
Tensor add(const Tensor& a, float s) {
    Tensor out(Array(a.data() + s));
    record("add", out, {a}, [](const Array& g) { return Grads{g}; });
    return out;
}

// a * s.  d/da = g * s.
Tensor mul(const Tensor& a, float s) {
    Tensor out(Array(a.data() * s));
    record("mul", out, {a}, [s](const Array& g) { return Grads{Array(g * s)}; });
    return out;
}

// s - a.  d/da = -g.
Tensor rsub(float s, const Tensor& a) {
    Tensor out(Array(s - a.data()));
    record("rsub", out, {a}, [](const Array& g) { return Grads{Array(-g)}; });
    return out;
}

// s / a.  d/da = -g * s / a².
Tensor rdiv(float s, const Tensor& a) {
    Tensor out(Array(s / a.data()));
    record("rdiv", out, {a}, [a, s](const Array& g) {
        return Grads{Array(-g * s / (a.data() * a.data()))};
    });
    return out;
}

// exp(a).  d/da = g * exp(a), taken from the saved result.
Tensor exp(const Tensor& a) {
    Tensor out(Array(xt::exp(a.data())));
    if (autograd::will_record({&a})) {
        record("exp", out, {a}, [y = out.data()](const Array& g) { return Grads{Array(g * y)}; });
    }
    return out;
}

// log(a).  d/da = g / a.  log(0) = -inf and log(<0) = nan, as in PyTorch.
Tensor log(const Tensor& a) {
    Tensor out(Array(xt::log(a.data())));
    record("log", out, {a}, [a](const Array& g) { return Grads{Array(g / a.data())}; });
    return out;
}

// sqrt(a).  d/da = g / (2 sqrt(a)), from the saved result.
Tensor sqrt(const Tensor& a) {
    Tensor out(Array(xt::sqrt(a.data())));
    if (autograd::will_record({&a})) {
        record("sqrt", out, {a}, [y = out.data()](const Array& g) { return Grads{Array(g / (2.0f * y))}; });
    }
    return out;
}

// a^p.  d/da = g * p * a^(p-1).
Tensor pow(const Tensor& a, float p) {
    Tensor out(Array(xt::pow(a.data(), p)));
    record("pow", out, {a}, [a, p](const Array& g) {
        return Grads{Array(g * p * xt::pow(a.data(), p - 1.0f))};
    });
    return out;
}

// a^b.  d/da = g * b * a^(b-1),  d/db = g * a^b * log(a).
Tensor pow(const Tensor& a, const Tensor& b) {
    broadcast_shapes("pow", a.shape(), b.shape());
    Tensor out(Array(xt::pow(a.data(), b.data())));
    if (autograd::will_record({&a, &b})) {
        record("pow", out, {a, b}, [a, b, y = out.data()](const Array& g) {
            Grads grads(2);
            if (a.requires_grad()) grads[0] = sum_to(g * b.data() * xt::pow(a.data(), b.data() - 1.0f), a.shape());
            if (b.requires_grad()) grads[1] = sum_to(g * y * xt::log(a.data()), b.shape());
            return grads;
        });
    }
    return out;
}

// |a|.  d/da = g * sign(a); the gradient at exactly 0 is 0, as in PyTorch.
Tensor abs(const Tensor& a) {
    Tensor out(Array(xt::abs(a.data())));
    record("abs", out, {a}, [a](const Array& g) { return Grads{Array(g * xt::sign(a.data()))}; });
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

}  // namespace xg
