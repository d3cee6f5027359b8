// Modules with any forward (nn::ModuleBase): several inputs, several outputs, hooks of both forms,
// clones, and what Sequential and Residual accept.
#include "helpers.hpp"

#include <sstream>
#include <tuple>

using namespace xg;

namespace {
// y = relu(fc(x)) + skip: two inputs, no single-input forward.
struct Block : nn::ModuleBase<Block> {
    nn::Linear fc{4, 4};
    Block() { register_module("fc", fc); }
    Tensor forward(const Tensor& x, const Tensor& skip) { return relu(fc(x)) + skip; }
};

// Several outputs, as a tuple; a non-tensor argument (a flag) next to the tensor.
struct TwoHeads : nn::ModuleBase<TwoHeads> {
    nn::Linear body{3, 5}, head{5, 2};
    TwoHeads() {
        register_module("body", body);
        register_module("head", head);
    }
    std::tuple<Tensor, Tensor> forward(const Tensor& x, bool detach_features = false) {
        Tensor features = tanh(body(x));
        return {head(features), detach_features ? features.detach() : features};
    }
};

// Several outputs, as a struct (a count among them, which holds no tensor). With one tensor in,
// it is taken by value: `forward(const Tensor&)` is the virtual one-tensor forward, which returns a Tensor.
struct Out {
    Tensor logits;
    int steps;
    std::vector<Tensor> features;
};
struct WithStruct : nn::ModuleBase<WithStruct> {
    nn::Linear fc{3, 2};
    WithStruct() { register_module("fc", fc); }
    Out forward(Tensor x) { return {fc(x), 2, {x, relu(x)}}; }
};

// A one-tensor module written with ModuleBase: fits in a Sequential like any layer.
struct Doubler : nn::ModuleBase<Doubler> {
    Tensor forward(const Tensor& x) { return x * 2.0f; }
};

// A classic module without a one-tensor forward (its forward takes two): called with one, it throws.
struct NoForward : nn::Module {
    Tensor forward(const Tensor& a, const Tensor& b) { return a + b; }
    using nn::Module::forward;
};
}  // namespace

TEST_CASE("ModuleBase: a two-input module is called as block(x, skip), with hooks and pre-hooks", "[modules]") {
    manual_seed(0);
    Block block;
    Tensor x = Tensor::randn({2, 4}), skip = Tensor::randn({2, 4});
    std::vector<std::string> calls;
    auto pre = block.register_forward_pre_hook([&](nn::Module& m, const std::vector<Tensor>& in) {
        calls.push_back("pre " + m.name() + " " + std::to_string(in.size()));
    });
    std::vector<Tensor> inputs, outputs;
    auto post = block.register_forward_hook(
        nn::AnyForwardHook([&](nn::Module&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
            inputs = in;
            outputs = out;
            calls.push_back("post " + shape_str(out[0].shape()));
        }));
    auto child = block.fc.register_forward_hook(
        [&](nn::Module&, const Tensor&, const Tensor& out) { calls.push_back("fc " + shape_str(out.shape())); });
    Tensor y = block(x, skip);
    CHECK(calls == std::vector<std::string>{"pre Block 2", "fc [2, 4]", "post [2, 4]"});
    CHECK(test::all_close(y, relu(block.fc(x)) + skip));
    REQUIRE(inputs.size() == 2);
    CHECK(inputs[0].impl() == x.impl());  // the call's own tensors
    CHECK(inputs[1].impl() == skip.impl());
    REQUIRE(outputs.size() == 1);
    CHECK(outputs[0].impl() == y.impl());

    // gradients flow to the parameters and both inputs
    Tensor xr = x.detach().requires_grad_(), sr = skip.detach().requires_grad_();
    sum(block(xr, sr)).backward();
    CHECK(block.fc.weight.grad().defined());
    CHECK(test::all_close(sr.grad(), Tensor::ones({2, 4})));

    pre.remove();
    post.remove();
    child.remove();
    calls.clear();
    block(x, skip);
    CHECK(calls.empty());
}

TEST_CASE("ModuleBase: a one-tensor hook on a two-input module says which form to register", "[modules][errors]") {
    Block block;
    block.register_forward_hook([](nn::Module&, const Tensor&, const Tensor&) {});
    CHECK_THROWS_WITH(block(Tensor::ones({1, 4}), Tensor::ones({1, 4})),
                      Catch::Contains("Block: a forward hook taking (Module&, const Tensor&, const Tensor&) was "
                                      "called on a forward with 2 tensor input(s) and 1 tensor output(s)") &&
                          Catch::Contains("const std::vector<Tensor>& inputs"));
}

TEST_CASE("ModuleBase: a module returning a tuple or a struct; hooks see every output tensor", "[modules]") {
    manual_seed(1);
    TwoHeads model;
    std::size_t seen_in = 0, seen_out = 0;
    model.register_forward_hook(
        nn::AnyForwardHook([&](nn::Module&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
            seen_in = in.size();  // the flag is no tensor
            seen_out = out.size();
        }));
    Tensor x = Tensor::randn({4, 3});
    auto [logits, features] = model(x, true);
    CHECK(logits.shape() == Shape{4, 2});
    CHECK(features.shape() == Shape{4, 5});
    CHECK_FALSE(features.requires_grad());  // the flag reached forward
    CHECK(seen_in == 1);
    CHECK(seen_out == 2);
    CHECK(test::all_close(logits, model.head(tanh(model.body(x)))));
    auto [l2, f2] = model(x);  // the default argument
    CHECK(f2.requires_grad());

    WithStruct s;
    s.register_forward_hook(nn::AnyForwardHook(
        [&](nn::Module&, const std::vector<Tensor>&, const std::vector<Tensor>& out) { seen_out = out.size(); }));
    Out out = s(x);
    CHECK(out.steps == 2);
    CHECK(out.logits.shape() == Shape{4, 2});
    CHECK(seen_out == 3);  // logits, then the vector's two
}

