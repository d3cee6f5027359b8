// The fast paths of core/conv_kernels.cpp against naive loops in double: im2col's block copy
// ("same" padding), the general row copy (stride 2, padding over half the kernel, non-square
// kernels, rows entirely in padding), the 1x1 path that skips im2col, chunks of several images
// with a ragged last one, the weight gradient summed in groups; then bits: 1 thread against 2,
// and the per-thread buffers reused across shapes. The same for oneDNN's convolutions
// (core/conv_onednn.cpp) when xgrad is built with them, whose bits are fixed per thread setting;
// and the two backends against each other. Also max_pool2d's choice on all -inf windows.
#include <cmath>
#include <cstring>
#include <string>

#include "core/conv_kernels.hpp"
#include "core/conv_onednn.hpp"
#include "helpers.hpp"

using namespace xg;

namespace {

struct Conv {
    std::size_t N, C, H, W, O, kh, kw, s, p;
    std::size_t Ho() const { return (H + 2 * p - kh) / s + 1; }
    std::size_t Wo() const { return (W + 2 * p - kw) / s + 1; }
};

// The input pixel (y, x) under output (oy, ox) and kernel tap (i, j), or false in the padding.
bool tap(const Conv& c, std::size_t oy, std::size_t ox, std::size_t i, std::size_t j, std::size_t& y, std::size_t& x) {
    const long yy = long(oy * c.s + i) - long(c.p), xx = long(ox * c.s + j) - long(c.p);
    if (yy < 0 || xx < 0 || yy >= long(c.H) || xx >= long(c.W)) return false;
    y = std::size_t(yy);
    x = std::size_t(xx);
    return true;
}

// y = conv(x, w) + b, and for the gradient G of y: gx, gw, gb, all in double.
struct Naive {
    Array y, gx, gw, gb;
};
Naive naive(const Conv& c, const Array& in, const Array& w, const Array& b, const Array& G) {
    std::vector<double> y(c.N * c.O * c.Ho() * c.Wo()), gx(in.size()), gw(w.size()), gb(c.O);
    for (std::size_t n = 0; n < c.N; ++n)
        for (std::size_t o = 0; o < c.O; ++o)
            for (std::size_t oy = 0; oy < c.Ho(); ++oy)
                for (std::size_t ox = 0; ox < c.Wo(); ++ox) {
                    const std::size_t at = ((n * c.O + o) * c.Ho() + oy) * c.Wo() + ox;
                    const double g = G.data()[at];
                    double acc = b(o);
                    gb[o] += g;
                    for (std::size_t ch = 0; ch < c.C; ++ch)
                        for (std::size_t i = 0; i < c.kh; ++i)
                            for (std::size_t j = 0; j < c.kw; ++j) {
                                std::size_t yy, xx;
                                if (!tap(c, oy, ox, i, j, yy, xx)) continue;
                                const std::size_t wi = ((o * c.C + ch) * c.kh + i) * c.kw + j;
                                const std::size_t xi = ((n * c.C + ch) * c.H + yy) * c.W + xx;
                                acc += double(w.data()[wi]) * in.data()[xi];
                                gw[wi] += g * in.data()[xi];
                                gx[xi] += g * w.data()[wi];
                            }
                    y[at] = acc;
                }
    const auto to = [](const std::vector<double>& v, const Shape& shape) {
        Array a = Array::from_shape(shape);
        for (std::size_t k = 0; k < v.size(); ++k) a.data()[k] = static_cast<float>(v[k]);
        return a;
    };
    return {to(y, {c.N, c.O, c.Ho(), c.Wo()}), to(gx, in.shape()), to(gw, w.shape()), to(gb, {c.O})};
}

// conv2d forward and backward with a random upstream gradient: y, gx, gw, gb.
std::vector<Tensor> run(const Conv& c, Tensor x, Tensor w, Tensor b, const Tensor& G) {  // handles: grads are shared
    x.mutable_grad() = Tensor();
    w.mutable_grad() = Tensor();
    b.mutable_grad() = Tensor();
    Tensor y = conv2d(x, w, b, c.s, c.p);
    y.backward(G);
    return {y.detach(), x.grad(), w.grad(), b.grad()};
}

// The convolution backends of this build: xgrad's own kernels, and oneDNN's when built in.
std::vector<bool> conv_backends() {
    if (backends::onednn::is_available()) return {false, true};
    return {false};
}
std::string backend_name(bool onednn) { return onednn ? "oneDNN" : "im2col"; }

// Runs conv2d on one backend for the guard's lifetime (oneDNN or xgrad's own kernels).
struct UseOnednn {
    bool before = backends::onednn::enabled();
    explicit UseOnednn(bool on) { backends::onednn::set_enabled(on); }
    ~UseOnednn() { backends::onednn::set_enabled(before); }
};

bool same_bits(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && std::memcmp(a.data().data(), b.data().data(), a.numel() * sizeof(float)) == 0;
}

const std::vector<Conv> shapes = {
    {5, 16, 20, 20, 8, 5, 5, 1, 2},  // "same" 5x5: a block copy per row of cols; a chunk per image, 4 groups
    {30, 8, 16, 16, 4, 3, 3, 1, 1},  // chunks of 14, 14 and 2 images: gathered outputs and gradients
    {6, 8, 10, 10, 4, 1, 1, 1, 0},   // 1x1 stride 1: the image is its own column matrix
    {4, 8, 10, 9, 5, 1, 1, 2, 0},    // 1x1 stride 2 (the ResNet's projection shortcut)
    {3, 4, 11, 10, 6, 3, 3, 2, 1},   // stride 2 with padding, odd sizes
    {2, 3, 6, 5, 4, 3, 3, 1, 2},     // padding over half the kernel: output wider than the input
    {2, 2, 3, 3, 3, 5, 5, 1, 2},     // a 5x5 kernel on a 3x3 image: whole rows of cols are padding
    {2, 3, 7, 9, 4, 3, 5, 1, 1},     // a non-square kernel
    {2, 3, 7, 9, 4, 1, 3, 1, 1},     // kh 1 with padding: "same" across, rows of padding above and below
};

}  // namespace

