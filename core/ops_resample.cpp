// Resampling image planes: adaptive_avg_pool2d and the nearest / bilinear upsampling behind
// nn::functional::interpolate. Each is a linear map that acts on rows and columns separately,
// out[p] = Ry · x[p] · Rxᵀ, with sparse Ry and Rx ("taps"). Its gradient is the adjoint map,
// g ↦ Ryᵀ · g · Rx, which is the same kernel with transposed taps and is itself recorded with the
// forward map as its gradient: so all three are differentiable to any order.
#include <algorithm>
#include <cmath>

#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

namespace {

// One axis of the map: output index o is Σ weight · input[src] over axis[o].
struct Tap {
    std::size_t src;
    float weight;
};
using Axis = std::vector<std::vector<Tap>>;

// The transposed axis over `in` input indices: input i receives weight from every output that reads it.
Axis transposed(const Axis& a, std::size_t in) {
    Axis t(in);
    for (std::size_t o = 0; o < a.size(); ++o)
        for (const Tap& tap : a[o]) t[tap.src].push_back({o, tap.weight});
    return t;
}

// x [N, C, H, W] -> [N, C, rows.size(), cols.size()]: columns first into tmp [H, Wo], then rows.
// d/dx = the transposed map applied to g (named `adjoint_op`).
Tensor resample(const char* op, const char* adjoint_op, const Tensor& x, const Axis& rows, const Axis& cols) {
    const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    const std::size_t Ho = rows.size(), Wo = cols.size();
    Array y = Array::from_shape({N, C, Ho, Wo});
    std::vector<float> tmp(H * Wo);
    for (std::size_t p = 0; p < N * C; ++p) {
        const float* in = x.data().data() + p * H * W;
        for (std::size_t iy = 0; iy < H; ++iy)
            for (std::size_t ox = 0; ox < Wo; ++ox) {
                float s = 0.0f;
                for (const Tap& t : cols[ox]) s += t.weight * in[iy * W + t.src];
                tmp[iy * Wo + ox] = s;
            }
        float* out = y.data() + p * Ho * Wo;
        for (std::size_t oy = 0; oy < Ho; ++oy)
            for (std::size_t ox = 0; ox < Wo; ++ox) {
                float s = 0.0f;
                for (const Tap& t : rows[oy]) s += t.weight * tmp[t.src * Wo + ox];
                out[oy * Wo + ox] = s;
            }
    }
    Tensor out(std::move(y));
    record(op, out, {x}, [op, adjoint_op, rows_t = transposed(rows, H), cols_t = transposed(cols, W)](Tensor g) {
        return Tensors{resample(adjoint_op, op, g, rows_t, cols_t)};
    });
    return out;
}

void check_image(const std::string& who, const Shape& x) {
    if (x.size() != 4) throw Error(who + ": input must be [N, C, H, W], got " + shape_str(x));
    if (x[2] == 0 || x[3] == 0) throw Error(who + ": input " + shape_str(x) + " has no pixels");
}

// {h, w} from {h, w} or {n}, or an Error naming `who`.
std::vector<std::size_t> pair_of(const std::string& who, const char* what, std::vector<std::size_t> v) {
    if (v.size() == 1) v.push_back(v[0]);
    if (v.size() != 2) throw Error(who + ": " + what + " must have 1 or 2 values, got " + shape_str(v));
    if (v[0] == 0 || v[1] == 0) throw Error(who + ": " + what + " must be positive, got " + shape_str(v));
    return v;
}

// Output o averages inputs floor(o·in/out) ... ceil((o+1)·in/out) - 1.
Axis adaptive_axis(std::size_t in, std::size_t out) {
    Axis a(out);
    for (std::size_t o = 0; o < out; ++o) {
        const std::size_t start = o * in / out, end = ((o + 1) * in + out - 1) / out;
        for (std::size_t i = start; i < end; ++i) a[o].push_back({i, 1.0f / static_cast<float>(end - start)});
    }
    return a;
}

// PyTorch's compute_scales_value: 1/scale_factor when one was given, else in/out (as float).
float source_scale(std::size_t in, std::size_t out, double scale) {
    return scale > 0 ? static_cast<float>(1.0 / scale) : static_cast<float>(in) / static_cast<float>(out);
}

// PyTorch's nearest_idx: the same index when sizes match, dst/2 when doubling, else
// min(floor(dst · s), in - 1) in float.
Axis nearest_axis(std::size_t in, std::size_t out, double scale) {
    Axis a(out);
    const float s = source_scale(in, out, scale);
    for (std::size_t o = 0; o < out; ++o) {
        std::size_t i = o;
        if (out == 2 * in) i = o >> 1;
        else if (out != in) i = std::min(static_cast<std::size_t>(std::floor(static_cast<float>(o) * s)), in - 1);
        a[o].push_back({i, 1.0f});
    }
    return a;
}

// PyTorch's compute_indices_weights_linear: source position src (align_corners: s·dst with
// s = (in - 1)/(out - 1); otherwise s·(dst + 0.5) - 0.5 clamped at 0), taps floor(src) and the
// next pixel (the same one at the last pixel) with weights 1 - λ and λ, λ = src - floor(src).
Axis linear_axis(std::size_t in, std::size_t out, bool align_corners, double scale) {
    Axis a(out);
    float s = 0.0f;
    if (align_corners) s = out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f;
    else s = source_scale(in, out, scale);
    for (std::size_t o = 0; o < out; ++o) {
        if (in == out) {
            a[o].push_back({o, 1.0f});
            continue;
        }
        float src = 0.0f;
        if (align_corners) src = s * static_cast<float>(o);
        else src = static_cast<float>(std::max(static_cast<double>(s) * (static_cast<double>(o) + 0.5) - 0.5, 0.0));
        const auto i0 = static_cast<std::size_t>(src);
        const std::size_t i1 = i0 < in - 1 ? i0 + 1 : i0;
        const float l1 = src - static_cast<float>(i0), l0 = 1.0f - l1;
        a[o].push_back({i0, l0});
        a[o].push_back({i1, l1});
    }
    return a;
}

}  // namespace

