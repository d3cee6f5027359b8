// Module and Sequential: registration and names, printing, train/eval, editing, errors.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

namespace {
// The PyTorch `class Net(nn.Module)`: fc1 -> relu -> fc2.
struct Net : nn::Module {
    nn::Linear fc1{4, 8}, fc2{8, 2};
    Net() {
        register_module("fc1", fc1);
        register_module("fc2", fc2);
    }
    Tensor forward(const Tensor& x) override { return fc2(relu(fc1(x))); }
};

std::vector<std::string> names(const nn::Module& m) {
    std::vector<std::string> out;
    for (auto& [n, _] : m.named_parameters()) out.push_back(n);
    return out;
}
}  // namespace

TEST_CASE("Module: named_parameters gives PyTorch's dotted names and shapes, in order", "[nn]") {
    auto model = nn::Sequential(nn::Linear(10, 20), nn::ReLU(), nn::Linear(20, 1), nn::Sigmoid());
    auto params = model.named_parameters();
    REQUIRE(params.size() == 4);
    CHECK(params[0].first == "0.weight");
    CHECK(params[0].second.shape() == Shape{20, 10});
    CHECK(params[1].first == "0.bias");
    CHECK(params[1].second.shape() == Shape{20});
    CHECK(params[2].first == "2.weight");
    CHECK(params[3].first == "2.bias");
    CHECK(model.parameters().size() == 4);
    for (auto& p : model.parameters()) CHECK(p.requires_grad());

    Net net;
    CHECK(names(net) == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
    auto outer = nn::Sequential();
    outer.push_back("encoder", nn::Sequential(nn::Linear(4, 3), nn::Tanh(), nn::Linear(3, 2)));
    CHECK(names(outer) == std::vector<std::string>{"encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias"});
}

TEST_CASE("Module: copies share parameters (modules are handles)", "[nn]") {
    nn::Linear a(3, 2);
    nn::Linear b = a;
    b.weight.data()(0, 0) = 42.0f;
    CHECK(a.weight.data()(0, 0) == 42.0f);
    auto seq = nn::Sequential(a);
    CHECK(seq.at<nn::Linear>(0).weight.data()(0, 0) == 42.0f);
    seq.eval();
    CHECK_FALSE(a.is_training());  // the flag is shared too
    Net net;
    net.fc1.weight.data()(0, 0) = 7.0f;  // the member and the registered child are one module
    CHECK(net.named_parameters()[0].second.data()(0, 0) == 7.0f);
}

TEST_CASE("Module: a parameter shared by two layers is listed once", "[nn]") {
    nn::Linear shared(2, 2);
    auto model = nn::Sequential(shared, nn::ReLU(), shared);
    CHECK(model.parameters().size() == 2);
}

TEST_CASE("Module: printing matches PyTorch's repr", "[nn]") {
    auto model = nn::Sequential(nn::Linear(10, 20), nn::ReLU(), nn::Linear(20, 1, false), nn::Sigmoid());
    std::ostringstream s;
    s << model;
    CHECK(s.str() ==
          "Sequential(\n"
          "  (0): Linear(in_features=10, out_features=20, bias=true)\n"
          "  (1): ReLU()\n"
          "  (2): Linear(in_features=20, out_features=1, bias=false)\n"
          "  (3): Sigmoid()\n"
          ")");
    auto nested = nn::Sequential(nn::Sequential(nn::Dropout(0.25f), nn::LeakyReLU(0.2f)), nn::GELU(), nn::Softmax(1));
    std::ostringstream n;
    n << nested;
    CHECK(n.str() ==
          "Sequential(\n"
          "  (0): Sequential(\n"
          "    (0): Dropout(p=0.25, inplace=false)\n"
          "    (1): LeakyReLU(negative_slope=0.2)\n"
          "  )\n"
          "  (1): GELU()\n"
          "  (2): Softmax(dim=1)\n"
          ")");
    std::ostringstream u;
    u << Net();
    CHECK(u.str().rfind("Net(\n  (fc1): Linear(in_features=4, out_features=8, bias=true)", 0) == 0);
}

TEST_CASE("Module: train() and eval() reach every child", "[nn]") {
    auto inner = nn::Sequential(nn::Dropout(0.5f));
    auto model = nn::Sequential(nn::Linear(2, 2), inner);
    CHECK(inner.is_training());
    model.eval();
    CHECK_FALSE(model.is_training());
    CHECK_FALSE(inner.is_training());
    CHECK_FALSE(model[1].is_training());
    model.train();
    CHECK(inner[0].is_training());
}

TEST_CASE("Module: zero_grad clears every parameter's grad", "[nn]") {
    auto model = nn::Sequential(nn::Linear(3, 2), nn::ReLU(), nn::Linear(2, 1));
    sum(model(Tensor::ones({4, 3}))).backward();
    for (auto& p : model.parameters()) CHECK(p.grad().defined());
    model.zero_grad();
    for (auto& p : model.parameters()) CHECK_FALSE(p.grad().defined());
}

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
                          Catch::Contains("input [64, 30]") && Catch::Contains("expected in_features=20"));
    CHECK_THROWS_WITH(model.at<nn::ReLU>(0), Catch::Contains("Sequential::at<ReLU>(0): layer 0 is Linear(") &&
                                                 Catch::Contains("not ReLU"));
    CHECK_THROWS_WITH(model[3], Catch::Contains("index 3 is out of range for 3 layers"));
    CHECK_THROWS_WITH(model.push_back("0", nn::ReLU()), Catch::Contains("name '0' is already registered"));
    CHECK_THROWS_WITH(model.push_back("a.b", nn::ReLU()), Catch::Contains("contain no '.'"));
    CHECK_THROWS_WITH(nn::Sequential().pop(), Catch::Contains("empty"));
}