TEST_CASE("conv kernels: conv2d and its gradients equal naive loops on every path", "[ops][conv][conv_kernels]") {
    manual_seed(21);
    for (const bool onednn : conv_backends())
        for (const Conv& c : shapes) {
            const UseOnednn use(onednn);
            INFO(backend_name(onednn) << ": x [" << c.N << ", " << c.C << ", " << c.H << ", " << c.W << "], w [" << c.O
                                      << ", " << c.C << ", " << c.kh << ", " << c.kw << "], stride " << c.s
                                      << ", padding " << c.p);
            Tensor x = Tensor::randn({c.N, c.C, c.H, c.W}, true), w = Tensor::randn({c.O, c.C, c.kh, c.kw}, true);
            Tensor b = Tensor::randn({c.O}, true), G = Tensor::randn({c.N, c.O, c.Ho(), c.Wo()});
            const std::vector<Tensor> got = run(c, x, w, b, G);
            const Naive want = naive(c, x.data(), w.data(), b.data(), G.data());
            CHECK(test::all_close(got[0].data(), want.y, 1e-4f));
            CHECK(test::all_close(got[1].data(), want.gx, 1e-4f));
            CHECK(test::all_close(got[2].data(), want.gw, 1e-3f));
            CHECK(test::all_close(got[3].data(), want.gb, 1e-3f));
        }
}

TEST_CASE("conv kernels: conv2d and max_pool2d give the same bits on 1 thread and on 2", "[ops][conv][threads]") {
    manual_seed(22);
    const UseOnednn own_kernels(false);  // oneDNN's bits depend on the thread count: the next test
    const int before = get_num_threads();
    for (const Conv& c : {shapes[0], shapes[1], shapes[2]}) {
        Tensor x = Tensor::randn({c.N, c.C, c.H, c.W}, true), w = Tensor::randn({c.O, c.C, c.kh, c.kw}, true);
        Tensor b = Tensor::randn({c.O}, true), G = Tensor::randn({c.N, c.O, c.Ho(), c.Wo()});
        set_num_threads(1);
        const std::vector<Tensor> one = run(c, x, w, b, G);
        set_num_threads(2);
        const std::vector<Tensor> two = run(c, x, w, b, G);
        for (std::size_t k = 0; k < one.size(); ++k) {
            INFO("output " << k << " of the case with " << c.C << " channels");
            CHECK(same_bits(one[k], two[k]));
        }
    }
    Tensor x = Tensor::randn({8, 16, 12, 12}, true);
    for (const std::size_t k : {3, 2}) {  // the general path and the 2x2 kernel, forward and backward
        INFO("max_pool2d with a " << k << "x" << k << " window");
        Tensor outs[2], grads[2];
        for (const int threads : {1, 2}) {
            set_num_threads(threads);
            x.mutable_grad() = Tensor();
            Tensor y = k == 3 ? max_pool2d(x, 3, 2, 1) : max_pool2d(x, 2);
            y.backward(Tensor::ones(y.shape()) * 0.5f + y.detach());
            outs[threads - 1] = y.detach();
            grads[threads - 1] = x.grad();
        }
        CHECK(same_bits(outs[0], outs[1]));
        CHECK(same_bits(grads[0], grads[1]));
    }
    set_num_threads(before);
}

