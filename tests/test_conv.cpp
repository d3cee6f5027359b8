// Conv2d: shapes (PyTorch's padding rule: any padding), repr, in a LeNet, errors naming the layer.
// ConvTranspose2d: init, repr, options, and a PyTorch state dict giving PyTorch's output.
#include "helpers.hpp"

#include <fstream>
#include <sstream>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_grad_cases({
    {"Conv2d: grad through the layer, padding 1",
     {{2, 2, 5, 5}},
     [](V x) {
         manual_seed(8);
         return nn::Conv2d(2, 3, 3, 1, 1)(x[0]);
     }},
    {"Conv2d: grad, padding 2 on a 3x3 kernel (more than half, as PyTorch allows)",
     {{1, 2, 4, 3}},
     [](V x) {
         manual_seed(10);
         return nn::Conv2d(2, 2, 3, 1, 2)(x[0]);
     }},
    {"ConvTranspose2d: grad through the layer, stride 2, output_padding 1",
     {{2, 2, 3, 3}},
     [](V x) {
         manual_seed(9);
         return nn::ConvTranspose2d(2, 3, 3, {.stride = 2, .padding = 1, .output_padding = 1})(x[0]);
     }},
});

// "name v v v" lines of tests/reference/layers_reference.txt (make_layers_reference.py).
Tensor layers_reference(const std::string& name, const Shape& shape) {
    std::ifstream in(test::source_path("tests/reference/layers_reference.txt"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::string key;
        s >> key;
        if (key != name) continue;
        std::vector<float> v;
        for (double d; s >> d;) v.push_back(static_cast<float>(d));
        REQUIRE(v.size() == Tensor::zeros(shape).numel());
        return Tensor::from_values(shape, v.data());
    }
    FAIL("no " << name << " in tests/reference/layers_reference.txt");
    return Tensor();
}
}  // namespace

TEST_CASE("ConvTranspose2d: PyTorch's init bounds / names / shapes / repr / both ways of passing options",
          "[layers12][nn][conv]") {
    manual_seed(3);
    nn::ConvTranspose2d up(4, 16, 3, {.stride = 2, .padding = 1, .output_padding = 1});
    CHECK(up.weight.shape() == Shape{4, 16, 3, 3});
    // fan_in = weight.size(1)·k·k = 16·9 (PyTorch's rule on [C_in, C_out, k, k]), not 4·9:
    // kaiming_uniform_(a = √5) and the bias both draw from U(-1/√144, 1/√144) = U(-1/12, 1/12).
    const float bound = 1.0f / 12.0f;
    CHECK(xt::amax(xt::abs(up.weight.data()))() <= bound);
    CHECK(xt::amax(xt::abs(up.weight.data()))() > 0.95f * bound);
    CHECK(xt::amax(xt::abs(up.bias.data()))() <= bound);
    const auto names = up.named_parameters();
    REQUIRE(names.size() == 2);
    CHECK(names[0].first == "weight");
    CHECK(names[1].first == "bias");
    CHECK(up.check({2, 4, 5, 7}) == Shape{2, 16, 10, 14});
    CHECK(up(Tensor::randn({2, 4, 5, 7})).shape() == Shape{2, 16, 10, 14});
    nn::ConvTranspose2d positional(4, 16, 3, 2, 1, 1, false);
    CHECK(positional.check({2, 4, 5, 7}) == Shape{2, 16, 10, 14});
    CHECK_FALSE(positional.bias.defined());
    std::ostringstream s;
    s << up << ' ' << positional << ' ' << nn::ConvTranspose2d(2, 1, 2, 2);
    CHECK(s.str() ==
          "ConvTranspose2d(4, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1)) "
          "ConvTranspose2d(4, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1), "
          "bias=false) ConvTranspose2d(2, 1, kernel_size=(2, 2), stride=(2, 2))");
    CHECK_THROWS_WITH(nn::Sequential(up).check({2, 3, 5, 7}),
                      Catch::Contains("ConvTranspose2d(4 -> 16): input [2, 3, 5, 7] has 3 channels, weight "
                                      "[4, 16, 3, 3] expects 4") &&
                          Catch::Contains("make it ConvTranspose2d(3, 16, 3)"));
    CHECK_THROWS_WITH(nn::ConvTranspose2d(1, 1, 3, {.stride = 2, .output_padding = 2}),
                      Catch::Contains("ConvTranspose2d: output_padding 2 must be smaller than stride 2"));
    CHECK_THROWS_WITH(nn::ConvTranspose2d(1, 0, 3), Catch::Contains("ConvTranspose2d: channels"));
}

