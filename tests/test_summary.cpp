// Seeing inside a model: summary, check (shapes before data), forward_all, hooks, slice.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

namespace {
nn::Sequential mlp() {
    return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(),
                          nn::Linear(128, 10));
}
bool has_line(const std::string& text, const std::string& start, const std::string& shape, const std::string& count) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.find(start) == 0 && line.find(shape) != std::string::npos &&
            line.size() >= count.size() && line.compare(line.size() - count.size(), count.size(), count) == 0) {
            return true;
        }
    }
    return false;
}
}  // namespace

TEST_CASE("summary: an MLP's rows, output shapes, parameter counts and totals", "[nn][summary]") {
    auto model = mlp();
    const std::string s = nn::summary(model, {64, 1, 28, 28});
    INFO(s);
    CHECK(has_line(s, "Sequential", "[64, 10]", "235,146"));
    CHECK(has_line(s, "  (0) Flatten", "[64, 784]", "0"));
    CHECK(has_line(s, "  (1) Linear", "[64, 256]", "200,960"));  // 784·256 + 256
    CHECK(has_line(s, "  (3) Linear", "[64, 128]", "32,896"));
    CHECK(has_line(s, "  (5) Linear", "[64, 10]", "1,290"));
    CHECK(s.find("Total params: 235,146") != std::string::npos);
    CHECK(s.find("Trainable params: 235,146") != std::string::npos);
    CHECK(s.find("Params size (MB): 0.90") != std::string::npos);
    CHECK(model.is_training());  // left as it was
    CHECK(autograd::live_nodes() == 0);  // ran under NoGradGuard
}

TEST_CASE("summary: nested Sequentials are indented, with subtree totals and frozen parameters", "[nn][summary]") {
    nn::Sequential encoder(nn::Linear(8, 4), nn::Tanh());
    nn::Sequential model;
    model.push_back("encoder", encoder);
    model.push_back("head", nn::Linear(4, 2));
    encoder.at<nn::Linear>(0).weight.requires_grad_(false);
    const std::string s = nn::summary(model, {3, 8});
    INFO(s);
    CHECK(has_line(s, "  (encoder) Sequential", "[3, 4]", "36"));
    CHECK(has_line(s, "    (0) Linear", "[3, 4]", "36"));
    CHECK(has_line(s, "    (1) Tanh", "[3, 4]", "0"));
    CHECK(has_line(s, "  (head) Linear", "[3, 2]", "10"));
    CHECK(s.find("Total params: 46") != std::string::npos);
    CHECK(s.find("Trainable params: 14") != std::string::npos);
    CHECK(s.find("Non-trainable params: 32") != std::string::npos);
}

TEST_CASE("check: shapes flow through the layers without computing; a mismatch names both layers and the fix", "[nn][summary][errors]") {
    auto model = mlp();
    CHECK(model.check({64, 1, 28, 28}) == Shape{64, 10});
    const auto before = autograd::live_nodes();
    auto bad = nn::Sequential(nn::Linear(10, 30), nn::ReLU(), nn::Linear(20, 1));
    CHECK_THROWS_WITH(bad.check({64, 10}),
                      Catch::Contains("Sequential layer 2 (Linear(in_features=20, out_features=1, bias=true)) can't take [64, 30]") &&
                          Catch::Contains("comes from layer 1 (ReLU())") && Catch::Contains("Likely fix: make it Linear(30, 1)"));
    CHECK_THROWS_WITH(bad.check({64, 12}), Catch::Contains("layer 0") && Catch::Contains("is the model's input") &&
                                                Catch::Contains("make it Linear(12, 30)"));
    CHECK_THROWS_WITH(nn::Sequential(nn::Softmax(2)).check({4, 3}), Catch::Contains("Softmax: dim 2"));
    CHECK(autograd::live_nodes() == before);
}

TEST_CASE("forward_all: every layer's output, equal to running the layers by hand", "[nn][summary]") {
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

TEST_CASE("forward hooks: fire after forward, in registration order, and stop after remove()", "[nn][summary]") {
    auto model = nn::Sequential(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
    std::vector<std::string> calls;
    nn::HookHandle a = model[0].register_forward_hook([&](nn::Module& m, const Tensor& in, const Tensor& out) {
        calls.push_back(std::string("a:").append(m.name()).append(shape_str(in.shape())).append(shape_str(out.shape())));
    });
    nn::HookHandle b = model[2].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& out) {
        calls.push_back(std::string("b").append(shape_str(out.shape())));
    });
    nn::HookHandle c = model[0].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { calls.push_back("c"); });
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

TEST_CASE("slice: a new Sequential sharing the layers; a step on the full model changes the slice", "[nn][summary]") {
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
