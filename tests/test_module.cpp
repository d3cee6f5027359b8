// Module: registration and names, handles and hyperparameters, printing, train/eval, hooks,
// and output_shape against forward for every built-in layer.
#include "helpers.hpp"

#include <functional>
#include <memory>
#include <sstream>
#include <type_traits>

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
    CHECK(names(outer) ==
          std::vector<std::string>{"encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias"});
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

// A hyperparameter is fixed at construction: `layer.p = 0.1f` doesn't compile, so a copy (a handle
// sharing the parameters) can't drift from the original. Reading one reads as in PyTorch.
template <class M, class T>
constexpr bool fixed(T M::*) {
    return std::is_const_v<T>;
}
static_assert(fixed(&nn::Linear::in_features) && fixed(&nn::Linear::out_features));
static_assert(fixed(&nn::Conv2d::in_channels) && fixed(&nn::Conv2d::out_channels) && fixed(&nn::Conv2d::kernel_size) &&
              fixed(&nn::Conv2d::stride) && fixed(&nn::Conv2d::padding));
static_assert(fixed(&nn::MaxPool2d::kernel_size) && fixed(&nn::AvgPool2d::stride) && fixed(&nn::AvgPool2d::padding));
static_assert(fixed(&nn::BatchNorm1d::num_features) && fixed(&nn::BatchNorm2d::eps) &&
              fixed(&nn::BatchNorm2d::momentum) && fixed(&nn::BatchNorm2d::affine));
static_assert(fixed(&nn::Dropout::p) && fixed(&nn::LeakyReLU::negative_slope) && fixed(&nn::GELU::approximate) &&
              fixed(&nn::Softmax::dim) && fixed(&nn::LogSoftmax::dim));
static_assert(fixed(&nn::Flatten::start_dim) && fixed(&nn::Flatten::end_dim) && fixed(&nn::Unflatten::dim) &&
              fixed(&nn::Unflatten::unflattened_size));
static_assert(fixed(&nn::MSELoss::reduction) && fixed(&nn::NLLLoss::ignore_index) &&
              fixed(&nn::CrossEntropyLoss::ignore_index));

TEST_CASE("Module: a copy shares parameters, buffers and the training flag; hyperparameters are fixed", "[nn]") {
    nn::Dropout d(0.5f);
    auto model = nn::Sequential(d);
    CHECK(model.at<nn::Dropout>(0).p == 0.5f);
    model.replace(0, nn::Dropout(0.1f));  // another p is another layer, built with it
    CHECK(model.at<nn::Dropout>(0).p == 0.1f);
    CHECK(d.p == 0.5f);

    nn::BatchNorm1d bn(3, 1e-3f, 0.2f);
    nn::BatchNorm1d copy = bn;
    copy.running_mean.data()(1) = 4.0f;
    CHECK(bn.running_mean.data()(1) == 4.0f);
    copy.eval();
    CHECK_FALSE(bn.is_training());
    CHECK(copy.eps == 1e-3f);
    CHECK(copy.momentum == 0.2f);
    std::ostringstream s;
    s << copy;
    CHECK(s.str() == "BatchNorm1d(3, eps=0.001, momentum=0.2, affine=true, track_running_stats=true)");
}

