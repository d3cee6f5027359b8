// The code of docs/7-when-sequential-is-not-enough.md, compiled and run. A code block on that page
// marked <!-- tests/test_docs_custom.cpp --> appears here line for line (tests/docs_check.sh), so
// edit the page and this file together.
#include "docs_text.hpp"
#include "helpers.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace xg;

namespace xg::docs7 {

// mnist_cnn's Sequential, written as a class: the same layers, and a forward of your own.
struct CNN : nn::Module {
    nn::Conv2d conv1{1, 16, 5, 1, 2}, conv2{16, 32, 5, 1, 2};
    nn::Linear fc1{32 * 7 * 7, 128}, fc2{128, 10};
    CNN() {
        register_module("conv1", conv1);
        register_module("conv2", conv2);
        register_module("fc1", fc1);
        register_module("fc2", fc2);
    }
    Tensor forward(const Tensor& x) override {
        Tensor h = max_pool2d(relu(conv1(x)), 2);  // [N, 16, 14, 14]
        h = max_pool2d(relu(conv2(h)), 2);         // [N, 32, 7, 7]
        return fc2(relu(fc1(h.flatten(1))));
    }
};

// y = relu(bn2(conv2(relu(bn1(conv1(x))))) + x): x is used twice, the skip is one more add.
struct ResidualBlock : nn::Module {
    nn::Conv2d conv1, conv2;
    nn::BatchNorm2d bn1, bn2;
    explicit ResidualBlock(std::size_t channels)
        : conv1(channels, channels, 3, 1, 1, /*bias=*/false), conv2(channels, channels, 3, 1, 1, /*bias=*/false),
          bn1(channels), bn2(channels) {
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
    }
    Tensor forward(const Tensor& x) override {
        Tensor h = relu(bn1(conv1(x)));
        h = bn2(conv2(h));
        return relu(h + x);  // the skip
    }
};

// U-Net's way up: double the size of x, then join the encoder's map of that size along channels.
struct Up : nn::ModuleBase<Up> {
    nn::ConvTranspose2d up;
    nn::Conv2d conv;
    Up(std::size_t in, std::size_t out) : up(in, out, 2, /*stride=*/2), conv(2 * out, out, 3, 1, 1) {
        register_module("up", up);
        register_module("conv", conv);
    }
    Tensor forward(const Tensor& x, const Tensor& skip) {
        Tensor h = up(x);                      // [N, out, 2H, 2W]
        return relu(conv(cat({h, skip}, 1)));  // [N, 2 out, 2H, 2W] -> [N, out, 2H, 2W]
    }
};

// One level of a U-Net: the encoder's output e comes back as the skip of the way up.
struct TinyUNet : nn::Module {
    nn::Conv2d enc{1, 8, 3, 1, 1}, mid{8, 16, 3, 1, 1}, out{8, 1, 1};
    Up up{16, 8};
    TinyUNet() {
        register_module("enc", enc);
        register_module("mid", mid);
        register_module("up", up);
        register_module("out", out);
    }
    Tensor forward(const Tensor& x) override {
        Tensor e = relu(enc(x));                 // [N, 8, 28, 28]
        Tensor m = relu(mid(max_pool2d(e, 2)));  // [N, 16, 14, 14]
        return out(up(m, e));                    // [N, 1, 28, 28]
    }
};

// Four branches read the same input; their outputs are joined along channels.
struct Inception : nn::Module {
    nn::Conv2d b1, b3_reduce, b3, b5_reduce, b5, pool_proj;
    explicit Inception(std::size_t in)
        : b1(in, 8, 1), b3_reduce(in, 4, 1), b3(4, 8, 3, 1, 1), b5_reduce(in, 2, 1), b5(2, 4, 5, 1, 2),
          pool_proj(in, 4, 1) {
        register_module("b1", b1);
        register_module("b3_reduce", b3_reduce);
        register_module("b3", b3);
        register_module("b5_reduce", b5_reduce);
        register_module("b5", b5);
        register_module("pool_proj", pool_proj);
    }
    Tensor forward(const Tensor& x) override {
        Tensor a = relu(b1(x));
        Tensor b = relu(b3(relu(b3_reduce(x))));
        Tensor c = relu(b5(relu(b5_reduce(x))));
        Tensor d = relu(pool_proj(max_pool2d(x, 3, /*stride=*/1, /*padding=*/1)));
        return cat({a, b, c, d}, 1);  // 8 + 8 + 4 + 4 = 24 channels
    }
};

// An auxiliary classifier, as GoogLeNet's: it adds to the loss in training and isn't run in evaluation.
struct Outputs {
    Tensor logits;
    Tensor aux;  // undefined in evaluation
};
struct WithAux : nn::ModuleBase<WithAux> {
    nn::Sequential body, head, aux_head;
    WithAux()
        : body(nn::Conv2d(1, 8, 3, 1, 1), nn::ReLU(), nn::MaxPool2d(2)),
          head(nn::Conv2d(8, 16, 3, 1, 1), nn::ReLU(), nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(16, 10)),
          aux_head(nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(8, 10)) {
        register_module("body", body);
        register_module("head", head);
        register_module("aux_head", aux_head);
    }
    Outputs forward(Tensor x) {
        Tensor h = body(x);
        if (!is_training()) return {head(h), Tensor()};
        return {head(h), aux_head(h)};
    }
};

}  // namespace xg::docs7

