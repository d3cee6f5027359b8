// Vectorised loops over raw floats for the hottest elementwise ops, compiled for AVX-512, AVX2
// and baseline x86-64 and chosen at start-up (core/simd.hpp). xtensor's own assignment loop
// reloads its pointers every element and stays on SSE; these are plain loops the compiler
// vectorises. Each computes out[i] from a[i] (and b[i]) for i < n, rounding exactly as the
// xtensor expression it replaces (no fused multiply-add: -ffp-contract=off).
#pragma once

#include <cstddef>

namespace xg::kernels {

// out[i] = f(a[i], b[i]): the signature detail::zip takes.
using PairKernel = void (*)(std::size_t n, const float* a, const float* b, float* out);
void add(std::size_t n, const float* a, const float* b, float* out);
void sub(std::size_t n, const float* a, const float* b, float* out);
void mul(std::size_t n, const float* a, const float* b, float* out);
void div(std::size_t n, const float* a, const float* b, float* out);
void scale(std::size_t n, const float* a, float s, float* out);  // a·s
void shift(std::size_t n, const float* a, float s, float* out);  // a + s
void add_into(std::size_t n, float* into, const float* g);       // into += g
// relu and its backward as PyTorch's threshold and threshold_backward: a NaN input gives NaN, and
// passes the gradient through (NaN <= 0 is false); relu(-0) is -0.
void relu(std::size_t n, const float* a, float* out);                              // a < 0 ? 0 : a
void relu_backward(std::size_t n, const float* g, const float* a, float* out);     // a <= 0 ? 0 : g
void tanh_backward(std::size_t n, const float* g, const float* y, float* out);     // g·(1 - y²)
void sigmoid_backward(std::size_t n, const float* g, const float* y, float* out);  // g·y·(1 - y)
// tanh(a), bit for bit what xt::tanh gave on SSE (xsimd's algorithm, lane by lane), at any width.
void tanh(std::size_t n, const float* a, float* out);

}  // namespace xg::kernels