// Every built-in layer with a shape rule, on shapes it takes and shapes it refuses. output_shape
// computes nothing, so only this table keeps it equal to what forward does.
TEST_CASE("Module: output_shape is forward's output shape for every built-in layer, and throws where forward throws",
          "[nn][errors]") {
    struct Row {
        std::string layer;
        std::function<nn::ModulePtr()> make;
        std::vector<Shape> good, bad;
    };
    auto make = [](auto m) { return [m]() -> nn::ModulePtr { return std::make_shared<decltype(m)>(m); }; };
    manual_seed(0);
    const std::vector<Row> rows{
        {"Linear(4, 3)", make(nn::Linear(4, 3)), {{2, 4}, {4}, {2, 5, 4}, {0, 4}}, {{2, 5}, {}, {4, 1}}},
        {"Conv2d(2, 3, 3)",
         make(nn::Conv2d(2, 3, 3)),
         {{1, 2, 3, 3}, {2, 2, 5, 7}},
         {{1, 3, 5, 5}, {2, 5, 5}, {1, 2, 2, 5}}},
        {"Conv2d(2, 3, 3, 2, 1)", make(nn::Conv2d(2, 3, 3, 2, 1)), {{1, 2, 1, 1}, {2, 2, 6, 5}}, {{1, 2, 5}}},
        {"Conv2d(1, 8, 3, 1, 2)", make(nn::Conv2d(1, 8, 3, 1, 2)), {{2, 1, 1, 1}, {1, 1, 28, 28}}, {{1, 2, 5, 5}}},
        {"Conv2d(1, 2, 3, 1, 3)", make(nn::Conv2d(1, 2, 3, 1, 3)), {{1, 1, 4, 5}}, {{1, 1, 4}}},
        {"MaxPool2d(2)", make(nn::MaxPool2d(2)), {{1, 3, 4, 4}, {2, 1, 5, 3}}, {{1, 3, 1, 4}, {3, 4, 4}}},
        {"MaxPool2d(3, 2, 1)", make(nn::MaxPool2d(3, 2, 1)), {{1, 2, 1, 1}, {1, 2, 7, 6}}, {{2, 3}}},
        {"MaxPool2d(2, 2, 2)", make(nn::MaxPool2d(2, 2, 2)), {}, {{1, 1, 4, 4}}},
        {"AvgPool2d(2, 1)", make(nn::AvgPool2d(2, 1)), {{1, 3, 4, 4}, {2, 1, 2, 9}}, {{1, 1, 1, 1}}},
        {"AvgPool2d(3, 1, 2)", make(nn::AvgPool2d(3, 1, 2)), {}, {{1, 1, 4, 4}}},
        {"ConvTranspose2d(2, 3, 3, 2, 1, 1)",
         make(nn::ConvTranspose2d(2, 3, 3, 2, 1, 1)),
         {{1, 2, 1, 1}, {2, 2, 4, 5}},
         {{1, 3, 4, 4}, {2, 4, 4}}},
        {"ConvTranspose2d(1, 1, 1, {.padding = 1})",
         make(nn::ConvTranspose2d(1, 1, 1, {.padding = 1})),
         {{1, 1, 3, 3}},
         {{1, 1, 2, 2}}},
        {"AdaptiveAvgPool2d({2, 3})", make(nn::AdaptiveAvgPool2d({2, 3})), {{1, 2, 1, 1}, {2, 1, 7, 9}}, {{2, 7, 9}}},
        {"Upsample(scale 1.5 bilinear)",
         make(nn::Upsample({.scale_factor = {1.5}, .mode = "bilinear"})),
         {{1, 2, 3, 3}, {2, 1, 1, 4}},
         {{1, 2, 3}, {1, 1, 0, 3}}},
        {"Upsample(size {4, 2})", make(nn::Upsample({.size = {4, 2}})), {{1, 2, 3, 3}}, {{3, 3}}},
        {"Upsample(nearest, align_corners)",
         make(nn::Upsample({.size = {4}, .align_corners = true})),
         {},
         {{1, 1, 2, 2}}},
        {"Dropout2d(0.5)", make(nn::Dropout2d(0.5f)), {{2, 3}, {2, 3, 4, 4}}, {{5}}},
        {"BatchNorm1d(3)", make(nn::BatchNorm1d(3)), {{4, 3}, {2, 3, 5}}, {{4, 2}, {1, 3}, {2, 3, 1, 1}, {3}}},
        {"BatchNorm2d(2)",
         make(nn::BatchNorm2d(2)),
         {{2, 2, 3, 3}, {1, 2, 1, 2}},
         {{2, 2}, {2, 3, 3, 3}, {1, 2, 1, 1}}},
        {"Flatten()", make(nn::Flatten()), {{2, 3, 4}, {2, 3}, {5, 1, 1, 1}}, {{5}}},
        {"Flatten(0, -2)", make(nn::Flatten(0, -2)), {{2, 3, 4}, {7, 1}, {}}, {{7}}},
        {"Flatten(2, 1)", make(nn::Flatten(2, 1)), {}, {{2, 3, 4}}},
        {"Unflatten(1, {2, -1})", make(nn::Unflatten(1, {2, -1})), {{3, 4}, {3, 6, 5}}, {{3, 5}, {3}}},
        {"Softmax(1)", make(nn::Softmax(1)), {{2, 3}, {2, 3, 4}}, {{3}, {}}},
        {"LogSoftmax(-1)", make(nn::LogSoftmax(-1)), {{5}, {2, 3}}, {{}}},
        {"Residual(Linear(4, 4))", make(nn::Residual(nn::Linear(4, 4))), {{3, 4}, {2, 3, 4}}, {{3, 5}}},
        {"Residual(Linear(4, 5))", make(nn::Residual(nn::Linear(4, 5))), {}, {{3, 4}}},
        {"ReLU()", make(nn::ReLU()), {{2, 3}, {}}, {}},
        {"Dropout(0.5)", make(nn::Dropout(0.5f)), {{2, 3}}, {}},
        {"LeNet",
         make(nn::Sequential(nn::Conv2d(1, 6, 5, 1, 2), nn::ReLU(), nn::MaxPool2d(2), nn::Conv2d(6, 16, 5), nn::ReLU(),
                             nn::AvgPool2d(2), nn::Flatten(), nn::Linear(16 * 5 * 5, 10))),
         {{2, 1, 28, 28}},
         {{2, 1, 27, 27}, {2, 3, 28, 28}}},
    };
    for (const Row& row : rows) {
        for (const Shape& s : row.good) {
            INFO(row.layer << " on " << shape_str(s));
            nn::ModulePtr m = row.make();
            CHECK(m->output_shape(s) == (*m)(Tensor::zeros(s)).shape());
        }
        for (const Shape& s : row.bad) {
            INFO(row.layer << " on " << shape_str(s));
            nn::ModulePtr m = row.make();
            CHECK_THROWS_AS(m->output_shape(s), Error);
            CHECK_THROWS_AS((*m)(Tensor::zeros(s)), Error);
        }
    }
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

TEST_CASE("Module: forward hooks fire after forward, in registration order, and stop after remove()", "[nn][summary]") {
    auto model = nn::Sequential(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
    std::vector<std::string> calls;
    nn::HookHandle a = model[0].register_forward_hook([&](nn::Module& m, const Tensor& in, const Tensor& out) {
        calls.push_back(
            std::string("a:").append(m.name()).append(shape_str(in.shape())).append(shape_str(out.shape())));
    });
    nn::HookHandle b = model[2].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& out) {
        calls.push_back(std::string("b").append(shape_str(out.shape())));
    });
    nn::HookHandle c =
        model[0].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { calls.push_back("c"); });
    model(Tensor::ones({5, 3}));
    CHECK(calls == std::vector<std::string>{"a:Linear[5, 3][5, 4]", "c", "b[5, 2]"});
    a.remove();
    calls.clear();
    model(Tensor::ones({1, 3}));
    CHECK(calls == std::vector<std::string>{"c", "b[1, 2]"});
    b.remove();
    c.remove();
    c.remove();  // twice is harmless
    calls.clear();
    model(Tensor::ones({1, 3}));
    CHECK(calls.empty());
}
