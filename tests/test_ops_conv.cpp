// conv2d, conv_transpose2d, max_pool2d, avg_pool2d: hand-worked values, naive direct
// (transposed) convolutions, gradients with stride and padding, errors.
#include "helpers.hpp"

using namespace xg;
using xg::test::Domain;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_op_cases(
    {
        {"conv2d: grad, [2, 3, 5, 5] * [4, 3, 3, 3] + bias",
         {{2, 3, 5, 5}, {4, 3, 3, 3}, {4}},
         [](V x) { return conv2d(x[0], x[1], x[2]); }},
        {"conv2d: grad, stride 2, padding 1",
         {{2, 2, 6, 5}, {3, 2, 3, 3}, {3}},
         [](V x) { return conv2d(x[0], x[1], x[2], 2, 1); }},
        {"conv2d: grad, 1x1 kernel, no bias", {{1, 3, 4, 4}, {2, 3, 1, 1}}, [](V x) { return conv2d(x[0], x[1]); }},
        {"max_pool2d: grad, 2x2", {{2, 3, 4, 6}}, [](V x) { return max_pool2d(x[0], 2); }, Domain::distinct},
        {"max_pool2d: grad, 3x3 stride 2 padding 1",
         {{1, 2, 5, 5}},
         [](V x) { return max_pool2d(x[0], 3, 2, 1); },
         Domain::distinct},
        {"avg_pool2d: grad, 2x2", {{2, 3, 4, 6}}, [](V x) { return avg_pool2d(x[0], 2); }},
        {"avg_pool2d: grad, 3x3 stride 1 padding 1", {{1, 2, 4, 4}}, [](V x) { return avg_pool2d(x[0], 3, 1, 1); }},
        {"conv_transpose2d: grad, [2, 3, 4, 4] with [3, 2, 3, 3] + bias",
         {{2, 3, 4, 4}, {3, 2, 3, 3}, {2}},
         [](V x) { return conv_transpose2d(x[0], x[1], x[2]); }},
        {"conv_transpose2d: grad, stride 2, padding 1, output_padding 1",
         {{2, 2, 3, 4}, {2, 3, 3, 3}, {3}},
         [](V x) { return conv_transpose2d(x[0], x[1], x[2], 2, 1, 1); }},
        {"conv_transpose2d: grad, 2x2 kernel stride 2, no bias",
         {{1, 3, 3, 3}, {3, 2, 2, 2}},
         [](V x) { return conv_transpose2d(x[0], x[1], Tensor(), 2); }},
        {"conv_transpose2d: grad, 2x3 kernel, stride 3, padding 2, output_padding 2",
         {{1, 2, 4, 3}, {2, 2, 2, 3}, {2}},
         [](V x) { return conv_transpose2d(x[0], x[1], x[2], 3, 2, 2); }},
    },
    test::Order::first);  // fused kernels: first-order only

// out[n, o, y, x] = b[o] + Σ_c,i,j w[o, c, i, j] · in[n, c, y·s + i - p, x·s + j - p]
Array naive_conv(const Array& in, const Array& w, const Array& b, std::size_t s, std::size_t p) {
    const std::size_t N = in.shape()[0], C = in.shape()[1], H = in.shape()[2], W = in.shape()[3];
    const std::size_t O = w.shape()[0], K = w.shape()[2];
    const std::size_t Ho = (H + 2 * p - K) / s + 1, Wo = (W + 2 * p - K) / s + 1;
    Array out = xt::zeros<float>({N, O, Ho, Wo});
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t o = 0; o < O; ++o)
            for (std::size_t y = 0; y < Ho; ++y)
                for (std::size_t x = 0; x < Wo; ++x) {
                    double acc = b(o);
                    for (std::size_t c = 0; c < C; ++c)
                        for (std::size_t i = 0; i < K; ++i)
                            for (std::size_t j = 0; j < K; ++j) {
                                const long yy = long(y * s + i) - long(p), xx = long(x * s + j) - long(p);
                                if (yy >= 0 && xx >= 0 && yy < long(H) && xx < long(W))
                                    acc += w(o, c, i, j) * in(n, c, yy, xx);
                            }
                    out(n, o, y, x) = static_cast<float>(acc);
                }
    return out;
}

