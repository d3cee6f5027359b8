// Upsample: the layer is interpolate with its options; shape, repr (PyTorch's), errors naming it.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

TEST_CASE("Upsample: computes interpolate; output_shape / repr and errors name the layer", "[layers12][nn][conv]") {
    const Tensor x = Tensor::randn({2, 3, 4, 5});
    nn::Upsample up({.scale_factor = {2}, .mode = "bilinear", .align_corners = true});
    CHECK(test::all_close(up(x), nn::functional::interpolate(x, up.options), 0.0f));
    CHECK(up.check({2, 3, 4, 5}) == Shape{2, 3, 8, 10});
    CHECK(nn::Upsample({.size = {7, 3}}).check({1, 1, 2, 2}) == Shape{1, 1, 7, 3});
    std::ostringstream s;
    s << nn::Upsample({.scale_factor = {2}}) << ' ' << nn::Upsample({.size = {4, 5}, .mode = "bilinear"}) << ' '
      << nn::Upsample({.scale_factor = {2, 1.5}}) << ' ' << nn::Upsample({.size = {3}});
    CHECK(s.str() ==
          "Upsample(scale_factor=2.0, mode=nearest) Upsample(size=(4, 5), mode=bilinear) "
          "Upsample(scale_factor=(2.0, 1.5), mode=nearest) Upsample(size=3, mode=nearest)");
    CHECK_THROWS_WITH(nn::Upsample({.size = {2}, .mode = "linear"})(x),
                      Catch::Contains("Upsample: mode must be \"nearest\" or \"bilinear\", got \"linear\""));
    CHECK_THROWS_WITH(up.check({2, 3, 4}), Catch::Contains("Upsample: input must be [N, C, H, W], got [2, 3, 4]"));
}