TEST_CASE("conv kernels: oneDNN gives the same bits run after run at 1 thread and at 2", "[ops][conv][threads]") {
    if (!backends::onednn::is_available()) return;  // nothing to check in a build without it
    manual_seed(24);
    const UseOnednn use(true);
    const int before = get_num_threads();
    for (const Conv& c : {shapes[0], shapes[1], shapes[4]}) {
        Tensor x = Tensor::randn({c.N, c.C, c.H, c.W}, true), w = Tensor::randn({c.O, c.C, c.kh, c.kw}, true);
        Tensor b = Tensor::randn({c.O}, true), G = Tensor::randn({c.N, c.O, c.Ho(), c.Wo()});
        for (const int threads : {1, 2, 1}) {
            set_num_threads(threads);
            const std::vector<Tensor> first = run(c, x, w, b, G), again = run(c, x, w, b, G);
            for (std::size_t k = 0; k < first.size(); ++k) {
                INFO("output " << k << " of the case with " << c.C << " channels at " << threads << " threads");
                CHECK(same_bits(first[k], again[k]));
            }
        }
    }
    set_num_threads(before);
}

// oneDNN's kernels called directly (so a silent fall-back to xgrad's own can't pass for them)
// against xgrad's own, on every shape and a stride-2 one with padding of a whole kernel, at 1, 2
// and 3 threads (3 parts of 5 images are 1, 2 and 2; 2 images make fewer parts than threads),
// with each combination of outputs backward can be asked for: a first layer's (no gx), frozen
// weights with a trainable bias (gw's place is spare), no bias.
TEST_CASE("conv kernels: oneDNN's convolutions equal xgrad's own for any outputs and thread count",
          "[ops][conv][conv_kernels]") {
    if (!backends::onednn::is_available()) return;
    manual_seed(25);
    const UseOnednn use(true);
    const int before = get_num_threads();
    std::vector<Conv> all = shapes;
    all.push_back({5, 4, 9, 9, 5, 3, 3, 2, 3});
    all.push_back({3, 1, 8, 8, 4, 5, 5, 1, 2});  // one channel: gx from xgrad's own kernels, gw from oneDNN's
    for (const Conv& c : all) {
        const detail::Window g{c.C, c.H, c.W, c.kh, c.kw, c.s, c.p, c.Ho(), c.Wo()};
        const Tensor x = Tensor::randn({c.N, c.C, c.H, c.W}), w = Tensor::randn({c.O, c.C, c.kh, c.kw});
        const Tensor b = Tensor::randn({c.O}), G = Tensor::randn({c.N, c.O, c.Ho(), c.Wo()});
        const auto* X = x.data().data();
        const auto* Wt = w.data().data();
        const std::size_t ny = c.N * c.O * c.Ho() * c.Wo(), nx = x.numel(), nw = w.numel();
        for (const int threads : {1, 2, 3})
            for (const int ask : {0b111, 0b011, 0b101, 0b100, 0b110, 0b001}) {  // bits: gx, gw, gb
                INFO("x [" << c.N << ", " << c.C << ", " << c.H << ", " << c.W << "], w [" << c.O << ", " << c.C << ", "
                           << c.kh << ", " << c.kw << "], stride " << c.s << ", padding " << c.p << ", " << threads
                           << " threads, outputs " << ask);
                set_num_threads(threads);
                const bool with_bias = ask & 0b001;
                const float* B = with_bias ? b.data().data() : nullptr;
                std::vector<float> y[2], gx[2], gw[2], gb[2];
                for (const int k : {0, 1}) {
                    y[k].assign(ny, -1.0f);
                    gx[k].assign(nx, -1.0f);
                    gw[k].assign(nw, -1.0f);
                    gb[k].assign(c.O, -1.0f);
                }
                float* outs[2][3];
                for (const int k : {0, 1}) {
                    outs[k][0] = ask & 0b100 ? gx[k].data() : nullptr;
                    outs[k][1] = ask & 0b010 ? gw[k].data() : nullptr;
                    outs[k][2] = ask & 0b001 ? gb[k].data() : nullptr;
                }
                detail::conv2d_forward(X, Wt, B, c.N, c.O, g, y[0].data());
                detail::conv2d_backward(X, Wt, G.data().data(), c.N, c.O, g, outs[0][0], outs[0][1], outs[0][2]);
                if (detail::onednn_declines(g)) {  // a strided 1x1: xgrad's own kernels are faster
                    CHECK_FALSE(detail::onednn_conv2d_forward(X, Wt, B, c.N, c.O, g, y[1].data()));
                    CHECK_FALSE(detail::onednn_conv2d_backward(X, Wt, G.data().data(), c.N, c.O, g, outs[1][0],
                                                               outs[1][1], outs[1][2]));
                    continue;
                }
                REQUIRE(detail::onednn_conv2d_forward(X, Wt, B, c.N, c.O, g, y[1].data()));
                REQUIRE(detail::onednn_conv2d_backward(X, Wt, G.data().data(), c.N, c.O, g, outs[1][0], outs[1][1],
                                                       outs[1][2]));
                const auto close = [](const std::vector<float>& got, const std::vector<float>& want, float tol) {
                    for (std::size_t k = 0; k < got.size(); ++k)
                        if (!(std::abs(got[k] - want[k]) <= tol * (1.0f + std::abs(want[k])))) return false;
                    return true;
                };
                CHECK(close(y[1], y[0], 1e-4f));
                CHECK(close(gx[1], gx[0], 1e-4f));  // both -1 everywhere when not asked for
                CHECK(close(gw[1], gw[0], 1e-3f));
                CHECK(close(gb[1], gb[0], 1e-3f));
            }
    }
    set_num_threads(before);
}