TEST_CASE("ModuleBase: named_parameters, printing, state_dict, train/eval and clone", "[modules]") {
    manual_seed(2);
    Block block;
    std::vector<std::string> names;
    for (const auto& [n, _] : block.named_parameters()) names.push_back(n);
    CHECK(names == std::vector<std::string>{"fc.weight", "fc.bias"});
    std::ostringstream s;
    s << block;
    CHECK(s.str() == "Block(\n  (fc): Linear(in_features=4, out_features=4, bias=true)\n)");
    block.eval();
    CHECK_FALSE(block.fc.is_training());

    Block copy = block.clone();  // ModuleBase gives clone() its class
    CHECK_FALSE(copy.is_training());
    CHECK(copy.fc.weight.impl() != block.fc.weight.impl());
    CHECK(copy.fc.weight.impl() == copy.named_parameters()[0].second.impl());  // the member is the clone's child
    Tensor x = Tensor::randn({3, 4}), skip = Tensor::randn({3, 4});
    CHECK(test::all_close(copy(x, skip), block(x, skip)));
    nn::init::zeros_(copy.fc.weight);
    CHECK_FALSE(test::all_close(copy(x, skip), block(x, skip)));  // its own parameters

    Block fresh;
    fresh.load_state_dict(block.state_dict());
    CHECK(test::all_close(fresh(x, skip), block(x, skip)));
    const std::string path = test::temp_path("block.safetensors");
    nn::save(block, path);
    Block loaded;
    nn::load(loaded, path);
    CHECK(test::all_close(loaded(x, skip), block(x, skip)));
}

TEST_CASE("ModuleBase: a one-tensor ModuleBase module works in a Sequential and through Module&", "[modules]") {
    auto model = nn::Sequential(Doubler(), nn::ReLU());
    std::vector<float> seen;  // the one-tensor hook fits a one-tensor ModuleBase call
    model[0].register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor& out) {
        seen = {in.data()(1), out.data()(1)};
    });
    CHECK(test::all_close(model(Tensor::from({-1, 2})), Tensor::from({0, 4})));
    CHECK(seen == std::vector<float>{2, 4});
    nn::Module& m = model[0];
    CHECK(test::all_close(m(Tensor::from({3})), Tensor::from({6})));
    CHECK(m.output_shape({2, 3}) == Shape{2, 3});
    CHECK(model.clone()(Tensor::from({1})).item() == 2.0f);
}

TEST_CASE("ModuleBase: Sequential refuses a module that can't be called with one tensor, naming it",
          "[modules][errors]") {
    // push_back(Block()) doesn't compile (a static_assert says why); a ModulePtr is checked when added.
    static_assert(!nn::OneTensorModule<Block>);
    static_assert(!nn::OneTensorModule<TwoHeads>);  // returns a tuple
    static_assert(nn::OneTensorModule<Doubler>);
    static_assert(nn::OneTensorModule<nn::Linear>);
    nn::Sequential model(nn::Linear(4, 4));
    nn::ModulePtr block = std::make_shared<Block>();
    CHECK_THROWS_WITH(model.push_back(block),
                      Catch::Contains("Sequential: layer 1 (Block()) can't be called with one tensor"));
    CHECK_THROWS_WITH(model.insert(0, block), Catch::Contains("layer 0 (Block())"));
    CHECK_THROWS_WITH(model.replace(0, block), Catch::Contains("layer 0 (Block())"));
    CHECK(model.size() == 1);

    // Through a Module&, a one-tensor call of a two-input module names the class.
    Block b;
    nn::Module& as_module = b;
    CHECK_THROWS_WITH(as_module(Tensor::ones({1, 4})), Catch::Contains("Block can't be called with one tensor") &&
                                                           Catch::Contains("nn::ModuleBase<Block>"));
    // So does a classic module whose only forward takes two.
    NoForward nf;
    CHECK(test::all_close(nf.forward(Tensor::ones({1}), Tensor::ones({1})), Tensor::from({2})));
    CHECK_THROWS_WITH(nf(Tensor::ones({1})), Catch::Contains("NoForward can't be called with one tensor"));
    nn::Sequential holds(nf);  // compiles (its call operator takes one tensor): the error comes at the call
    CHECK_THROWS_WITH(holds(Tensor::ones({1})),
                      Catch::Contains("Sequential layer 0 (NoForward())") && Catch::Contains("can't be called"));
}

namespace {
// Anomaly mode names a layer inside a ModuleBase module, reached through a ModuleList.
struct Stack : nn::ModuleBase<Stack> {
    nn::ModuleList layers{nn::Linear(3, 2), nn::Lambda([](const Tensor& x) { return sqrt(x - x); }, "SqrtOfZero")};
    Stack() { register_module("layers", layers); }
    Tensor forward(const Tensor& x, const Tensor& scale) {
        Tensor h = x * scale;
        for (nn::Module& layer : layers) h = layer(h);
        return h;
    }
};
}  // namespace

TEST_CASE("ModuleBase: anomaly mode names the layer by its path, through a ModuleList", "[modules][anomaly]") {
    manual_seed(4);
    Stack stack;
    autograd::DetectAnomalyGuard anomaly;
    Tensor loss = sum(stack(Tensor::ones({2, 3}), Tensor::full({1}, 2.0f)));
    CHECK_THROWS_WITH(loss.backward(),
                      Catch::StartsWith("anomaly: the backward of 'sqrt' (input shape [2, 2]) in layer "
                                        "'Stack/layers.1: SqrtOfZero()' returned inf"));
}
