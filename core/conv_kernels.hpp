// The loops behind core/ops_conv.cpp and core/ops_norm.cpp (not part of the public API): im2col
// and col2im as row copies, conv2d forward and backward over the batch in chunks of images that
// fit in the cache, and the batch statistics of batch_norm; the chunks are split across
// set_num_threads threads by detail::run_tasks (core/parallel.hpp).
//
// Speed: bench/bench_ops.cpp times each op against its matrix products alone (its gemm_bound_
// rows); bench/README.md has the numbers and what each part of this file bought.
// Reproducibility: how the batch is cut into chunks and the chunks into groups depends on the
// shapes alone, and every matrix product inside a task runs on one thread, so the results are the
// same bits at any thread setting (tests/test_conv_kernels.cpp checks 1 against 2).
#pragma once

#include <cstddef>
#include <cstdint>

namespace xg::detail {

// One 2-D sliding window over an image [C, H, W]: a kh x kw kernel moving by stride over the image
// padded by pad zeros on each side, giving Ho x Wo positions.
struct Window {
    std::size_t C, H, W, kh, kw, stride, pad, Ho, Wo;
    std::size_t rows() const { return C * kh * kw; }  // K: one row of the column matrix per (c, i, j)
    std::size_t positions() const { return Ho * Wo; }
    std::size_t image() const { return C * H * W; }
    bool pointwise() const { return kh == 1 && kw == 1 && stride == 1 && pad == 0; }  // cols = the image
};

// col [C·kh·kw, Ho·Wo] (rows `ld` floats apart): each column is one window position of the image,
// zeros where it covers padding. ld = c·Ho·Wo puts image n of a chunk at columns n·Ho·Wo.
void im2col(const float* img, const Window& g, float* col, std::size_t ld);
// The adjoint of im2col: adds each column entry onto the pixel it came from (img += ...).
void col2im(const float* col, const Window& g, float* img, std::size_t ld);

// y [N, O, Ho, Wo] = w [O, K] · im2col(x[n]) + b[o] (b may be null) for every image n of x [N, C, H, W].
void conv2d_forward(const float* x, const float* w, const float* b, std::size_t N, std::size_t O, const Window& g,
                    float* y);
// From G = dL/dy [N, O, Ho, Wo]: gx = col2im(wᵀ · G[n]) [N, C, H, W], gw = Σn G[n] · im2col(x[n])ᵀ
// [O, K], gb = Σ G over n and positions [O]. A null output is not computed.
void conv2d_backward(const float* x, const float* w, const float* G, std::size_t N, std::size_t O, const Window& g,
                     float* gx, float* gw, float* gb);

// out [planes, Ho, Wo]: the largest value of each window over in [planes, H, W] (padding is
// -inf; a NaN is the maximum, the window's last NaN: PyTorch's `v > best || isnan(v)`), and in
// picked the index within its plane of the element chosen (the window's first in-image element
// when nothing beats -inf, as PyTorch).
void max_pool2d_forward(const float* in, const Window& g, std::size_t planes, float* out, std::uint32_t* picked);

// to [n] = Σ over t < count of parts[t·n ...], added in part order (the same bits at any thread
// count when the parts themselves are): the weight gradients of a batch summed part by part.
void sum_parts(const float* parts, std::size_t count, std::size_t n, float* to);

// Σ of n floats in double, in a fixed order (eight interleaved partial sums, so it vectorises).
double sum(const float* p, std::size_t n);
// Σ p[i]·q[i] in double, in the same fixed order.
double dot(const float* p, const float* q, std::size_t n);
// Σ (p[i] - shift)² in double, in the same fixed order.
double sum_sq_dev(const float* p, std::size_t n, double shift);

}  // namespace xg::detail
