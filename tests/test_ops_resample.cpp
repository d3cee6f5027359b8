// adaptive_avg_pool2d and interpolate (nearest, bilinear): PyTorch's numbers for each source-index
// rule, gradients of any order (they are linear maps), hand-worked values, errors.
#include "helpers.hpp"

using namespace xg;
namespace F = xg::nn::functional;

namespace {
using V = const std::vector<Tensor>&;
using Opts = F::InterpolateOptions;
const bool registered = test::register_op_cases({
    {"adaptive_avg_pool2d: grad, [2, 3, 7, 5] -> (3, 2)",
     {{2, 3, 7, 5}},
     [](V x) {
         return adaptive_avg_pool2d(x[0], {3, 2});
     }},
    {"adaptive_avg_pool2d: grad, output 1 (global)",
     {{2, 3, 4, 4}},
     [](V x) { return adaptive_avg_pool2d(x[0], {1}); }},
    {"adaptive_avg_pool2d: grad, 3x3 -> 5x4 (overlapping windows)",
     {{1, 2, 3, 3}},
     [](V x) {
         return adaptive_avg_pool2d(x[0], {5, 4});
     }},
    {"interpolate: grad, nearest size (7, 5) from 3x4",
     {{1, 2, 3, 4}},
     [](V x) {
         return F::interpolate(x[0], {.size = {7, 5}, .mode = "nearest"});
     }},
    {"interpolate: grad, nearest scale_factor 2",
     {{1, 2, 3, 3}},
     [](V x) { return F::interpolate(x[0], {.scale_factor = {2.0}}); }},
    {"interpolate: grad, nearest scale_factor 1.7",
     {{1, 1, 5, 4}},
     [](V x) { return F::interpolate(x[0], {.scale_factor = {1.7}}); }},
    {"interpolate: grad, nearest size 2 from 5x5",
     {{1, 2, 5, 5}},
     [](V x) { return F::interpolate(x[0], {.size = {2}}); }},
    {"interpolate: grad, bilinear size (5, 7) from 3x4",
     {{2, 1, 3, 4}},
     [](V x) {
         return F::interpolate(x[0], {.size = {5, 7}, .mode = "bilinear", .align_corners = false});
     }},
    {"interpolate: grad, bilinear size (5, 7) from 3x4 align_corners",
     {{2, 1, 3, 4}},
     [](V x) {
         return F::interpolate(x[0], {.size = {5, 7}, .mode = "bilinear", .align_corners = true});
     }},
    {"interpolate: grad, bilinear scale_factor 2",
     {{1, 2, 3, 3}},
     [](V x) { return F::interpolate(x[0], {.scale_factor = {2.0}, .mode = "bilinear"}); }},
    {"interpolate: grad, bilinear scale_factor 1.7",
     {{1, 1, 5, 4}},
     [](V x) { return F::interpolate(x[0], {.scale_factor = {1.7}, .mode = "bilinear"}); }},
    {"interpolate: grad, bilinear scale_factor 1.7 recompute_scale_factor",
     {{1, 1, 5, 4}},
     [](V x) {
         return F::interpolate(x[0], {.scale_factor = {1.7}, .mode = "bilinear", .recompute_scale_factor = true});
     }},
    {"interpolate: grad, bilinear scale_factor (2.5, 0.6) align_corners",
     {{1, 1, 3, 5}},
     [](V x) {
         return F::interpolate(x[0], {.scale_factor = {2.5, 0.6}, .mode = "bilinear", .align_corners = true});
     }},
    {"interpolate: grad, bilinear 6x6 -> 4x3",
     {{1, 2, 6, 6}},
     [](V x) {
         return F::interpolate(x[0], {.size = {4, 3}, .mode = "bilinear"});
     }},
    {"interpolate: grad, bilinear size 1 align_corners",
     {{1, 2, 3, 4}},
     [](V x) { return F::interpolate(x[0], {.size = {1}, .mode = "bilinear", .align_corners = true}); }},
    {"interpolate: grad, bilinear then squared",
     {{1, 1, 3, 3}},
     [](V x) {
         const Tensor y = F::interpolate(x[0], {.scale_factor = {2.0}, .mode = "bilinear"});
         return y * y;
     }},
});
}  // namespace

TEST_CASE("adaptive_avg_pool2d: PyTorch's windows by hand; output 1 is the mean of each plane",
          "[layers12][ops][conv]") {
    // 5 columns into 3: windows [0, 2), [1, 4), [3, 5): floor(i·5/3) to ceil((i+1)·5/3).
    Tensor x = Tensor::from({{1, 2, 3, 4, 5}}).reshape({1, 1, 1, 5});
    CHECK(test::all_close(adaptive_avg_pool2d(x, {1, 3}).reshape({-1}), Tensor::from({1.5, 3, 4.5})));
    Tensor r = Tensor::randn({2, 3, 7, 6});
    CHECK(test::all_close(adaptive_avg_pool2d(r, 1).reshape({2, 3}), mean(r.reshape({2, 3, 42}), 2), 1e-6f));
    CHECK(test::all_close(adaptive_avg_pool2d(r, {7, 6}), r, 0.0f));  // same size: the identity
    CHECK(adaptive_avg_pool2d_shape({2, 3, 7, 6}, {2, 4}) == Shape{2, 3, 2, 4});
}