using namespace xg::docs7;

TEST_CASE("docs/7: the CNN class computes what mnist_cnn's Sequential computes", "[docs][nn]") {
    manual_seed(0);
    auto seq = nn::Sequential(nn::Conv2d(1, 16, 5, 1, 2), nn::ReLU(), nn::MaxPool2d(2), nn::Conv2d(16, 32, 5, 1, 2),
                              nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(), nn::Linear(32 * 7 * 7, 128), nn::ReLU(),
                              nn::Linear(128, 10));
    CNN net;
    // The same tensors under other names: 0 -> conv1, 3 -> conv2, 7 -> fc1, 9 -> fc2.
    const std::map<std::string, std::string> names{{"0", "conv1"}, {"3", "conv2"}, {"7", "fc1"}, {"9", "fc2"}};
    StateDict renamed;
    for (const auto& [key, value] : seq.state_dict().tensors) {
        const auto dot = key.find('.');
        renamed.add(names.at(key.substr(0, dot)) + key.substr(dot), value);
    }
    net.load_state_dict(renamed);
    const Tensor x = Tensor::rand({2, 1, 28, 28});
    CHECK(test::all_close(net(x), seq(x), 0.0f));
    CHECK(net.parameters().size() == seq.parameters().size());
}

TEST_CASE("docs/7: the tape of one residual block and its skip's gradient", "[docs][nn]") {
    manual_seed(0);
    ResidualBlock block(2);
    Tensor x = Tensor::randn({1, 2, 4, 4}, /*requires_grad=*/true);
    Tensor y = block(x);
    autograd::TensorNames names{{"x", x}};
    for (auto& [name, p] : block.named_parameters()) names.emplace_back(name, p);
    CHECK(autograd::tape_str(y, names) == test::page_text(R"(
tape behind a tensor of shape [1, 2, 4, 4]: 7 ops, in the order they ran (backward replays them bottom to top)
  #1 conv2d              x [1, 2, 4, 4], conv1.weight [2, 2, 3, 3] -> [1, 2, 4, 4]
  #2 batch_norm          #1 [1, 2, 4, 4], bn1.weight [2], bn1.bias [2] -> [1, 2, 4, 4]
  #3 relu                #2 [1, 2, 4, 4] -> [1, 2, 4, 4]
  #4 conv2d              #3 [1, 2, 4, 4], conv2.weight [2, 2, 3, 3] -> [1, 2, 4, 4]
  #5 batch_norm          #4 [1, 2, 4, 4], bn2.weight [2], bn2.bias [2] -> [1, 2, 4, 4]
  #6 add                 #5 [1, 2, 4, 4], x [1, 2, 4, 4] -> [1, 2, 4, 4]
  #7 relu                #6 [1, 2, 4, 4] -> [1, 2, 4, 4]
)"));
    if (const char* dir = std::getenv("XGRAD_DOCS_IMAGES")) {
        std::ofstream(std::string(dir) + "/residual_tape.dot") << autograd::to_dot(y, names);
    }
    // x's gradient is the sum of its two paths: through the add alone, and through the convolutions.
    Tensor g = Tensor::randn({1, 2, 4, 4});
    Tensor through_skip = g * gt(y, 0.0f);  // relu's gradient, then the add passes it on unchanged
    Tensor total = autograd::grad({y}, {x}, {.grad_outputs = {g}, .retain_graph = true})[0];
    Tensor through_convs = total - through_skip;
    // The convolution path alone, on a fresh tape (training mode: the same batch statistics).
    Tensor x2 = x.detach().requires_grad_(true);
    Tensor branch = block.bn2(block.conv2(relu(block.bn1(block.conv1(x2)))));
    Tensor direct = autograd::grad({branch}, {x2}, {.grad_outputs = {through_skip}})[0];
    CHECK(abs(through_convs).max().item() > 0.1f);
    CHECK(abs(through_convs - direct).max().item() < 1e-5f);
    block.eval();
    autograd::gradcheck([&](const std::vector<Tensor>& v) { return block(v[0]); }, {x});
}

TEST_CASE("docs/7: Up takes the skip as its second input and hooks see both", "[docs][nn]") {
    manual_seed(0);
    TinyUNet net;
    std::vector<std::size_t> seen;
    auto handle = net.up.register_forward_hook(nn::AnyForwardHook(
        [&](nn::Module&, const std::vector<Tensor>& in, const std::vector<Tensor>&) { seen.push_back(in.size()); }));
    const Tensor x = Tensor::rand({2, 1, 28, 28});
    CHECK(net(x).shape() == Shape{2, 1, 28, 28});
    CHECK(seen == std::vector<std::size_t>{2});
    handle.remove();
    std::ostringstream printed;
    printed << net.up;
    CHECK(printed.str() == test::page_text(R"(
Up(
  (up): ConvTranspose2d(16, 8, kernel_size=(2, 2), stride=(2, 2))
  (conv): Conv2d(16, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
))"));
    CHECK(nn::summary(net, x) == test::page_text(R"(
Input shape: [2, 1, 28, 28]
====================================================
Layer (type)               Output shape      Param #
====================================================
TinyUNet                   [2, 1, 28, 28]      2,937
  (enc) Conv2d             [2, 8, 28, 28]         80
  (mid) Conv2d             [2, 16, 14, 14]     1,168
  (up) Up                  [2, 8, 28, 28]      1,680
    (up) ConvTranspose2d   [2, 8, 28, 28]        520
    (conv) Conv2d          [2, 8, 28, 28]      1,160
  (out) Conv2d             [2, 1, 28, 28]          9
====================================================
Total params: 2,937
Trainable params: 2,937
Non-trainable params: 0
Params size (MB): 0.01
====================================================
)"));
}

TEST_CASE("docs/7: the Inception block fits in a Sequential and keeps PyTorch's names", "[docs][nn]") {
    manual_seed(0);
    auto model = nn::Sequential(nn::Conv2d(1, 8, 3, 1, 1), nn::ReLU(), Inception(8), nn::AdaptiveAvgPool2d(1),
                                nn::Flatten(), nn::Linear(24, 10));
    CHECK(model(Tensor::rand({2, 1, 28, 28})).shape() == Shape{2, 10});
    CHECK(model.check({2, 1, 28, 28}) == Shape{2, 10});
    std::vector<std::string> names;
    for (auto& [name, p] : model.named_parameters()) names.push_back(name);
    CHECK(names[2] == "2.b1.weight");
    CHECK(names.back() == "5.bias");
}

TEST_CASE("docs/7: the auxiliary head runs in training only", "[docs][nn]") {
    manual_seed(0);
    WithAux net;
    const Tensor x = Tensor::rand({4, 1, 28, 28});
    const Tensor y = Tensor::from({1, 0, 3, 9});
    auto [logits, aux] = net(x);
    Tensor loss = nn::functional::cross_entropy(logits, y) + 0.3f * nn::functional::cross_entropy(aux, y);
    loss.backward();
    REQUIRE(aux.defined());
    CHECK(net.aux_head.parameters()[0].grad().defined());
    net.eval();
    Outputs out = net(x);
    CHECK(out.logits.shape() == Shape{4, 10});
    CHECK_FALSE(out.aux.defined());
}