// An empty batch: an empty output and zero weight and bias gradients, as PyTorch (xgrad's own
// kernels once read an empty buffer of per-group sums here).
TEST_CASE("conv kernels: an empty batch gives zero weight and bias gradients", "[ops][conv][conv_kernels]") {
    for (const bool onednn : conv_backends()) {
        const UseOnednn use(onednn);
        INFO(backend_name(onednn));
        Tensor x = Tensor::zeros({0, 3, 6, 6}, true), w = Tensor::ones({4, 3, 3, 3}, true);
        Tensor b = Tensor::ones({4}, true);
        Tensor y = conv2d(x, w, b, 1, 1);
        CHECK(y.shape() == Shape{0, 4, 6, 6});
        sum(y).backward();
        CHECK(test::all_close(w.grad().data(), Tensor::zeros({4, 3, 3, 3}).data(), 0.0f));
        CHECK(test::all_close(b.grad().data(), Tensor::zeros({4}).data(), 0.0f));
    }
}

TEST_CASE("backends: oneDNN can be switched off and on", "[ops][conv]") {
    const UseOnednn restore(backends::onednn::enabled());
    backends::onednn::set_enabled(false);
    CHECK_FALSE(backends::onednn::enabled());
    backends::onednn::set_enabled(true);
    CHECK(backends::onednn::enabled() == backends::onednn::is_available());
}