TEST_CASE("interpolate: hand-worked nearest and bilinear; shape function matches forward", "[layers12][ops][conv]") {
    Tensor x = Tensor::arange(4).reshape({1, 1, 2, 2});
    CHECK(test::all_close(F::interpolate(x, {.scale_factor = {2.0}}).reshape({4, 4}),
                          Tensor::from({{0, 0, 1, 1}, {0, 0, 1, 1}, {2, 2, 3, 3}, {2, 2, 3, 3}})));
    // PyTorch prints these for F.interpolate(arange(4).view(1, 1, 2, 2), scale_factor=2, mode='bilinear').
    CHECK(test::all_close(
        F::interpolate(x, {.scale_factor = {2.0}, .mode = "bilinear"}).reshape({4, 4}),
        Tensor::from({{0, 0.25, 0.75, 1}, {0.5, 0.75, 1.25, 1.5}, {1.5, 1.75, 2.25, 2.5}, {2, 2.25, 2.75, 3}})));
    // align_corners: the corners stay, the rest is evenly spaced between them.
    CHECK(test::all_close(F::interpolate(x, {.size = {3}, .mode = "bilinear", .align_corners = true}).reshape({3, 3}),
                          Tensor::from({{0, 0.5, 1}, {1, 1.5, 2}, {2, 2.5, 3}})));
    const std::vector<Opts> options{{.size = {3, 5}},
                                    {.scale_factor = {1.5, 0.5}, .mode = "bilinear"},
                                    {.scale_factor = {2.9}, .recompute_scale_factor = true}};
    for (const Opts& o : options) {
        const Tensor in = Tensor::randn({2, 3, 4, 6});
        CHECK(F::interpolate_shape(in.shape(), o) == F::interpolate(in, o).shape());
    }
    CHECK(F::interpolate_shape({1, 2, 5, 4}, {.scale_factor = {1.7}}) == Shape{1, 2, 8, 6});
}

TEST_CASE("interpolate / adaptive_avg_pool2d: bad arguments are errors naming the op",
          "[layers12][ops][conv][errors]") {
    const Tensor x = Tensor::ones({1, 1, 4, 4});
    CHECK_THROWS_WITH(F::interpolate(Tensor::ones({1, 4, 4}), {.size = {2}}),
                      Catch::Contains("interpolate: input must be [N, C, H, W], got [1, 4, 4]"));
    CHECK_THROWS_WITH(F::interpolate(x, {.size = {2}, .mode = "bicubic"}),
                      Catch::Contains("interpolate: mode must be \"nearest\" or \"bilinear\", got \"bicubic\""));
    CHECK_THROWS_WITH(F::interpolate(x, {.size = {2}, .align_corners = true}),
                      Catch::Contains("interpolate: align_corners can only be set with mode \"bilinear\""));
    CHECK_THROWS_WITH(F::interpolate(x, {}), Catch::Contains("interpolate: give exactly one of size and scale_factor"));
    CHECK_THROWS_WITH(F::interpolate(x, {.size = {2}, .scale_factor = {2.0}}),
                      Catch::Contains("give exactly one of size and scale_factor"));
    CHECK_THROWS_WITH(F::interpolate(x, {.size = {2, 3, 4}}),
                      Catch::Contains("interpolate: size must have 1 or 2 values for a 4-D input, got [2, 3, 4]"));
    CHECK_THROWS_WITH(F::interpolate(x, {.scale_factor = {-2.0}}),
                      Catch::Contains("interpolate: scale_factor must be positive and finite, got [-2]"));
    CHECK_THROWS_WITH(
        F::interpolate(x, {.scale_factor = {0.1}}),
        Catch::Contains("interpolate: input [1, 1, 4, 4] and output [0, 0] sizes must be greater than 0"));
    CHECK_THROWS_WITH(F::interpolate(x, {.size = {0, 2}}), Catch::Contains("sizes must be greater than 0"));
    CHECK_THROWS_WITH(F::interpolate(x, {.size = {2}, .recompute_scale_factor = true}),
                      Catch::Contains("recompute_scale_factor is not meaningful with an explicit size"));
    CHECK_THROWS_WITH(adaptive_avg_pool2d(Tensor::ones({4, 4}), {2}),
                      Catch::Contains("adaptive_avg_pool2d: input must be [N, C, H, W], got [4, 4]"));
    CHECK_THROWS_WITH(adaptive_avg_pool2d(x, {2, 0}),
                      Catch::Contains("adaptive_avg_pool2d: output_size must be positive, got [2, 0]"));
    CHECK_THROWS_WITH(adaptive_avg_pool2d(x, std::vector<std::size_t>{}),
                      Catch::Contains("output_size must have 1 or 2 values, got []"));
    CHECK_THROWS_WITH(adaptive_avg_pool2d(Tensor::ones({1, 1, 0, 4}), {2}),
                      Catch::Contains("adaptive_avg_pool2d: input [1, 1, 0, 4] has no pixels"));
}
