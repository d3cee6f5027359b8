// Convolution and pooling over NCHW images (conv2d, conv_transpose2d, max_pool2d, avg_pool2d) and
// their gradients. conv2d is im2col + sgemm, a chunk of images at a time; backward is two sgemms
// and col2im (core/conv_kernels.cpp); in a build with oneDNN, conv2d runs on its convolutions
// instead where they are faster (core/conv_onednn.cpp). conv_transpose2d is its adjoint: sgemm + col2im forward,
// im2col + two sgemms backward.
// The backward passes are fused kernels on raw values: first-order only (record_first_order).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "core/blas.hpp"
#include "core/conv_kernels.hpp"
#include "core/conv_onednn.hpp"
#include "core/ops.hpp"
#include "core/ops_util.hpp"
#include "core/parallel.hpp"

namespace xg {

using namespace detail;

namespace {

// x [N, C, H, W] -> [N, C, Ho, Wo] under a kh x kw window moving by stride over x padded by pad on
// each side, or an Error naming `who`: the rule conv2d_shape and pool2d_shape share.
Shape window_shape(const std::string& who, const Shape& x, std::size_t kh, std::size_t kw, std::size_t stride,
                   std::size_t pad) {
    if (x.size() != 4) throw Error(who + ": input must be [N, C, H, W], got " + shape_str(x));
    if (kh == 0 || kw == 0 || stride == 0) throw Error(who + ": kernel size and stride must be positive");
    const std::size_t H = x[2] + 2 * pad, W = x[3] + 2 * pad;
    if (H < kh || W < kw) {
        throw Error(who + ": input " + shape_str(x) + " (padded " + std::to_string(H) + "x" + std::to_string(W) +
                    ") is smaller than the kernel " + std::to_string(kh) + "x" + std::to_string(kw));
    }
    return {x[0], x[1], (H - kh) / stride + 1, (W - kw) / stride + 1};
}

// The window over x whose output shape `out` its shape function has checked.
Window geometry(const Shape& x, const Shape& out, std::size_t kh, std::size_t kw, std::size_t stride, std::size_t pad) {
    return {x[1], x[2], x[3], kh, kw, stride, pad, out[2], out[3]};
}

}  // namespace

Shape conv2d_shape(const Shape& x, const Shape& w, std::size_t stride, std::size_t padding, const std::string& who) {
    if (w.size() != 4) throw Error(who + ": weight must be [out_channels, in_channels, kh, kw], got " + shape_str(w));
    if (x.size() == 4 && x[1] != w[1]) {
        throw Error(who + ": input " + shape_str(x) + " has " + std::to_string(x[1]) + " channels, weight " +
                    shape_str(w) + " expects " + std::to_string(w[1]));
    }
    Shape out = window_shape(who, x, w[2], w[3], stride, padding);
    out[1] = w[0];
    return out;
}

Shape pool2d_shape(const Shape& x, std::size_t kernel, std::size_t stride, std::size_t padding,
                   const std::string& who) {
    if (padding * 2 > kernel) {
        throw Error(who + ": padding " + std::to_string(padding) + " must be at most half the kernel size " +
                    std::to_string(kernel));
    }
    return window_shape(who, x, kernel, kernel, stride ? stride : kernel, padding);
}

// Per image n: cols [K, L] = im2col(x[n]) (K = C·kh·kw, L = Ho·Wo), y[n] [O, L] = W [O, K] · cols + b.
// dW = Σn G[n] · colsᵀ,  db = Σ over n and positions of G,  dcols = Wᵀ · G[n], folded back by col2im.
// core/conv_kernels.cpp runs this a cache-sized chunk of images at a time, across the threads;
// with oneDNN built in and switched on (core/backends.hpp), its convolutions run instead.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, std::size_t stride, std::size_t padding) {
    const Window g = geometry(x.shape(), conv2d_shape(x.shape(), w.shape(), stride, padding), w.shape()[2],
                              w.shape()[3], stride, padding);
    const std::size_t N = x.shape()[0], O = w.shape()[0];
    if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != O)) {
        throw Error("conv2d: bias " + shape_str(bias.shape()) + " doesn't match " + std::to_string(O) +
                    " output channels");
    }
    Array y = Array::from_shape({N, O, g.Ho, g.Wo});
    const float* b = bias.defined() ? bias.data().data() : nullptr;
    if (!onednn_conv2d_forward(x.data().data(), w.data().data(), b, N, O, g, y.data()))
        conv2d_forward(x.data().data(), w.data().data(), b, N, O, g, y.data());
    Tensor out(std::move(y));
    record_first_order("conv2d", out, {x, w, bias}, [x, w, bias, g, N, O](Tensor gt) {
        Tensors grads(3);
        Array gx = x.requires_grad() ? Array::from_shape(x.shape()) : Array();
        Array gw = w.requires_grad() ? Array::from_shape(w.shape()) : Array();
        Array gb = bias.requires_grad() ? Array::from_shape({O}) : Array();
        float* const outs[3] = {x.requires_grad() ? gx.data() : nullptr, w.requires_grad() ? gw.data() : nullptr,
                                bias.requires_grad() ? gb.data() : nullptr};
        if (!onednn_conv2d_backward(x.data().data(), w.data().data(), gt.data().data(), N, O, g, outs[0], outs[1],
                                    outs[2]))
            conv2d_backward(x.data().data(), w.data().data(), gt.data().data(), N, O, g, outs[0], outs[1], outs[2]);
        if (x.requires_grad()) grads[0] = Tensor(std::move(gx));
        if (w.requires_grad()) grads[1] = Tensor(std::move(gw));
        if (bias.requires_grad()) grads[2] = Tensor(std::move(gb));
        return grads;
    });
    return out;
}

