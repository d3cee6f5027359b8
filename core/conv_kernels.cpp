// The loops behind core/conv_kernels.hpp.
//
// conv2d as im2col + sgemm, one chunk of images at a time. The whole batch's column matrix (20
// MB for mnist_cnn's second convolution at batch 64) was written to memory, read back by the
// product, and kept until backward; a chunk's columns (about 1 MB) stay in the cache between
// im2col and the product, and backward builds them again rather than keep them. The buffers are
// per thread and only grow, so a training loop allocates nothing here after its first step.
#include "core/conv_kernels.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cmath>
#include <limits>
#include <vector>

#include "core/blas.hpp"
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "core/simd.hpp"

namespace xg::detail {

namespace {

// A chunk's column matrix holds about this many floats (1 MB: half of this machine's L2 per
// core). Measured on mnist_cnn's and the ResNet's shapes (bench/README.md).
constexpr std::size_t chunk_floats = std::size_t{1} << 18;

// Backward sums dW over the chunks in this many fixed groups (fewer when there are fewer chunks),
// one task each, then adds the groups' sums in order: the same bits on 1 thread and on 2.
constexpr std::size_t weight_groups = 4;

// Growing per-thread buffers: slot 0 the columns (or the 2x2 max-pool's vertical maxima), 1 a
// chunk's output or gradient, 2 the gradient of the columns, 3 the per-group weight gradients.
float* scratch(int slot, std::size_t n) {
    thread_local std::vector<float> buffers[4];
    std::vector<float>& b = buffers[slot];
    if (b.size() < n) b.resize(n);
    return b.data();
}

// A growing per-thread buffer of indices (the 2x2 max-pool's rows picked).
std::uint32_t* index_scratch(std::size_t n) {
    thread_local std::vector<std::uint32_t> buffer;
    if (buffer.size() < n) buffer.resize(n);
    return buffer.data();
}

// For one kernel column j: the output columns ox whose input column ox·stride + j - pad lies in
// [0, W) are [lo, hi); the others read padding.
struct Span {
    std::size_t lo, hi;
};
Span inside(const Window& g, std::size_t j) {
    const auto s = static_cast<std::ptrdiff_t>(g.stride),
               off = static_cast<std::ptrdiff_t>(j) - static_cast<std::ptrdiff_t>(g.pad);
    const auto Wo = static_cast<std::ptrdiff_t>(g.Wo), W = static_cast<std::ptrdiff_t>(g.W);
    const std::ptrdiff_t lo = off >= 0 ? 0 : (-off + s - 1) / s;         // first ox with ox·s + off >= 0
    const std::ptrdiff_t hi = W - off <= 0 ? 0 : (W - off + s - 1) / s;  // first ox with ox·s + off >= W
    const std::ptrdiff_t a = std::clamp<std::ptrdiff_t>(lo, 0, Wo), b = std::clamp<std::ptrdiff_t>(hi, a, Wo);
    return {static_cast<std::size_t>(a), static_cast<std::size_t>(b)};
}

// The input row y of the window row i at output row oy, or -1 when it lies in the padding.
std::ptrdiff_t input_row(const Window& g, std::size_t oy, std::size_t i) {
    const auto y = static_cast<std::ptrdiff_t>(oy * g.stride + i) - static_cast<std::ptrdiff_t>(g.pad);
    return y < static_cast<std::ptrdiff_t>(g.H) ? y : -1;
}

XGRAD_TARGET_CLONES void copy_row(const float* __restrict src, std::size_t stride, std::size_t n,
                                  float* __restrict dst) {
    if (stride == 1) {
        std::memcpy(dst, src, n * sizeof(float));
        return;
    }
    for (std::size_t k = 0; k < n; ++k) dst[k] = src[k * stride];
}

XGRAD_TARGET_CLONES void add_row(const float* __restrict src, std::size_t stride, std::size_t n,
                                 float* __restrict dst) {
    if (stride == 1) return kernels::add_into(n, dst, src);
    for (std::size_t k = 0; k < n; ++k) dst[k * stride] += src[k];
}

XGRAD_TARGET_CLONES void add_bias_in_place(float b, std::size_t n, float* dst) {
    for (std::size_t k = 0; k < n; ++k) dst[k] += b;
}

// Images [n0, n1) as one chunk: c = n1 - n0, P = c·L columns.
struct Chunk {
    std::size_t n0, n1;
};

std::size_t chunk_images(const Window& g, std::size_t N) {
    if (g.pointwise()) return 1;  // the image is its own column matrix: nothing to gather
    return std::clamp<std::size_t>(chunk_floats / std::max<std::size_t>(g.rows() * g.positions(), 1), 1,
                                   std::max<std::size_t>(N, 1));
}

std::vector<Chunk> chunks(const Window& g, std::size_t N) {
    const std::size_t c = chunk_images(g, N);
    std::vector<Chunk> all;
    for (std::size_t n = 0; n < N; n += c) all.push_back({n, std::min(N, n + c)});
    return all;
}

// The column matrix [K, c·L] of a chunk: x itself for a pointwise window, else im2col into scratch.
const float* columns(const float* x, const Window& g, Chunk ch) {
    if (g.pointwise()) return x + ch.n0 * g.image();
    const std::size_t P = (ch.n1 - ch.n0) * g.positions();
    float* cols = scratch(0, g.rows() * P);
    for (std::size_t n = ch.n0; n < ch.n1; ++n) im2col(x + n * g.image(), g, cols + (n - ch.n0) * g.positions(), P);
    return cols;
}

}  // namespace

XGRAD_TARGET_CLONES void im2col(const float* img, const Window& g, float* col, std::size_t ld) {
    // Stride 1 with Wo = W ("same" padding: 5x5 pad 2, 3x3 pad 1): the in-image part of a row of
    // cols is the image plane shifted by (i - pad, j - pad), read as one block; only the columns
    // that wrapped around from the neighbouring image row are then set to the padding's zero.
    const bool same = g.stride == 1 && g.Wo == g.W;
    for (std::size_t c = 0; c < g.C; ++c)
        for (std::size_t i = 0; i < g.kh; ++i)
            for (std::size_t j = 0; j < g.kw; ++j) {
                float* row = col + ((c * g.kh + i) * g.kw + j) * ld;
                const Span in = inside(g, j);
                const std::size_t x0 = in.lo * g.stride + j - g.pad;  // the input column at ox = lo
                if (same && in.lo < in.hi) {
                    std::size_t oy0 = 0, oy1 = g.Ho;  // the output rows whose input row is in the image
                    while (oy0 < g.Ho && input_row(g, oy0, i) < 0) ++oy0;
                    while (oy1 > oy0 && input_row(g, oy1 - 1, i) < 0) --oy1;
                    std::fill(row, row + oy0 * g.Wo, 0.0f);
                    std::fill(row + oy1 * g.Wo, row + g.Ho * g.Wo, 0.0f);
                    if (oy0 == oy1) continue;
                    const auto y0 = static_cast<std::size_t>(input_row(g, oy0, i));
                    std::memcpy(row + oy0 * g.Wo + in.lo, img + (c * g.H + y0) * g.W + x0,
                                ((oy1 - oy0 - 1) * g.W + in.hi - in.lo) * sizeof(float));
                    for (std::size_t oy = oy0; oy < oy1; ++oy) {
                        std::fill(row + oy * g.Wo, row + oy * g.Wo + in.lo, 0.0f);
                        std::fill(row + oy * g.Wo + in.hi, row + (oy + 1) * g.Wo, 0.0f);
                    }
                    continue;
                }
                for (std::size_t oy = 0; oy < g.Ho; ++oy, row += g.Wo) {
                    const std::ptrdiff_t y = input_row(g, oy, i);
                    if (y < 0 || in.lo == in.hi) {
                        std::fill(row, row + g.Wo, 0.0f);
                        continue;
                    }
                    std::fill(row, row + in.lo, 0.0f);
                    copy_row(img + (c * g.H + static_cast<std::size_t>(y)) * g.W + x0, g.stride, in.hi - in.lo,
                             row + in.lo);
                    std::fill(row + in.hi, row + g.Wo, 0.0f);
                }
            }
}

XGRAD_TARGET_CLONES void col2im(const float* col, const Window& g, float* img, std::size_t ld) {
    for (std::size_t c = 0; c < g.C; ++c)
        for (std::size_t i = 0; i < g.kh; ++i)
            for (std::size_t j = 0; j < g.kw; ++j) {
                const float* row = col + ((c * g.kh + i) * g.kw + j) * ld;
                const Span in = inside(g, j);
                const std::size_t x0 = in.lo * g.stride + j - g.pad;
                for (std::size_t oy = 0; oy < g.Ho; ++oy, row += g.Wo) {
                    const std::ptrdiff_t y = input_row(g, oy, i);
                    if (y < 0 || in.lo == in.hi) continue;
                    add_row(row + in.lo, g.stride, in.hi - in.lo,
                            img + (c * g.H + static_cast<std::size_t>(y)) * g.W + x0);
                }
            }
}

// Per chunk: Y [O, c·L] = w · cols, then y[n, o] = Y[o, n·L ...] + b[o]. A one-image chunk's Y
// is y[n] itself.
void conv2d_forward(const float* x, const float* w, const float* b, std::size_t N, std::size_t O, const Window& g,
                    float* y) {
    const std::vector<Chunk> all = chunks(g, N);
    const std::size_t K = g.rows(), L = g.positions();
    run_tasks(all.size(), [&](std::size_t t, bool parallel) {
        const Chunk ch = all[t];
        const std::size_t c = ch.n1 - ch.n0, P = c * L;
        const float* cols = columns(x, g, ch);
        float* Y = c == 1 ? y + ch.n0 * O * L : scratch(1, O * P);
        gemm(false, false, O, P, K, w, cols, Y, false, parallel);
        for (std::size_t n = 0; n < c; ++n)
            for (std::size_t o = 0; o < O; ++o) {
                float* dst = y + ((ch.n0 + n) * O + o) * L;
                const float* src = Y + o * P + n * L;
                if (src != dst) kernels::shift(L, src, b ? b[o] : 0.0f, dst);
                else if (b) add_bias_in_place(b[o], L, dst);
            }
    });
}

// Per chunk: Gc [O, c·L] (G[n] itself for one image), dcols = wᵀ · Gc folded onto gx by col2im,
// and the group's gw += Gc · colsᵀ. The groups' gw are added in order at the end.
void conv2d_backward(const float* x, const float* w, const float* G, std::size_t N, std::size_t O, const Window& g,
                     float* gx, float* gw, float* gb) {
    if (N == 0) {  // no images: zero gradients (and no groups to sum)
        if (gw) std::fill(gw, gw + O * g.rows(), 0.0f);
        if (gb) std::fill(gb, gb + O, 0.0f);
        return;
    }
    const std::vector<Chunk> all = chunks(g, N);
    const std::size_t K = g.rows(), L = g.positions();
    const std::size_t groups = std::min(weight_groups, all.size());
    float* partial = gw ? scratch(3, groups * O * K) : nullptr;  // group q's Σ at partial + q·O·K
    if (gx || gw) {
        run_tasks(groups, [&](std::size_t q, bool parallel) {
            const std::size_t first = q * all.size() / groups, last = (q + 1) * all.size() / groups;
            for (std::size_t t = first; t < last; ++t) {
                const Chunk ch = all[t];
                const std::size_t c = ch.n1 - ch.n0, P = c * L;
                const float* Gc = G + ch.n0 * O * L;
                if (c > 1) {
                    float* gather = scratch(1, O * P);
                    for (std::size_t n = 0; n < c; ++n)
                        for (std::size_t o = 0; o < O; ++o)
                            std::memcpy(gather + o * P + n * L, Gc + (n * O + o) * L, L * sizeof(float));
                    Gc = gather;
                }
                if (gw) gemm(false, true, O, K, P, Gc, columns(x, g, ch), partial + q * O * K, t != first, parallel);
                if (!gx) continue;
                float* gxc = gx + ch.n0 * g.image();
                if (g.pointwise()) {  // dcols is gx[n] itself
                    gemm(true, false, K, P, O, w, Gc, gxc, false, parallel);
                    continue;
                }
                float* dcols = scratch(2, K * P);
                gemm(true, false, K, P, O, w, Gc, dcols, false, parallel);
                std::fill(gxc, gxc + c * g.image(), 0.0f);
                for (std::size_t n = 0; n < c; ++n) col2im(dcols + n * L, g, gxc + n * g.image(), P);
            }
        });
    }
    if (gw) sum_parts(partial, groups, O * K, gw);
    if (gb)
        for (std::size_t o = 0; o < O; ++o) {
            double s = 0.0;
            for (std::size_t n = 0; n < N; ++n) s += sum(G + (n * O + o) * L, L);
            gb[o] = static_cast<float>(s);
        }
}

namespace {

// A 2x2 window at stride 2 (every pooling of mnist_cnn) over one plane, in two passes that run
// along whole rows and then the whole plane, so they vectorise (a loop over one output row of 7
// or 14 never filled a 16-float vector): v [Ho, 2·Wo] = the larger of each vertical pair, and in
// low whether it came from the lower row; then each output is the larger of a pair of v. Ties go
// to the window's first element in row-major order, as PyTorch's scan gives them: the right pair's
// winner beats an equal left one only when it is b, in the upper row, and the left one is c.
// start [Ho·Wo] is each window's first element. NaN-free only: returns whether the plane holds a
// NaN, and then the caller does the plane again with the NaN rule.
XGRAD_TARGET_CLONES bool max_pool_2x2(const float* __restrict in, std::size_t W, std::size_t Ho, std::size_t Wo,
                                      float* __restrict out, std::uint32_t* __restrict picked, float* __restrict v,
                                      std::uint32_t* __restrict low, const std::uint32_t* __restrict start) {
    const std::size_t V = 2 * Wo;  // the columns the windows cover (an odd W's last one is left out)
    int nan = 0;
    for (std::size_t oy = 0; oy < Ho; ++oy) {
        const float* r0 = in + 2 * oy * W;
        const float* r1 = r0 + W;
        for (std::size_t x = 0; x < V; ++x) {
            const float a = r0[x], c = r1[x];
            const bool down = c > a;
            v[oy * V + x] = down ? c : a;
            low[oy * V + x] = down;
            nan |= (a != a) | (c != c);
        }
    }
    const auto W32 = static_cast<std::uint32_t>(W);
    for (std::size_t k = 0; k < Ho * Wo; ++k) {
        const float left = v[2 * k], right = v[2 * k + 1];
        const std::uint32_t low_left = low[2 * k], low_right = low[2 * k + 1];
        const bool take_right = (right > left) | ((right == left) & (low_right == 0) & (low_left != 0));
        out[k] = take_right ? right : left;
        picked[k] = start[k] + (take_right ? 1 + low_right * W32 : low_left * W32);
    }
    return nan != 0;
}

// One plane, any window: each window is clipped to the image first, so the inner loops check
// nothing.
XGRAD_TARGET_CLONES void max_pool_plane(const float* __restrict in, const Window& g, float* __restrict out,
                                        std::uint32_t* __restrict picked) {
    // Without branches: whether a value beats the best so far is a coin toss on real data, and
    // mispredicted branches were most of the pooling's time.
    const auto take = [&](std::size_t k, float& best, std::uint32_t& at) {
        const float v = in[k];
        const bool better = (v > best) | (v != v);  // v != v: NaN
        best = better ? v : best;
        at = better ? static_cast<std::uint32_t>(k) : at;
    };
    const auto window = [&](std::size_t oy, std::size_t ox, std::size_t y0, std::size_t y1, std::size_t x0,
                            std::size_t x1) {
        float best = -std::numeric_limits<float>::infinity();
        auto at = static_cast<std::uint32_t>(y0 * g.W + x0);
        for (std::size_t y = y0; y < y1; ++y)
            for (std::size_t x = x0; x < x1; ++x) take(y * g.W + x, best, at);
        out[oy * g.Wo + ox] = best;
        picked[oy * g.Wo + ox] = at;
    };
    const auto clip = [&](std::size_t o, std::size_t k, std::size_t size) {  // [first, last) of the window
        const auto start = static_cast<std::ptrdiff_t>(o * g.stride) - static_cast<std::ptrdiff_t>(g.pad);
        const auto end = std::min(start + static_cast<std::ptrdiff_t>(k), static_cast<std::ptrdiff_t>(size));
        return std::pair<std::size_t, std::size_t>(static_cast<std::size_t>(std::max<std::ptrdiff_t>(start, 0)),
                                                   static_cast<std::size_t>(end));
    };
    for (std::size_t oy = 0; oy < g.Ho; ++oy) {
        const auto [y0, y1] = clip(oy, g.kh, g.H);
        for (std::size_t ox = 0; ox < g.Wo; ++ox) {
            const auto [x0, x1] = clip(ox, g.kw, g.W);
            window(oy, ox, y0, y1, x0, x1);
        }
    }
}

}  // namespace

void max_pool2d_forward(const float* in, const Window& g, std::size_t planes, float* out, std::uint32_t* picked) {
    const bool two = g.kh == 2 && g.kw == 2 && g.stride == 2 && g.pad == 0;
    const std::size_t L = g.positions();
    std::vector<std::uint32_t> start(two ? L : 0);  // 2x2: each window's first element in its plane
    for (std::size_t k = 0; k < start.size(); ++k)
        start[k] = static_cast<std::uint32_t>(2 * (k / g.Wo) * g.W + 2 * (k % g.Wo));
    run_ranges(planes, [&](std::size_t first, std::size_t last) {
        float* v = two ? scratch(0, 2 * L) : nullptr;
        std::uint32_t* low = two ? index_scratch(2 * L) : nullptr;
        for (std::size_t p = first; p < last; ++p) {
            const float* plane = in + p * g.H * g.W;
            if (!two || max_pool_2x2(plane, g.W, g.Ho, g.Wo, out + p * L, picked + p * L, v, low, start.data()))
                max_pool_plane(plane, g, out + p * L, picked + p * L);  // any window, and the NaN rule
        }
    });
}

void sum_parts(const float* parts, std::size_t count, std::size_t n, float* to) {
    std::copy(parts, parts + n, to);
    for (std::size_t t = 1; t < count; ++t) kernels::add_into(n, to, parts + t * n);
}

XGRAD_TARGET_CLONES double sum(const float* p, std::size_t n) {
    double lane[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) lane[k] += p[i + k];
    double s = 0.0;
    for (; i < n; ++i) s += p[i];
    for (double v : lane) s += v;
    return s;
}

XGRAD_TARGET_CLONES double dot(const float* p, const float* q, std::size_t n) {
    double lane[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) lane[k] += static_cast<double>(p[i + k]) * q[i + k];
    double s = 0.0;
    for (; i < n; ++i) s += static_cast<double>(p[i]) * q[i];
    for (double v : lane) s += v;
    return s;
}

XGRAD_TARGET_CLONES double sum_sq_dev(const float* p, std::size_t n, double shift) {
    double lane[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) {
            const double d = p[i + k] - shift;
            lane[k] += d * d;
        }
    double s = 0.0;
    for (; i < n; ++i) s += (p[i] - shift) * (p[i] - shift);
    for (double v : lane) s += v;
    return s;
}

}  // namespace xg::detail
