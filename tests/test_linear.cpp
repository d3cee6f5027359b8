// Linear and Identity: PyTorch's weights and output, any leading dims, the shape error naming the layer.
#include "helpers.hpp"

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_grad_cases({
    {"Linear: grad through the layer, 3-D input [2, 3, 4]",
     {{2, 3, 4}},
     [](V x) {
         manual_seed(5);
         nn::Linear layer(4, 3);
         return layer(x[0]);
     }},
});
}  // namespace

TEST_CASE("Linear: loads PyTorch weights and gives PyTorch's output", "[nn][serialize]") {
    nn::Linear layer(3, 4);
    nn::load(layer, test::source_path("tests/reference/linear_4x3.safetensors"));
    Tensor out = layer(Tensor::from({{1.0, -2.0, 0.5}, {0.0, 0.25, 3.0}}));
    std::vector<float> want = test::reference("safetensors/linear_4x3/output");
    REQUIRE(out.numel() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(out.data().data()[i] == Approx(want[i]).epsilon(1e-6));
}

TEST_CASE("Linear: any leading dims; a wrong feature count is a clear error", "[nn][errors]") {
    nn::Linear layer(4, 3);
    CHECK(layer(Tensor::ones({2, 5, 4})).shape() == Shape{2, 5, 3});
    CHECK(layer(Tensor::ones({4})).shape() == Shape{3});
    CHECK(test::all_close(layer(Tensor::ones({2, 5, 4})), linear(Tensor::ones({2, 5, 4}), layer.weight, layer.bias)));
    CHECK_THROWS_WITH(layer(Tensor::ones({64, 100})),
                      Catch::Contains("Linear(4 -> 3): input [64, 100] has 100 features, expected 4 (weight [3, 4])"));
    CHECK_THROWS_WITH(layer.check({64, 100}), Catch::Contains("Linear(4 -> 3): input [64, 100] has 100 features"));
    CHECK_THROWS_WITH(layer(Tensor::ones({})), Catch::Contains("input [] has no features"));
    CHECK_THROWS_WITH(nn::Linear(0, 3), Catch::Contains("must be positive, got Linear(0, 3)"));
}

TEST_CASE("Identity: returns its input", "[nn]") {
    Tensor x = Tensor::randn({3});
    CHECK(test::all_close(nn::Identity()(x), x));
    CHECK(nn::Identity().check({2, 7}) == Shape{2, 7});
}