Shape conv_transpose2d_shape(const Shape& x, const Shape& w, std::size_t stride, std::size_t padding,
                             std::size_t output_padding, const std::string& who) {
    if (x.size() != 4) throw Error(who + ": input must be [N, C_in, H, W], got " + shape_str(x));
    if (w.size() != 4) throw Error(who + ": weight must be [in_channels, out_channels, kh, kw], got " + shape_str(w));
    if (x[1] != w[0]) {
        throw Error(who + ": input " + shape_str(x) + " has " + std::to_string(x[1]) + " channels, weight " +
                    shape_str(w) + " expects " + std::to_string(w[0]));
    }
    if (w[2] == 0 || w[3] == 0 || stride == 0) throw Error(who + ": kernel size and stride must be positive");
    if (output_padding >= stride) {
        throw Error(who + ": output_padding " + std::to_string(output_padding) + " must be smaller than stride " +
                    std::to_string(stride));
    }
    // Ho = (H - 1)·stride - 2·padding + kh + output_padding, which must be positive.
    const auto size = [&](std::size_t in, std::size_t k) {
        const auto full = static_cast<std::ptrdiff_t>((in - 1) * stride + k + output_padding);
        return full - 2 * static_cast<std::ptrdiff_t>(padding);
    };
    if (x[2] == 0 || x[3] == 0 || size(x[2], w[2]) <= 0 || size(x[3], w[3]) <= 0) {
        throw Error(who + ": input " + shape_str(x) + " with weight " + shape_str(w) + ", stride " +
                    std::to_string(stride) + " and padding " + std::to_string(padding) + " gives no output pixels");
    }
    return {x[0], w[1], static_cast<std::size_t>(size(x[2], w[2])), static_cast<std::size_t>(size(x[3], w[3]))};
}

// conv2d read backwards. g is conv2d's window over the OUTPUT image [C_out, Ho, Wo], whose
// Ho' x Wo' window positions are exactly the H x W input pixels. With X [C_in, N·L] (L = H·W):
// cols [K, N·L] = Wᵀ [K, C_in] · X (K = C_out·kh·kw), folded onto the output by col2im, + b.
// Backward: gcols = im2col(G); dX = W · gcols, dW = X · gcolsᵀ, db = Σ G. First-order.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, std::size_t stride, std::size_t padding,
                        std::size_t output_padding) {
    const Shape out_shape = conv_transpose2d_shape(x.shape(), w.shape(), stride, padding, output_padding);
    const std::size_t N = x.shape()[0], Ci = x.shape()[1], O = w.shape()[1];
    const Window g{O,      out_shape[2], out_shape[3], w.shape()[2], w.shape()[3],
                   stride, padding,      x.shape()[2], x.shape()[3]};
    const std::size_t K = O * g.kh * g.kw, L = g.Ho * g.Wo, NL = N * L, plane = g.H * g.W;
    if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != O)) {
        throw Error("conv_transpose2d: bias " + shape_str(bias.shape()) + " doesn't match " + std::to_string(O) +
                    " output channels");
    }
    Array X = Array::from_shape({Ci, NL});  // x [N, C_in, L] -> [C_in, N·L]
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t c = 0; c < Ci; ++c)
            std::memcpy(X.data() + c * NL + n * L, x.data().data() + (n * Ci + c) * L, L * sizeof(float));
    std::vector<float> cols(K * NL);
    gemm(true, false, K, NL, Ci, w.data().data(), X.data(), cols.data());
    Array y = Array::from_shape(out_shape);
    for (std::size_t n = 0; n < N; ++n) {
        float* img = y.data() + n * O * plane;
        for (std::size_t o = 0; o < O; ++o)
            std::fill(img + o * plane, img + (o + 1) * plane, bias.defined() ? bias.data().data()[o] : 0.0f);
        col2im(cols.data() + n * L, g, img, NL);
    }
    Tensor out(std::move(y));
    const bool need_dw = w.requires_grad();  // X is kept only for dW
    record_first_order(
        "conv_transpose2d", out, {x, w, bias},
        [x, w, bias, g, N, Ci, O, K, L, NL, plane, need_dw, X = need_dw ? std::move(X) : Array()](Tensor gt) {
            const float* G = gt.data().data();
            Tensors grads(3);
            std::vector<float> gcols(K * NL);
            for (std::size_t n = 0; n < N; ++n) im2col(G + n * O * plane, g, gcols.data() + n * L, NL);
            if (x.requires_grad()) {
                std::vector<float> dX(Ci * NL);
                gemm(false, false, Ci, NL, K, w.data().data(), gcols.data(), dX.data());
                Array gx = Array::from_shape(x.shape());
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t c = 0; c < Ci; ++c)
                        std::memcpy(gx.data() + (n * Ci + c) * L, dX.data() + c * NL + n * L, L * sizeof(float));
                grads[0] = Tensor(std::move(gx));
            }
            if (need_dw) {
                Array gw = Array::from_shape(w.shape());
                gemm(false, true, Ci, K, NL, X.data(), gcols.data(), gw.data());
                grads[1] = Tensor(std::move(gw));
            }
            if (bias.requires_grad()) {
                Array gb = Array::from_shape({O});
                for (std::size_t o = 0; o < O; ++o) {
                    double s = 0.0;
                    for (std::size_t n = 0; n < N; ++n)
                        for (std::size_t k = 0; k < plane; ++k) s += G[(n * O + o) * plane + k];
                    gb(o) = static_cast<float>(s);
                }
                grads[2] = Tensor(std::move(gb));
            }
            return grads;
        });
    return out;
}

