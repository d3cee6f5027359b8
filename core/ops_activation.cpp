// Activations (relu, leaky_relu, sigmoid, tanh, gelu, softmax, log_softmax) and their gradients.
#include <cmath>
#include <limits>

#include "core/kernels.hpp"
#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

// a if a > 0 else slope * a.  d/da = g or slope * g (slope at 0, as PyTorch). A NaN a gives
// slope * NaN = NaN and the gradient g·slope, as PyTorch's leaky_relu_backward.
Tensor leaky_relu(const Tensor& a, float slope) {
    Tensor out(Array(xt::where(a.data() > 0.0f, a.data(), a.data() * slope)));
    record("leaky_relu", out, {a},
           [a, slope](Tensor g) { return Tensors{g * Tensor(Array(xt::where(a.data() > 0.0f, 1.0f, slope)))}; });
    return out;
}

namespace {

// relu's backward as an op of its own (PyTorch's threshold_backward): 0 where a <= 0, else g (so
// also where a is NaN), in one pass.  d/dg = the same mask applied to gg; d/da = 0 (the mask is
// flat almost everywhere).
Tensor relu_backward(const Tensor& g, const Tensor& a) {
    Tensor out(zip(kernels::relu_backward, g, a));
    record("relu_backward", out, {g}, [a](Tensor gg) { return Tensors{relu_backward(gg, a)}; });
    return out;
}

// The backward of sigmoid as an op of its own (PyTorch's sigmoid_backward), so that first-order
// training pays for one pass and a second-order pass can still differentiate it:
// g·y(1 - y).  d/dg = gg·y(1 - y),  d/dy = gg·g·(1 - 2y).
Tensor sigmoid_backward(const Tensor& g, const Tensor& y) {
    Tensor out(zip(kernels::sigmoid_backward, g, y));
    record("sigmoid_backward", out, {g, y}, [g, y](Tensor gg) {
        return Tensors{needs_input_grad(0) ? sigmoid_backward(gg, y) : Tensor(),
                       needs_input_grad(1) ? gg * g * (1.0f - y * 2.0f) : Tensor()};
    });
    return out;
}

// The same for tanh: g·(1 - y²).  d/dg = gg·(1 - y²),  d/dy = -2·gg·g·y.
Tensor tanh_backward(const Tensor& g, const Tensor& y) {
    Tensor out(zip(kernels::tanh_backward, g, y));
    record("tanh_backward", out, {g, y}, [g, y](Tensor gg) {
        return Tensors{needs_input_grad(0) ? tanh_backward(gg, y) : Tensor(),
                       needs_input_grad(1) ? gg * g * y * -2.0f : Tensor()};
    });
    return out;
}

}  // namespace

// max(a, 0), NaN kept (NaN is never below 0).  d/da = g where a > 0 or a is NaN; relu's gradient
// at exactly 0 is 0, as in PyTorch.
Tensor relu(const Tensor& a) {
    Tensor out = empty_tensor(a.shape());
    kernels::relu(a.numel(), a.data().data(), out.data().data());
    record("relu", out, {a}, [a](Tensor g) { return Tensors{relu_backward(g, a)}; });
    return out;
}

// 1 / (1 + e^-a).  d/da = g * y * (1 - y), from the saved result y.
Tensor sigmoid(const Tensor& a) {
    Tensor out(Array(1.0f / (1.0f + xt::exp(-a.data()))));
    record("sigmoid", out, {a}, [](Tensor g, const Tensor& y) { return Tensors{sigmoid_backward(g, y)}; });
    return out;
}

// tanh(a).  d/da = g * (1 - y²), from the saved result y.
Tensor tanh(const Tensor& a) {
    Tensor out = empty_tensor(a.shape());
    kernels::tanh(a.numel(), a.data().data(), out.data().data());
    record("tanh", out, {a}, [](Tensor g, const Tensor& y) { return Tensors{tanh_backward(g, y)}; });
    return out;
}

namespace {
constexpr float inv_sqrt2 = 0.70710678118654752f;
constexpr float inv_sqrt_2pi = 0.39894228040143268f;
constexpr float k = 0.79788456080286536f;  // √(2/π)
constexpr float c = 0.044715f;
}  // namespace

