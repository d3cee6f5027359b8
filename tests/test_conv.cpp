// Layers for CNNs and beyond the plain chain: Conv2d, pooling, BatchNorm, Unflatten, Lambda, Residual.
#include "helpers.hpp"

#include <cmath>
#include <sstream>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_grad_cases({
    {"Conv2d: grad through the layer, padding 1", {{2, 2, 5, 5}}, [](V x) {
         manual_seed(8);
         return nn::Conv2d(2, 3, 3, 1, 1)(x[0]);
     }},
    {"Lambda: grad through a custom formula", {{3, 4}}, [](V x) {
         return nn::Lambda([](const Tensor& t) { return t * t * 0.5f + 1.0f; }, "HalfSquare")(x[0]);
     }},
    {"Residual: grad of x + block(x)", {{3, 4}}, [](V x) {
         manual_seed(9);
         return nn::Residual(nn::Sequential(nn::Linear(4, 4), nn::Tanh()))(x[0]);
     }},
    {"BatchNorm2d: grad through the layer in training", {{3, 2, 2, 2}}, [](V x) {
         nn::BatchNorm2d bn(2);
         return bn(x[0]);
     }},
});
}  // namespace

TEST_CASE("Conv2d: PyTorch's init, shapes and repr; pooling layers", "[nn][conv]") {
    manual_seed(0);
    nn::Conv2d conv(6, 16, 5);
    const double bound = 1.0 / std::sqrt(6.0 * 25.0);
    float max_w = 0.0f;
    for (float v : conv.weight.data()) max_w = std::max(max_w, std::abs(v));
    CHECK(max_w <= bound);
    CHECK(max_w > 0.95 * bound);
    CHECK(conv.weight.shape() == Shape{16, 6, 5, 5});
    CHECK(conv(Tensor::ones({2, 6, 12, 12})).shape() == Shape{2, 16, 8, 8});
    auto lenet = nn::Sequential(nn::Conv2d(1, 6, 5, 1, 2), nn::ReLU(), nn::MaxPool2d(2), nn::Conv2d(6, 16, 5), nn::ReLU(),
                                nn::AvgPool2d(2), nn::Flatten(), nn::Linear(16 * 5 * 5, 10));
    CHECK(lenet.check({8, 1, 28, 28}) == Shape{8, 10});
    CHECK(lenet(Tensor::zeros({8, 1, 28, 28})).shape() == Shape{8, 10});
    std::ostringstream s;
    s << lenet;
    CHECK(s.str().find("(0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))") != std::string::npos);
    CHECK(s.str().find("(2): MaxPool2d(kernel_size=2, stride=2, padding=0)") != std::string::npos);
    CHECK_THROWS_WITH(lenet.check({8, 3, 28, 28}),
                      Catch::Contains("has 3 channels, expected in_channels=1") && Catch::Contains("make it Conv2d(3, 6, 5)"));
}

TEST_CASE("BatchNorm: running statistics as buffers, train/eval behaviour, saved by nn::save", "[nn][conv]") {
    manual_seed(1);
    nn::BatchNorm1d bn(3);
    CHECK(bn.named_buffers().size() == 2);
    CHECK(bn.named_buffers()[0].first == "running_mean");
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
    CHECK_THROWS_WITH(nn::BatchNorm2d(4)(Tensor::ones({2, 4})), Catch::Contains("BatchNorm2d(4): input [2, 4] must be [N, 4, H, W]"));
}

TEST_CASE("Lambda, Residual, Unflatten: in a Sequential, printed, with clear errors", "[nn][conv]") {
    auto model = nn::Sequential(nn::Flatten(), nn::Lambda([](const Tensor& t) { return t * 2.0f; }, "Double"),
                                nn::Unflatten(1, {2, 3}));
    Tensor x = Tensor::arange(12).reshape({2, 6});
    Tensor y = model(x);
    CHECK(y.shape() == Shape{2, 2, 3});
    CHECK(y.data()(1, 1, 2) == 22.0f);
    std::ostringstream s;
    s << model;
    CHECK(s.str().find("(1): Double()") != std::string::npos);
    CHECK(s.str().find("(2): Unflatten(dim=1, unflattened_size=(2, 3))") != std::string::npos);
    nn::Residual res(nn::Linear(4, 4));
    CHECK(res.named_parameters()[0].first == "block.weight");
    Tensor z = Tensor::ones({2, 4});
    CHECK(test::all_close(res(z), z + res.block()(z)));
    CHECK_THROWS_WITH(nn::Residual(nn::Linear(4, 5))(z),
                      Catch::Contains("the block maps [2, 4] to [2, 5], but x + block(x) needs them equal"));
    CHECK_THROWS_WITH(nn::Residual(nn::Linear(4, 5)).check({2, 4}), Catch::Contains("[2, 4] to [2, 5]"));
    CHECK_THROWS_WITH(nn::Unflatten(1, {4, 4})(x), Catch::Contains("reshape"));
}

TEST_CASE("Residual: a 20-layer stack trains better with skip connections than without", "[nn][train]") {
    // Deep tanh MLPs with small init barely move their loss; identity paths let the gradient through.
    auto train = [](bool residual) {
        manual_seed(0);
        nn::Sequential model;
        model.push_back(nn::Linear(8, 32));
        for (int i = 0; i < 20; ++i) {
            nn::Sequential block(nn::Linear(32, 32), nn::Tanh());
            nn::init::normal_(block.at<nn::Linear>(0).weight, 0.0, 0.02);
            if (residual) model.push_back(nn::Residual(block));
            else model.push_back(block);
        }
        model.push_back(nn::Linear(32, 1));
        Tensor x = Tensor::randn({64, 8});
        Tensor y = sum(x * x, 1, true) / 8.0f;
        optim::Adam opt(model.parameters(), {.lr = 1e-3});
        float loss_value = 0;
        for (int step = 0; step < 150; ++step) {
            opt.zero_grad();
            Tensor loss = nn::functional::mse_loss(model(x), y);
            loss.backward();
            opt.step();
            loss_value = loss.item();
        }
        return loss_value;
    };
    const float plain = train(false), skip = train(true);
    INFO("plain " << plain << ", residual " << skip);
    CHECK(skip < 0.5f * plain);
}
