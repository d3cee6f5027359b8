// The loops behind core/kernels.hpp.
#include "core/kernels.hpp"

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

}  // namespace xg::kernels
