// Sequential: running the layers, editing the list, check() (shapes before data), forward_all, slice.
#include "helpers.hpp"

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
const bool registered = test::register_grad_cases({
    {"Sequential: grad through Linear, Tanh, Linear, Sigmoid",
     {{5, 4}},
     [](V x) {
         manual_seed(6);
         auto model = nn::Sequential(nn::Linear(4, 3), nn::Tanh(), nn::Linear(3, 2), nn::Sigmoid());
         return model(x[0]);
     }},
});

std::vector<std::string> names(const nn::Module& m) {
    std::vector<std::string> out;
    for (auto& [n, _] : m.named_parameters()) out.push_back(n);
    return out;
}
}  // namespace

TEST_CASE("Sequential: runs layers in order; empty returns its input", "[nn]") {
    manual_seed(3);
    nn::Linear l1(3, 4), l2(4, 2);
    auto model = nn::Sequential(l1, nn::ReLU(), l2);
    Tensor x = Tensor::randn({5, 3});
    CHECK(test::all_close(model(x), l2(relu(l1(x)))));
    nn::Sequential empty;
    CHECK(test::all_close(empty(x), x));
    CHECK(empty.empty());
}

TEST_CASE("Sequential: push_back, insert, erase, pop, replace, iteration", "[nn]") {
    nn::Sequential model;
    model.push_back(nn::Linear(4, 3));
    model.push_back("act", nn::ReLU());
    model.push_back(nn::Linear(3, 2));
    CHECK(model.size() == 3);
    CHECK(names(model) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});

    // Inserting renumbers index-named layers; the named one keeps its name.
    model.insert(0, nn::Identity());
    CHECK(names(model) == std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"});
    CHECK(model.named_children()[2].first == "act");
    model.erase(0);
    CHECK(names(model) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});

    model.insert(1, "norm", nn::Tanh());
    CHECK(model[1].name() == "Tanh");
    CHECK(model.named_children()[1].first == "norm");

    model.replace(-1, nn::Linear(3, 5));
    CHECK(model.at<nn::Linear>(-1).out_features == 5);
    CHECK(model.named_children().back().first == "3");

    auto last = model.pop();
    CHECK(last->name() == "Linear");
    CHECK(model.size() == 3);

    std::vector<std::string> kinds;
    for (nn::Module& layer : model) kinds.push_back(layer.name());
    CHECK(kinds == std::vector<std::string>{"Linear", "Tanh", "ReLU"});
}

TEST_CASE("Sequential: a layer's error names the layer index, the layer and both shapes", "[nn][errors]") {
    auto model = nn::Sequential(nn::Linear(10, 30), nn::ReLU(), nn::Linear(20, 1));
    CHECK_THROWS_WITH(model(Tensor::ones({64, 10})),
                      Catch::Contains("Sequential layer 2 (Linear(in_features=20, out_features=1, bias=true))") &&
                          Catch::Contains("Linear(20 -> 1): input [64, 30] has 30 features, expected 20"));
    CHECK_THROWS_WITH(model.at<nn::ReLU>(0),
                      Catch::Contains("Sequential::at<ReLU>(0): layer 0 is Linear(") && Catch::Contains("not ReLU"));
    CHECK_THROWS_WITH(model[3], Catch::Contains("index 3 is out of range for 3 layers"));
    CHECK_THROWS_WITH(model.push_back("0", nn::ReLU()), Catch::Contains("name '0' is already registered"));
    CHECK_THROWS_WITH(model.push_back("a.b", nn::ReLU()), Catch::Contains("contain no '.'"));
    CHECK_THROWS_WITH(nn::Sequential().pop(), Catch::Contains("empty"));
}

TEST_CASE(
    "Sequential: check(): shapes flow through the layers without computing; a mismatch names both layers and the fix",
    "[nn][summary][errors]") {
    auto model = nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 10));
    CHECK(model.check({64, 1, 28, 28}) == Shape{64, 10});
    const auto before = autograd::live_nodes();
    auto bad = nn::Sequential(nn::Linear(10, 30), nn::ReLU(), nn::Linear(20, 1));
    CHECK_THROWS_WITH(
        bad.check({64, 10}),
        Catch::Contains("Sequential layer 2 (Linear(in_features=20, out_features=1, bias=true)) can't take [64, 30]") &&
            Catch::Contains("comes from layer 1 (ReLU())") && Catch::Contains("Likely fix: make it Linear(30, 1)"));
    CHECK_THROWS_WITH(bad.check({64, 12}), Catch::Contains("layer 0") && Catch::Contains("is the model's input") &&
                                               Catch::Contains("make it Linear(12, 30)"));
    CHECK_THROWS_WITH(nn::Sequential(nn::Softmax(2)).check({4, 3}),
                      Catch::Contains("layer 0 (Softmax(dim=2))") && Catch::Contains("softmax: dim 2 is out of range"));
    CHECK(autograd::live_nodes() == before);
}

TEST_CASE("Sequential: forward_all: every layer's output, equal to running the layers by hand", "[nn][summary]") {
    manual_seed(3);
    auto model = nn::Sequential(nn::Linear(5, 4), nn::Tanh(), nn::Linear(4, 2));
    Tensor x = Tensor::randn({3, 5});
    std::vector<Tensor> outs = model.forward_all(x);
    REQUIRE(outs.size() == 3);
    CHECK(test::all_close(outs[0], model[0](x)));
    CHECK(test::all_close(outs[1], tanh(outs[0])));
    CHECK(test::all_close(outs[2], model(x)));
    sum(outs[2]).backward();  // the outputs are on the tape like forward's
    CHECK(model.at<nn::Linear>(0).weight.grad().defined());
}

TEST_CASE("Sequential: slice: a new Sequential sharing the layers; a step on the full model changes the slice",
          "[nn][summary]") {
    manual_seed(4);
    auto model = nn::Sequential(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 3));
    nn::Sequential hidden = model.slice(0, 2);
    CHECK(hidden.size() == 2);
    CHECK(hidden.named_parameters()[0].first == "0.weight");
    CHECK(model.slice(-1, 3).named_children()[0].first == "2");
    Tensor x = Tensor::randn({6, 4});
    CHECK(test::all_close(hidden(x), relu(model[0](x))));
    const Tensor before = hidden(x).detach();
    optim::SGD opt(model.parameters(), {.lr = 0.5});
    sum(model(x)).backward();
    opt.step();
    CHECK_FALSE(test::all_close(hidden(x), before));
}
