// BatchNorm1d/2d: running statistics as buffers, train/eval behaviour, saving, shape errors.
#include "helpers.hpp"

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_grad_cases({
    {"BatchNorm2d: grad through the layer in training",
     {{3, 2, 2, 2}},
     [](V x) {
         nn::BatchNorm2d bn(2);
         return bn(x[0]);
     }},
});
}  // namespace

TEST_CASE("BatchNorm: running statistics as buffers, train/eval behaviour, saved by nn::save", "[nn][conv]") {
    manual_seed(1);
    nn::BatchNorm1d bn(3);
    CHECK(bn.named_buffers().size() == 3);
    CHECK(bn.named_buffers()[0].first == "running_mean");
    CHECK(bn.named_buffers()[2].first == "num_batches_tracked");
    Tensor x = Tensor::randn({16, 3}) * 2.0f + 5.0f;
    Tensor y = bn(x);
    for (std::size_t c = 0; c < 3; ++c) {
        double m = 0;
        for (std::size_t n = 0; n < 16; ++n) m += y.data()(n, c);
        CHECK(m / 16 == Approx(0.0).margin(1e-5));
    }
    CHECK(bn.running_mean.data()(0) == Approx(0.1 * mean(select(x, 1, 0)).item()));
    bn.eval();
    Tensor before = bn.running_mean.detach();
    Tensor e = bn(x);
    CHECK(test::all_close(bn.running_mean, before, 0.0f));  // eval doesn't update
    CHECK_FALSE(test::all_close(e, y, 1e-3f));              // and normalises with the running stats

    const std::string path = test::temp_path("bn.safetensors");
    auto model = nn::Sequential(nn::Linear(3, 3), nn::BatchNorm1d(3));
    model(Tensor::randn({8, 3}));
    nn::save(model, path);
    auto fresh = nn::Sequential(nn::Linear(3, 3), nn::BatchNorm1d(3));
    nn::load(fresh, path);
    CHECK(test::all_close(fresh.at<nn::BatchNorm1d>(1).running_var, model.at<nn::BatchNorm1d>(1).running_var, 0.0f));
    CHECK(fresh.at<nn::BatchNorm1d>(1).num_batches_tracked.item() == 1.0f);
}

TEST_CASE("BatchNorm: the layer's dims, then batch_norm's rule naming the layer; the fix", "[nn][conv][errors]") {
    CHECK(nn::BatchNorm1d(4).check({2, 4, 7}) == Shape{2, 4, 7});
    CHECK(nn::BatchNorm2d(4).check({2, 4, 3, 3}) == Shape{2, 4, 3, 3});
    CHECK_THROWS_WITH(nn::BatchNorm2d(4)(Tensor::ones({2, 4})),
                      Catch::Contains("BatchNorm2d(4): input [2, 4] must be [N, 4, H, W]"));
    CHECK_THROWS_WITH(nn::BatchNorm1d(4).check({2, 4, 3, 3}), Catch::Contains("must be [N, 4] or [N, 4, L]"));
    CHECK_THROWS_WITH(
        nn::BatchNorm2d(4)(Tensor::ones({2, 5, 3, 3})),
        Catch::Contains("BatchNorm2d(4): running_mean [4] doesn't match 5 channels of input [2, 5, 3, 3]"));
    CHECK_THROWS_WITH(nn::Sequential(nn::BatchNorm2d(4)).check({2, 5, 3, 3}),
                      Catch::Contains("Likely fix: make it BatchNorm2d(5)"));
    // One value per channel can't be normalised in training (PyTorch's rule); it can in eval.
    nn::BatchNorm1d bn(3);
    CHECK_THROWS_WITH(bn.check({1, 3}),
                      Catch::Contains("BatchNorm1d(3): expected more than 1 value per channel when training"));
    CHECK_THROWS_WITH(bn(Tensor::ones({1, 3})), Catch::Contains("more than 1 value per channel"));
    bn.eval();
    CHECK(bn.check({1, 3}) == Shape{1, 3});
    CHECK(bn(Tensor::ones({1, 3})).shape() == Shape{1, 3});
}
