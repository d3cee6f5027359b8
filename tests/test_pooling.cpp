// MaxPool2d and AvgPool2d: shapes, repr, and PyTorch's pooling rule (padding <= kernel_size / 2).
#include "helpers.hpp"

#include <sstream>

using namespace xg;

TEST_CASE("MaxPool2d, AvgPool2d: stride defaults to the kernel; the layer computes its op", "[nn][conv]") {
    Tensor x = Tensor::randn({2, 3, 6, 7});
    CHECK(nn::MaxPool2d(2).check({2, 3, 6, 7}) == Shape{2, 3, 3, 3});
    CHECK(nn::AvgPool2d(3, 2, 1).check({2, 3, 6, 7}) == Shape{2, 3, 3, 4});
    CHECK(test::all_close(nn::MaxPool2d(2)(x), max_pool2d(x, 2), 0.0f));
    CHECK(test::all_close(nn::AvgPool2d(3, 2, 1)(x), avg_pool2d(x, 3, 2, 1), 0.0f));
    CHECK(nn::MaxPool2d(3).stride == 3);
    std::ostringstream s;
    s << nn::MaxPool2d(2) << ' ' << nn::AvgPool2d(3, 1, 1);
    CHECK(s.str() == "MaxPool2d(kernel_size=2, stride=2, padding=0) AvgPool2d(kernel_size=3, stride=1, padding=1)");
}

TEST_CASE("MaxPool2d, AvgPool2d: padding over half the kernel is an error naming the op, in check() and forward",
          "[nn][conv][errors]") {
    Tensor x = Tensor::ones({1, 1, 4, 4});
    CHECK(nn::MaxPool2d(2, 2, 1).check({1, 1, 4, 4}) == Shape{1, 1, 3, 3});  // exactly half is allowed
    CHECK_THROWS_WITH(nn::MaxPool2d(2, 2, 2).check({1, 1, 4, 4}),
                      Catch::Contains("max_pool2d: padding 2 must be at most half the kernel size 2"));
    CHECK_THROWS_WITH(nn::MaxPool2d(2, 2, 2)(x),
                      Catch::Contains("max_pool2d: padding 2 must be at most half the kernel size 2"));
    CHECK_THROWS_WITH(nn::AvgPool2d(3, 1, 2)(x),
                      Catch::Contains("avg_pool2d: padding 2 must be at most half the kernel size 3"));
    CHECK_THROWS_WITH(nn::Sequential(nn::ReLU(), nn::AvgPool2d(3, 1, 2)).check({1, 1, 4, 4}),
                      Catch::Contains("layer 1 (AvgPool2d(kernel_size=3, stride=1, padding=2))") &&
                          Catch::Contains("avg_pool2d: padding 2 must be at most half"));
    CHECK_THROWS_WITH(nn::MaxPool2d(5)(x),
                      Catch::Contains("max_pool2d: input [1, 1, 4, 4] (padded 4x4) is smaller than the kernel 5x5"));
    CHECK_THROWS_WITH(nn::MaxPool2d(0).check({1, 1, 4, 4}),
                      Catch::Contains("max_pool2d: kernel size and stride must be positive"));
}

TEST_CASE("AdaptiveAvgPool2d: the layer computes its op; shape / repr / errors", "[layers12][nn][conv]") {
    Tensor x = Tensor::randn({2, 3, 7, 5});
    CHECK(test::all_close(nn::AdaptiveAvgPool2d(1)(x), adaptive_avg_pool2d(x, {1}), 0.0f));
    CHECK(test::all_close(nn::AdaptiveAvgPool2d({3, 2})(x), adaptive_avg_pool2d(x, {3, 2}), 0.0f));
    CHECK(nn::AdaptiveAvgPool2d(1).check({8, 64, 7, 7}) == Shape{8, 64, 1, 1});
    CHECK(nn::Sequential(nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(64, 10)).check({8, 64, 7, 7}) ==
          Shape{8, 10});
    std::ostringstream s;
    s << nn::AdaptiveAvgPool2d(1) << ' ' << nn::AdaptiveAvgPool2d({2, 3});
    CHECK(s.str() == "AdaptiveAvgPool2d(output_size=1) AdaptiveAvgPool2d(output_size=(2, 3))");
    CHECK_THROWS_WITH(nn::AdaptiveAvgPool2d(0), Catch::Contains("AdaptiveAvgPool2d: output_size must be positive"));
    CHECK_THROWS_WITH(nn::AdaptiveAvgPool2d(2).check({3, 4}),
                      Catch::Contains("AdaptiveAvgPool2d: input must be [N, C, H, W], got [3, 4]"));
}