// Exact: a·Φ(a) = a/2·(1 + erf(a/√2)),  d/da = Φ(a) + a·φ(a).
// "tanh": a/2·(1 + tanh(u)), u = √(2/π)(a + 0.044715a³),  d/da = (1 + tanh u)/2 + a/2·(1 - tanh²u)·u'.
// The derivatives are written with differentiable ops, so GELU has gradients of any order.
Tensor gelu(const Tensor& a, const std::string& approximate) {
    const Array& x = a.data();
    if (approximate == "none") {
        Tensor out(Array(0.5f * x * (1.0f + xt::erf(x * inv_sqrt2))));
        record("gelu", out, {a}, [a](Tensor g) {
            return Tensors{g * ((erf(a * inv_sqrt2) + 1.0f) * 0.5f + a * exp(a * a * -0.5f) * inv_sqrt_2pi)};
        });
        return out;
    }
    if (approximate == "tanh") {
        Tensor out(Array(0.5f * x * (1.0f + xt::tanh(k * (x + c * x * x * x)))));
        record("gelu", out, {a}, [a](Tensor g) {
            const Tensor th = tanh((a + a * a * a * c) * k);
            return Tensors{g * ((th + 1.0f) * 0.5f + a * 0.5f * (1.0f - th * th) * k * (a * a * (3.0f * c) + 1.0f))};
        });
        return out;
    }
    throw Error("gelu: approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
}

namespace {
// For each [outer, inner] line of a [outer, n, inner] view: the max and log Σ exp(x - max).
// Subtracting the max keeps exp from overflowing for logits of 1e3 and beyond.
void softmax_lines(const Array& a, const DimSplit& s, Array& out, bool log_space) {
    const float* x = a.data();
    float* y = out.data();
    for (std::size_t o = 0; o < s.outer; ++o) {
        for (std::size_t i = 0; i < s.inner; ++i) {
            const std::size_t base = o * s.n * s.inner + i;
            float m = -std::numeric_limits<float>::infinity();
            for (std::size_t k = 0; k < s.n; ++k) m = std::max(m, x[base + k * s.inner]);
            if (!std::isfinite(m)) m = 0.0f;  // all -inf (or inf): let the arithmetic give nan/-inf as PyTorch
            double total = 0.0;
            for (std::size_t k = 0; k < s.n; ++k) total += std::exp(static_cast<double>(x[base + k * s.inner] - m));
            const float lse = static_cast<float>(std::log(total));
            for (std::size_t k = 0; k < s.n; ++k) {
                const float z = x[base + k * s.inner] - m - lse;
                y[base + k * s.inner] = log_space ? z : std::exp(z);
            }
        }
    }
}
}  // namespace

// y = e^a / Σ e^a along dim.  d/da = y * (g - Σ(g * y) along dim), from the saved result y.
Tensor softmax(const Tensor& a, std::int64_t dim) {
    const std::size_t d = normalize_dim("softmax", dim, a.dim(), a.shape());
    Array y = Array::from_shape(a.shape());
    softmax_lines(a.data(), split_at(a.shape(), d), y, false);
    Tensor out(std::move(y));
    record("softmax", out, {a}, [d](Tensor g, const Tensor& y) {
        return Tensors{y * (g - sum(g * y, static_cast<std::int64_t>(d), true))};
    });
    return out;
}

// Fused for stability: z = a - max - log Σ e^(a - max) along dim.  d/da = g - e^z * Σ g along dim,
// from the saved result z.
Tensor log_softmax(const Tensor& a, std::int64_t dim) {
    const std::size_t d = normalize_dim("log_softmax", dim, a.dim(), a.shape());
    Array z = Array::from_shape(a.shape());
    softmax_lines(a.data(), split_at(a.shape(), d), z, true);
    Tensor out(std::move(z));
    record("log_softmax", out, {a},
           [d](Tensor g, const Tensor& z) { return Tensors{g - exp(z) * sum(g, static_cast<std::int64_t>(d), true)}; });
    return out;
}

}  // namespace xg