TEST_CASE("conv kernels: the reused buffers give the same bits after a larger and a smaller shape",
          "[ops][conv][conv_kernels]") {
    for (const bool onednn : conv_backends()) {
        const UseOnednn use(onednn);
        INFO(backend_name(onednn));
        manual_seed(23);
        const Conv& big = shapes[0];
        const Conv& small = shapes[6];
        Tensor x = Tensor::randn({big.N, big.C, big.H, big.W}, true), w = Tensor::randn({big.O, big.C, 5, 5}, true);
        Tensor b = Tensor::randn({big.O}, true), G = Tensor::randn({big.N, big.O, big.Ho(), big.Wo()});
        const std::vector<Tensor> first = run(big, x, w, b, G);
        Tensor xs = Tensor::randn({small.N, small.C, small.H, small.W}, true);
        Tensor ws = Tensor::randn({small.O, small.C, 5, 5}, true), bs = Tensor::randn({small.O}, true);
        const std::vector<Tensor> small_first =
            run(small, xs, ws, bs, Tensor::ones({small.N, small.O, small.Ho(), small.Wo()}));
        const std::vector<Tensor> again = run(big, x, w, b, G);
        const std::vector<Tensor> small_again =
            run(small, xs, ws, bs, Tensor::ones({small.N, small.O, small.Ho(), small.Wo()}));
        for (std::size_t k = 0; k < first.size(); ++k) {
            INFO("output " << k);
            CHECK(same_bits(first[k], again[k]));
            CHECK(same_bits(small_first[k], small_again[k]));
        }
    }
}

// PyTorch gives a window with nothing above -inf its first element in the image (the plane's
// first element before this was fixed: the 2x2 windows' gradients all landed on pixel 0).
TEST_CASE("max_pool2d: a window of -inf picks its first in-image element, as PyTorch", "[ops][conv]") {
    const float inf = std::numeric_limits<float>::infinity();
    Tensor x = Tensor::full({1, 1, 4, 4}, -inf, true);
    sum(max_pool2d(x, 2)).backward();
    CHECK(
        test::all_close(x.grad().reshape({-1}), Tensor::from({1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0}), 0.0f));
    Tensor p = Tensor::full({1, 1, 3, 3}, -inf, true);  // padding 1: windows start outside the image
    sum(max_pool2d(p, 2, 2, 1)).backward();
    CHECK(test::all_close(p.grad().reshape({-1}), Tensor::from({1, 1, 0, 1, 1, 0, 0, 0, 0}), 0.0f));
}

// The 2x2 kernel's two passes against a scan of each window in row-major order with `>` (PyTorch's
// rule: the first of equal maxima wins), on values with many ties (0, 1, 2 and -inf, the zeros a
// ReLU leaves), odd sizes whose last row and column no window covers, and enough planes for
// several tasks. The upstream gradient is distinct per output, so gx shows which element each
// window picked.
TEST_CASE("max_pool2d: the 2x2 kernel picks the first of equal maxima in row-major order", "[ops][conv]") {
    manual_seed(26);
    const std::size_t N = 3, C = 5, H = 9, W = 11, Ho = H / 2, Wo = W / 2;
    const float inf = std::numeric_limits<float>::infinity();
    Array a = Array::from_shape({N, C, H, W});
    const Tensor r = Tensor::rand({N, C, H, W});
    for (std::size_t k = 0; k < a.size(); ++k) {
        const int v = static_cast<int>(r.data().data()[k] * 4.0f);  // 0, 1, 2 or 3
        a.data()[k] = v == 3 ? -inf : static_cast<float>(v);
    }
    Tensor x(std::move(a), true);
    const Tensor G = Tensor::randn({N, C, Ho, Wo});
    const Tensor y = max_pool2d(x, 2);
    y.backward(G);
    std::vector<float> want_y(N * C * Ho * Wo), want_gx(x.numel(), 0.0f);
    const float* in = x.data().data();
    for (std::size_t p = 0; p < N * C; ++p)
        for (std::size_t oy = 0; oy < Ho; ++oy)
            for (std::size_t ox = 0; ox < Wo; ++ox) {
                std::size_t at = p * H * W + 2 * oy * W + 2 * ox;
                for (std::size_t i = 0; i < 2; ++i)
                    for (std::size_t j = 0; j < 2; ++j) {
                        const std::size_t k = p * H * W + (2 * oy + i) * W + 2 * ox + j;
                        if (in[k] > in[at]) at = k;
                    }
                const std::size_t o = (p * Ho + oy) * Wo + ox;
                want_y[o] = in[at];
                want_gx[at] += G.data().data()[o];
            }
    for (std::size_t k = 0; k < want_y.size(); ++k) {
        INFO("output " << k);
        CHECK(y.data().data()[k] == want_y[k]);
    }
    for (std::size_t k = 0; k < want_gx.size(); ++k) {
        INFO("input " << k);
        CHECK(x.grad().data().data()[k] == want_gx[k]);
    }
}
