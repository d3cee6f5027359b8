// Lambda and Residual: in a Sequential, printed, with clear errors; skip connections help deep stacks.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_grad_cases({
    {"Lambda: grad through a custom formula",
     {{3, 4}},
     [](V x) { return nn::Lambda([](const Tensor& t) { return t * t * 0.5f + 1.0f; }, "HalfSquare")(x[0]); }},
    {"Residual: grad of x + block(x)",
     {{3, 4}},
     [](V x) {
         manual_seed(9);
         return nn::Residual(nn::Sequential(nn::Linear(4, 4), nn::Tanh()))(x[0]);
     }},
});
}  // namespace

TEST_CASE("Lambda, Residual: in a Sequential, printed, with clear errors", "[nn][conv]") {
    auto model = nn::Sequential(nn::Flatten(), nn::Lambda([](const Tensor& t) { return t * 2.0f; }, "Double"),
                                nn::Unflatten(1, {2, 3}));
    Tensor x = Tensor::arange(12).reshape({2, 6});
    Tensor y = model(x);
    CHECK(y.shape() == Shape{2, 2, 3});
    CHECK(y.data()(1, 1, 2) == 22.0f);
    std::ostringstream s;
    s << model;
    CHECK(s.str().find("(1): Double()") != std::string::npos);
    CHECK_THROWS_WITH(nn::Lambda(nullptr, "Nothing"), Catch::Contains("Lambda 'Nothing': the function is empty"));
    nn::Residual res(nn::Linear(4, 4));
    CHECK(res.named_parameters()[0].first == "block.weight");
    Tensor z = Tensor::ones({2, 4});
    CHECK(test::all_close(res(z), z + res.block()(z)));
    CHECK(res.check({5, 4}) == Shape{5, 4});
    CHECK_THROWS_WITH(nn::Residual(nn::Linear(4, 5))(z),
                      Catch::Contains("the block maps [2, 4] to [2, 5], but x + block(x) needs them equal"));
    CHECK_THROWS_WITH(nn::Residual(nn::Linear(4, 5)).check({2, 4}), Catch::Contains("[2, 4] to [2, 5]"));
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