Shape adaptive_avg_pool2d_shape(const Shape& x, const std::vector<std::size_t>& output_size, const std::string& who) {
    check_image(who, x);
    const std::vector<std::size_t> s = pair_of(who, "output_size", output_size);
    return {x[0], x[1], s[0], s[1]};
}

Tensor adaptive_avg_pool2d(const Tensor& x, std::vector<std::size_t> output_size) {
    const Shape out = adaptive_avg_pool2d_shape(x.shape(), output_size);
    return resample("adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", x, adaptive_axis(x.shape()[2], out[2]),
                    adaptive_axis(x.shape()[3], out[3]));
}

Tensor upsample_nearest2d(const Tensor& x, std::vector<std::size_t> size, double scale_h, double scale_w) {
    check_image("upsample_nearest2d", x.shape());
    size = pair_of("upsample_nearest2d", "size", std::move(size));
    return resample("upsample_nearest2d", "upsample_nearest2d_backward", x,
                    nearest_axis(x.shape()[2], size[0], scale_h), nearest_axis(x.shape()[3], size[1], scale_w));
}

Tensor upsample_bilinear2d(const Tensor& x, std::vector<std::size_t> size, bool align_corners, double scale_h,
                           double scale_w) {
    check_image("upsample_bilinear2d", x.shape());
    size = pair_of("upsample_bilinear2d", "size", std::move(size));
    return resample("upsample_bilinear2d", "upsample_bilinear2d_backward", x,
                    linear_axis(x.shape()[2], size[0], align_corners, scale_h),
                    linear_axis(x.shape()[3], size[1], align_corners, scale_w));
}

}  // namespace xg