// The definition of the transposed convolution: every input pixel paints its kernel, scaled by
// its value, at (y·s - p, x·s - p) of the output.
Array naive_conv_transpose(const Array& in, const Array& w, const Array& b, std::size_t s, std::size_t p,
                           std::size_t op) {
    const std::size_t N = in.shape()[0], C = in.shape()[1], H = in.shape()[2], W = in.shape()[3];
    const std::size_t O = w.shape()[1], KH = w.shape()[2], KW = w.shape()[3];
    const std::size_t Ho = (H - 1) * s + KH + op - 2 * p, Wo = (W - 1) * s + KW + op - 2 * p;
    Array out = xt::zeros<float>({N, O, Ho, Wo});
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t o = 0; o < O; ++o) {
            for (std::size_t y = 0; y < Ho; ++y)
                for (std::size_t x = 0; x < Wo; ++x) out(n, o, y, x) = b(o);
            for (std::size_t c = 0; c < C; ++c)
                for (std::size_t y = 0; y < H; ++y)
                    for (std::size_t x = 0; x < W; ++x)
                        for (std::size_t i = 0; i < KH; ++i)
                            for (std::size_t j = 0; j < KW; ++j) {
                                const long yy = long(y * s + i) - long(p), xx = long(x * s + j) - long(p);
                                if (yy >= 0 && xx >= 0 && yy < long(Ho) && xx < long(Wo))
                                    out(n, o, yy, xx) += w(c, o, i, j) * in(n, c, y, x);
                            }
        }
    return out;
}
}  // namespace

TEST_CASE("conv_transpose2d: equals the painting definition and is conv2d's adjoint", "[layers12][ops][conv]") {
    manual_seed(12);
    struct Case {
        std::size_t s, p, op, kh, kw;
    };
    for (const Case c : {Case{1, 0, 0, 3, 3}, {2, 1, 1, 3, 3}, {2, 0, 0, 2, 2}, {3, 2, 2, 4, 3}, {1, 2, 0, 5, 5}}) {
        INFO("stride " << c.s << " padding " << c.p << " output_padding " << c.op);
        Tensor x = Tensor::randn({2, 3, 5, 4}), w = Tensor::randn({3, 4, c.kh, c.kw}), b = Tensor::randn({4});
        Tensor y = conv_transpose2d(x, w, b, c.s, c.p, c.op);
        CHECK(y.shape() == conv_transpose2d_shape(x.shape(), w.shape(), c.s, c.p, c.op));
        CHECK(test::all_close(y.data(), naive_conv_transpose(x.data(), w.data(), b.data(), c.s, c.p, c.op), 1e-4f));
        // <conv2d(z, w), x> = <z, conv_transpose2d(x, w)>: [C_in, C_out, k, k] is conv2d's [out, in, k, k].
        Tensor z = Tensor::randn(y.shape());
        const float lhs = sum(conv2d(z, w, Tensor(), c.s, c.p) * x).item();
        const float rhs = sum(z * conv_transpose2d(x, w, Tensor(), c.s, c.p, c.op)).item();
        CHECK(lhs == Approx(rhs).epsilon(1e-4).margin(1e-3));
    }
}

TEST_CASE("conv_transpose2d: a hand-worked 2x2 input with a 2x2 kernel at stride 2 tiles the kernel",
          "[layers12][ops][conv]") {
    Tensor x = Tensor::from({{1, 2}, {3, 4}}).reshape({1, 1, 2, 2});
    Tensor w = Tensor::from({{1, 10}, {100, 1000}}).reshape({1, 1, 2, 2});
    Tensor y = conv_transpose2d(x, w, Tensor::from({0.5}), 2);
    CHECK(test::all_close(y.reshape({4, 4}), Tensor::from({{1.5, 10.5, 2.5, 20.5},
                                                           {100.5, 1000.5, 200.5, 2000.5},
                                                           {3.5, 30.5, 4.5, 40.5},
                                                           {300.5, 3000.5, 400.5, 4000.5}})));
    // stride 1: overlapping patches add up.
    CHECK(test::all_close(conv_transpose2d(Tensor::ones({1, 1, 2, 2}), Tensor::ones({1, 1, 2, 2})).reshape({3, 3}),
                          Tensor::from({{1, 2, 1}, {2, 4, 2}, {1, 2, 1}})));
}

