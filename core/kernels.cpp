// The loops behind core/kernels.hpp.
#include "core/kernels.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/simd.hpp"

namespace xg::kernels {

XGRAD_TARGET_CLONES void add(std::size_t n, const float* __restrict a, const float* __restrict b, float* __restrict o) {
    for (std::size_t i = 0; i < n; ++i) o[i] = a[i] + b[i];
}
XGRAD_TARGET_CLONES void sub(std::size_t n, const float* __restrict a, const float* __restrict b, float* __restrict o) {
    for (std::size_t i = 0; i < n; ++i) o[i] = a[i] - b[i];
}
XGRAD_TARGET_CLONES void mul(std::size_t n, const float* __restrict a, const float* __restrict b, float* __restrict o) {
    for (std::size_t i = 0; i < n; ++i) o[i] = a[i] * b[i];
}
XGRAD_TARGET_CLONES void div(std::size_t n, const float* __restrict a, const float* __restrict b, float* __restrict o) {
    for (std::size_t i = 0; i < n; ++i) o[i] = a[i] / b[i];
}

XGRAD_TARGET_CLONES void scale(std::size_t n, const float* __restrict a, float s, float* __restrict out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = a[i] * s;
}

XGRAD_TARGET_CLONES void shift(std::size_t n, const float* __restrict a, float s, float* __restrict out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = a[i] + s;
}

XGRAD_TARGET_CLONES void add_into(std::size_t n, float* __restrict into, const float* __restrict g) {
    for (std::size_t i = 0; i < n; ++i) into[i] += g[i];
}

// Written so that a NaN a takes the branch that keeps it (relu) or keeps g (relu_backward): any
// comparison with NaN is false. `a > 0 ? a : 0` would turn NaN into 0.
XGRAD_TARGET_CLONES void relu(std::size_t n, const float* __restrict a, float* __restrict out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = a[i] < 0.0f ? 0.0f : a[i];
}

XGRAD_TARGET_CLONES void relu_backward(std::size_t n, const float* __restrict g, const float* __restrict a,
                                       float* __restrict out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = a[i] <= 0.0f ? 0.0f : g[i];
}

XGRAD_TARGET_CLONES void tanh_backward(std::size_t n, const float* __restrict g, const float* __restrict y,
                                       float* __restrict out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = g[i] * (1.0f - y[i] * y[i]);
}

XGRAD_TARGET_CLONES void sigmoid_backward(std::size_t n, const float* __restrict g, const float* __restrict y,
                                          float* __restrict out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = g[i] * y[i] * (1.0f - y[i]);
}

namespace {

[[gnu::always_inline]] inline float from_bits(std::uint32_t bits) { return std::bit_cast<float>(bits); }

// Why tanh has a kernel: xt::tanh runs xsimd's tanh 4 lanes wide (SSE, the baseline target), and
// it was the largest single cost of the PINN step. The two functions below are xsimd 8.1's float
// exp and tanh (arch/generic/xsimd_generic_math.hpp and _trigo.hpp) written for one lane, each
// operation in xsimd's order (fma on SSE is a multiply then an add), with no calls and no branches,
// so the compiler vectorises them (inlined) at any width and every width gives the bits xt::tanh gave.

// e^a: a = k·ln2 + r, e^a = 2^k·(1 + r + r²·P(r)); 0 below minlog, inf above maxlog.
[[gnu::always_inline]] inline float exp_lane(float a) {
    const float t = 1.442695040888963407359924681001892137426645954152986f * a;  // a / ln 2
    // nearbyint(t) as xsimd does it on SSE2: adding and subtracting 2^23 rounds |t| to an integer.
    const float two23 = 8388608.0f, mag = std::fabs(t);
    const float rounded = mag < two23 ? (mag + two23) - two23 : mag;
    const float k = std::copysign(rounded, t);
    float r = -k * from_bits(0x3f318000) + a;  // minus k·ln2, in two parts (hi, lo)
    r = -k * from_bits(0xb95e8083) + r;
    const float p = r * (r * (r * (r * from_bits(0x3ab778cf) + from_bits(0x3c098d8b)) + from_bits(0x3d2aa957)) +
                         from_bits(0x3e2aa9a5)) +
                    from_bits(0x3f000000);
    const float m = (p * (r * r) + r) + 1.0f;
    // 2^k by building the float's exponent field. |k| only exceeds 150 (or is NaN) where the result
    // is replaced below; clamped first, so the conversion to int is defined.
    const float kc = k > 150.0f ? 150.0f : (k >= -150.0f ? k : -150.0f);
    const float scaled = m * from_bits(static_cast<std::uint32_t>(static_cast<std::int32_t>(kc) + 127) << 23);
    const float low = a <= -88.3762626647949f ? 0.0f : scaled;
    return a >= 88.3762626647949f ? std::numeric_limits<float>::infinity() : low;
}

// tanh(v) = sign(v)·t(|v|): below 0.625, t(x) = x + x·s·P(s) with s = x²; above, 1 - 2/(1 + e^2x).
[[gnu::always_inline]] inline float tanh_lane(float v) {
    const float x = std::fabs(v);
    const float s = x * x;
    const float p = s * (s * (s * (s * from_bits(0xbbbaf0ea) + from_bits(0x3ca9134e)) + from_bits(0xbd5c1e2d)) +
                         from_bits(0x3e088393)) +
                    from_bits(0xbeaaaa99);
    const float small = (p * s) * x + x;
    const float large = -2.0f * (1.0f / (1.0f + exp_lane(x + x))) + 1.0f;
    const float t = x < 0.625f ? small : large;
    return from_bits(std::bit_cast<std::uint32_t>(t) ^ (std::bit_cast<std::uint32_t>(v) & 0x80000000u));
}

}  // namespace

// The last n % 4 values take std::tanh, as xtensor's loop gave them after its 4-wide blocks.
XGRAD_TARGET_CLONES void tanh(std::size_t n, const float* __restrict a, float* __restrict out) {
    const std::size_t blocks = n - n % 4;
    for (std::size_t i = 0; i < blocks; ++i) out[i] = tanh_lane(a[i]);
    for (std::size_t i = blocks; i < n; ++i) out[i] = std::tanh(a[i]);
}

}  // namespace xg::kernels
