// Activations (relu, leaky_relu, sigmoid, tanh, gelu, softmax, log_softmax) and their gradients.
#include <cmath>
#include <limits>

#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

// max(a, 0).  d/da = g where a > 0; relu's gradient at exactly 0 is 0, as in PyTorch.
Tensor relu(const Tensor& a) {
    Tensor out(Array(xt::maximum(a.data(), 0.0f)));
    record("relu", out, {a}, [a](const Array& g) { return Grads{Array(xt::where(a.data() > 0.0f, g, 0.0f))}; });
    return out;
}

// a if a > 0 else slope * a.  d/da = g or slope * g (slope at 0, as PyTorch).
Tensor leaky_relu(const Tensor& a, float slope) {
    Tensor out(Array(xt::where(a.data() > 0.0f, a.data(), a.data() * slope)));
    record("leaky_relu", out, {a}, [a, slope](const Array& g) {
        return Grads{Array(xt::where(a.data() > 0.0f, g, g * slope))};
    });
    return out;
}

// 1 / (1 + e^-a).  d/da = g * y * (1 - y), from the saved result y.
Tensor sigmoid(const Tensor& a) {
    Tensor out(Array(1.0f / (1.0f + xt::exp(-a.data()))));
    if (autograd::will_record({&a})) {
        record("sigmoid", out, {a}, [y = out.data()](const Array& g) { return Grads{Array(g * y * (1.0f - y))}; });
    }
    return out;
}

// tanh(a).  d/da = g * (1 - y²), from the saved result y.
Tensor tanh(const Tensor& a) {
    Tensor out(Array(xt::tanh(a.data())));
    if (autograd::will_record({&a})) {
        record("tanh", out, {a}, [y = out.data()](const Array& g) { return Grads{Array(g * (1.0f - y * y))}; });
    }
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
Tensor gelu(const Tensor& a, const std::string& approximate) {
    const Array& x = a.data();
    if (approximate == "none") {
        Tensor out(Array(0.5f * x * (1.0f + xt::erf(x * inv_sqrt2))));
        record("gelu", out, {a}, [a](const Array& g) {
            const Array& x = a.data();
            return Grads{Array(g * (0.5f * (1.0f + xt::erf(x * inv_sqrt2)) + x * inv_sqrt_2pi * xt::exp(-0.5f * x * x)))};
        });
        return out;
    }
    if (approximate == "tanh") {
        Tensor out(Array(0.5f * x * (1.0f + xt::tanh(k * (x + c * x * x * x)))));
        record("gelu", out, {a}, [a](const Array& g) {
            const Array& x = a.data();
            Array th = xt::tanh(k * (x + c * x * x * x));
            return Grads{Array(g * (0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * k * (1.0f + 3.0f * c * x * x)))};
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

// y = e^a / Σ e^a along dim.  d/da = y * (g - Σ(g * y) along dim).
Tensor softmax(const Tensor& a, std::int64_t dim) {
    const std::size_t d = normalize_dim("softmax", dim, a.dim(), a.shape());
    Array y = Array::from_shape(a.shape());
    softmax_lines(a.data(), split_at(a.shape(), d), y, false);
    Tensor out(std::move(y));
    if (autograd::will_record({&a})) {
        record("softmax", out, {a}, [y = out.data(), d](const Array& g) {
            Array gy = g * y;
            Array dot = sum_dim_keep(gy, d);
            return Grads{Array(gy - y * dot)};
        });
    }
    return out;
}

// Fused for stability: z = a - max - log Σ e^(a - max) along dim.  d/da = g - e^z * Σ g along dim.
Tensor log_softmax(const Tensor& a, std::int64_t dim) {
    const std::size_t d = normalize_dim("log_softmax", dim, a.dim(), a.shape());
    Array z = Array::from_shape(a.shape());
    softmax_lines(a.data(), split_at(a.shape(), d), z, true);
    Tensor out(std::move(z));
    if (autograd::will_record({&a})) {
        record("log_softmax", out, {a}, [z = out.data(), d](const Array& g) {
            Array gsum = sum_dim_keep(g, d);
            return Grads{Array(g - xt::exp(z) * gsum)};
        });
    }
    return out;
}

}  // namespace xg