TEST_CASE("ConvTranspose2d: a PyTorch decoder's state dict loads strictly and gives PyTorch's output",
          "[layers12][nn][conv][checkpoint]") {
    auto model = nn::Sequential(nn::ConvTranspose2d(3, 2, 3, {.stride = 2, .padding = 1, .output_padding = 1}),
                                nn::ReLU(), nn::ConvTranspose2d(2, 1, 2, {.stride = 2, .bias = false}),
                                nn::Upsample({.scale_factor = {2}, .mode = "bilinear"}), nn::AdaptiveAvgPool2d({5, 3}));
    const nn::IncompatibleKeys keys = nn::load(model, test::source_path("tests/reference/torch_decoder.safetensors"));
    CHECK(keys.missing_keys.empty());
    CHECK(keys.unexpected_keys.empty());
    NoGradGuard no_grad;
    const Tensor y = model(layers_reference("decoder/input", {2, 3, 3, 4}));
    CHECK(test::all_close(y, layers_reference("decoder/output", {2, 1, 5, 3}), 1e-5f));
    // And back: xgrad's state dict has PyTorch's keys and shapes.
    const StateDict d = model.state_dict();
    REQUIRE(d.tensors.size() == 3);
    CHECK(d.tensors[0].first == "0.weight");
    CHECK(d.tensors[0].second.shape() == Shape{3, 2, 3, 3});
    CHECK(d.tensors[1].first == "0.bias");
    CHECK(d.tensors[2].first == "2.weight");
    CHECK(d.tensors[2].second.shape() == Shape{2, 1, 2, 2});
}

TEST_CASE("Conv2d: output shape, repr, in a LeNet; a channel mismatch names the layer and the fix", "[nn][conv]") {
    manual_seed(0);
    nn::Conv2d conv(6, 16, 5);
    CHECK(conv(Tensor::ones({2, 6, 12, 12})).shape() == Shape{2, 16, 8, 8});
    CHECK(nn::Conv2d(3, 4, 3, 2, 1).check({1, 3, 7, 8}) == Shape{1, 4, 4, 4});
    auto lenet = nn::Sequential(nn::Conv2d(1, 6, 5, 1, 2), nn::ReLU(), nn::MaxPool2d(2), nn::Conv2d(6, 16, 5),
                                nn::ReLU(), nn::AvgPool2d(2), nn::Flatten(), nn::Linear(16 * 5 * 5, 10));
    CHECK(lenet.check({8, 1, 28, 28}) == Shape{8, 10});
    CHECK(lenet(Tensor::zeros({8, 1, 28, 28})).shape() == Shape{8, 10});
    std::ostringstream s;
    s << lenet;
    CHECK(s.str().find("(0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))") != std::string::npos);
    CHECK_THROWS_WITH(
        lenet.check({8, 3, 28, 28}),
        Catch::Contains("Conv2d(1 -> 6): input [8, 3, 28, 28] has 3 channels, weight [6, 1, 5, 5] expects 1") &&
            Catch::Contains("make it Conv2d(3, 6, 5)"));
    CHECK_THROWS_WITH(conv(Tensor::ones({6, 12, 12})),
                      Catch::Contains("Conv2d(6 -> 16): input must be [N, C, H, W], got [6, 12, 12]"));
    CHECK_THROWS_WITH(conv.check({1, 6, 4, 4}), Catch::Contains("(padded 4x4) is smaller than the kernel 5x5"));
    CHECK_THROWS_WITH(nn::Conv2d(1, 1, 0), Catch::Contains("must be positive"));
}

TEST_CASE("Conv2d: padding beyond half the kernel gives PyTorch's shape; windows over padding alone see the bias",
          "[nn][conv]") {
    manual_seed(1);
    nn::Conv2d wide(1, 8, 3, 1, 2);  // PyTorch: [N, 8, H + 2, W + 2]
    CHECK(wide.check({4, 1, 28, 28}) == Shape{4, 8, 30, 30});
    CHECK(wide(Tensor::randn({4, 1, 28, 28})).shape() == Shape{4, 8, 30, 30});
    CHECK(nn::Sequential(wide, nn::ReLU()).check({2, 1, 5, 6}) == Shape{2, 8, 7, 8});

    // Padding 3 on a 3x3 kernel: the outer ring of outputs sees only zeros; inside, it is the
    // padding-2 result shifted by one.
    Tensor x = Tensor::randn({2, 1, 4, 5}), w = Tensor::randn({2, 1, 3, 3}), b = Tensor::from({0.5, -1.5});
    Tensor y3 = conv2d(x, w, b, 1, 3), y2 = conv2d(x, w, b, 1, 2);
    REQUIRE(y3.shape() == Shape{2, 2, 8, 9});
    REQUIRE(y2.shape() == Shape{2, 2, 6, 7});
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t o = 0; o < 2; ++o)
            for (std::size_t i = 0; i < 8; ++i)
                for (std::size_t j = 0; j < 9; ++j) {
                    const bool ring = i == 0 || j == 0 || i == 7 || j == 8;
                    const float want = ring ? b.data()(o) : y2.data()(n, o, i - 1, j - 1);
                    CHECK(y3.data()(n, o, i, j) == Approx(want).margin(1e-5));
                }
    CHECK(nn::Conv2d(1, 2, 3, 1, 3).check({2, 1, 4, 5}) == Shape{2, 2, 8, 9});
}