TEST_CASE("conv_transpose2d: bad shapes are errors naming the op and the shapes", "[layers12][ops][conv][errors]") {
    const Tensor x = Tensor::ones({1, 2, 3, 3});
    CHECK_THROWS_WITH(
        conv_transpose2d(x, Tensor::ones({3, 2, 3, 3})),
        Catch::Contains("conv_transpose2d: input [1, 2, 3, 3] has 2 channels, weight [3, 2, 3, 3] expects 3"));
    CHECK_THROWS_WITH(conv_transpose2d(Tensor::ones({2, 3, 3}), Tensor::ones({2, 2, 3, 3})),
                      Catch::Contains("conv_transpose2d: input must be [N, C_in, H, W], got [2, 3, 3]"));
    CHECK_THROWS_WITH(
        conv_transpose2d(x, Tensor::ones({2, 2, 3})),
        Catch::Contains("conv_transpose2d: weight must be [in_channels, out_channels, kh, kw], got [2, 2, 3]"));
    CHECK_THROWS_WITH(conv_transpose2d(x, Tensor::ones({2, 2, 3, 3}), Tensor(), 2, 0, 2),
                      Catch::Contains("conv_transpose2d: output_padding 2 must be smaller than stride 2"));
    CHECK_THROWS_WITH(conv_transpose2d(x, Tensor::ones({2, 2, 3, 3}), Tensor(), 0),
                      Catch::Contains("conv_transpose2d: kernel size and stride must be positive"));
    CHECK_THROWS_WITH(conv_transpose2d(Tensor::ones({1, 2, 1, 1}), Tensor::ones({2, 2, 1, 1}), Tensor(), 1, 1),
                      Catch::Contains("conv_transpose2d: input [1, 2, 1, 1] with weight [2, 2, 1, 1], stride 1 and "
                                      "padding 1 gives no output pixels"));
    CHECK_THROWS_WITH(conv_transpose2d(x, Tensor::ones({2, 2, 3, 3}), Tensor::ones({3})),
                      Catch::Contains("conv_transpose2d: bias [3] doesn't match 2 output channels"));
    // First-order: a second derivative through it is an error naming the op.
    Tensor xs = Tensor::randn({1, 2, 3, 3}, true), w = Tensor::randn({2, 2, 3, 3}, true);
    auto g = autograd::grad({sum(conv_transpose2d(xs, w) * conv_transpose2d(xs, w))}, {xs}, {.create_graph = true});
    CHECK_THROWS_WITH(autograd::grad({sum(g[0])}, {w}), Catch::Contains("conv_transpose2d"));
}

TEST_CASE("conv2d: a hand-worked 3x3 image with a 2x2 kernel", "[ops][conv]") {
    Tensor x = Tensor::from({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}).reshape({1, 1, 3, 3});
    Tensor w = Tensor::from({{1, 0}, {0, -1}}).reshape({1, 1, 2, 2});
    CHECK(test::all_close(conv2d(x, w, Tensor::from({10})).reshape({-1}), Tensor::from({6, 6, 6, 6})));
    // padding 1: the corners see one pixel each
    Tensor padded = conv2d(x, w, Tensor(), 1, 1);
    CHECK(padded.shape() == Shape{1, 1, 4, 4});
    CHECK(padded.data()(0, 0, 0, 0) == -1.0f);
    CHECK(padded.data()(0, 0, 3, 3) == 9.0f);
}

TEST_CASE("conv2d: equals a naive direct convolution on random inputs", "[ops][conv]") {
    manual_seed(11);
    for (auto [s, p] : {std::pair<std::size_t, std::size_t>{1, 0}, {2, 1}, {1, 2}, {3, 0}}) {
        Tensor x = Tensor::randn({2, 3, 9, 8}), w = Tensor::randn({5, 3, 5, 5}), b = Tensor::randn({5});
        INFO("stride " << s << " padding " << p);
        CHECK(test::all_close(conv2d(x, w, b, s, p).data(), naive_conv(x.data(), w.data(), b.data(), s, p), 1e-4f));
    }
}

TEST_CASE("pooling: hand-worked max and average", "[ops][conv]") {
    Tensor x = Tensor::from({{1, 2, 5, 0}, {3, 4, 1, 1}, {0, 0, 2, 2}, {9, 0, 2, 6}}).reshape({1, 1, 4, 4});
    CHECK(test::all_close(max_pool2d(x, 2).reshape({-1}), Tensor::from({4, 5, 9, 6})));
    CHECK(test::all_close(avg_pool2d(x, 2).reshape({-1}), Tensor::from({2.5, 1.75, 2.25, 3})));
    CHECK(max_pool2d(x, 3, 1).shape() == Shape{1, 1, 2, 2});
    CHECK(test::all_close(max_pool2d(x, 3, 1).reshape({-1}), Tensor::from({5, 5, 9, 6})));
}

TEST_CASE("conv2d and pooling: bad shapes are clear errors", "[ops][conv][errors]") {
    CHECK_THROWS_WITH(conv2d(Tensor::ones({1, 2, 5, 5}), Tensor::ones({3, 4, 3, 3})),
                      Catch::Contains("conv2d: input [1, 2, 5, 5] has 2 channels, weight [3, 4, 3, 3] expects 4"));
    CHECK_THROWS_WITH(conv2d(Tensor::ones({2, 5, 5}), Tensor::ones({3, 2, 3, 3})),
                      Catch::Contains("must be [N, C, H, W], got [2, 5, 5]"));
    CHECK_THROWS_WITH(conv2d(Tensor::ones({1, 1, 2, 2}), Tensor::ones({1, 1, 3, 3})),
                      Catch::Contains("smaller than the kernel 3x3"));
    CHECK_THROWS_WITH(max_pool2d(Tensor::ones({1, 1, 4, 4}), 2, 2, 2),
                      Catch::Contains("padding 2 must be at most half"));
}