// The largest value in each window (padding counts as -inf); a NaN in a window is its maximum (the
// window's last NaN, as PyTorch's kernel keeps `v > best || isnan(v)`).  d/dx = g at the element picked.
Tensor max_pool2d(const Tensor& x, std::size_t kernel, std::size_t stride, std::size_t padding) {
    const Shape out_shape = pool2d_shape(x.shape(), kernel, stride, padding, "max_pool2d");
    if (stride == 0) stride = kernel;
    const Window g = geometry(x.shape(), out_shape, kernel, kernel, stride, padding);
    if (g.H * g.W > std::numeric_limits<std::uint32_t>::max()) {
        throw Error("max_pool2d: input " + shape_str(x.shape()) + " has planes over 2^32 elements");
    }
    const std::size_t planes = x.shape()[0] * g.C, L = g.positions(), plane = g.H * g.W;
    Array y = Array::from_shape({x.shape()[0], g.C, g.Ho, g.Wo});
    std::vector<std::uint32_t> picked(y.size());  // index within its plane of each output's maximum
    max_pool2d_forward(x.data().data(), g, planes, y.data(), picked.data());
    Tensor out(std::move(y));
    record_first_order("max_pool2d", out, {x}, [shape = x.shape(), picked = std::move(picked), L, plane](Tensor gt) {
        Array gx = Array::from_shape(shape);
        const float* g = gt.data().data();
        run_ranges(picked.size() / L, [&](std::size_t first, std::size_t last) {  // planes apart: no races
            for (std::size_t p = first; p < last; ++p) {
                float* to = gx.data() + p * plane;
                std::fill(to, to + plane, 0.0f);
                for (std::size_t l = 0; l < L; ++l) to[picked[p * L + l]] += g[p * L + l];
            }
        });
        return Tensors{Tensor(std::move(gx))};
    });
    return out;
}

// The mean of each window, padding counted as zeros (PyTorch's count_include_pad=True).
// d/dx = g / (kh·kw) on every element of the window.
Tensor avg_pool2d(const Tensor& x, std::size_t kernel, std::size_t stride, std::size_t padding) {
    const Shape out_shape = pool2d_shape(x.shape(), kernel, stride, padding, "avg_pool2d");
    if (stride == 0) stride = kernel;
    const Window g = geometry(x.shape(), out_shape, kernel, kernel, stride, padding);
    const std::size_t N = x.shape()[0], K = g.kh * g.kw, L = g.Ho * g.Wo;
    // Each channel plane is an image of one channel: im2col gives its windows, a column sum averages.
    const Window plane{1, g.H, g.W, g.kh, g.kw, stride, padding, g.Ho, g.Wo};
    Array y = Array::from_shape({N, g.C, g.Ho, g.Wo});
    std::vector<float> col(K * L);
    const float inv = 1.0f / static_cast<float>(K);
    for (std::size_t p = 0; p < N * g.C; ++p) {
        im2col(x.data().data() + p * g.H * g.W, plane, col.data(), L);
        float* out = y.data() + p * L;
        std::fill(out, out + L, 0.0f);
        for (std::size_t k = 0; k < K; ++k)
            for (std::size_t l = 0; l < L; ++l) out[l] += col[k * L + l];
        for (std::size_t l = 0; l < L; ++l) out[l] *= inv;
    }
    Tensor out(std::move(y));
    record_first_order("avg_pool2d", out, {x}, [shape = x.shape(), plane, N, C = g.C, K, L, inv](Tensor gt) {
        const Array& grad = gt.data();
        Array gx = xt::zeros<float>(shape);
        std::vector<float> col(K * L);
        for (std::size_t p = 0; p < N * C; ++p) {
            for (std::size_t k = 0; k < K; ++k)
                for (std::size_t l = 0; l < L; ++l) col[k * L + l] = grad.data()[p * L + l] * inv;
            col2im(col.data(), plane, gx.data() + p * plane.H * plane.W, L);
        }
        return Tensors{Tensor(std::move(gx))};
    });
    return out;
}

}  // namespace xg
