// The ResNet example's modules (examples/resnet_model.hpp) against PyTorch's: a BasicBlock's and a
// small ResNet's state dicts saved by the PyTorch twin load strictly, under the same names, and give
// PyTorch's outputs, gradients and running statistics (tests/reference/make_resnet_reference.py);
// save -> load round trips; the block's gradients against central differences.
#include "helpers.hpp"

#include <algorithm>
#include <sstream>

#include "../examples/resnet_model.hpp"

using namespace xg;
using examples::BasicBlock;
using examples::ResNet;

namespace {
// PyTorch's numbers `kind` of `row` in tests/reference/resnet_reference.txt, as a tensor of `shape`.
Tensor resnet_reference(const std::string& row, const std::string& kind, const Shape& shape) {
    const auto& table = test::reference_table("resnet_reference.txt", "make_resnet_reference.py");
    const auto it = table.find(row + "\t" + kind);
    if (it == table.end())
        throw Error("tests/reference/resnet_reference.txt has no row '" + row + "' kind '" + kind + "'");
    Tensor t = Tensor::zeros(shape);
    REQUIRE(it->second.size() == t.numel());
    std::copy(it->second.begin(), it->second.end(), t.data().begin());
    return t;
}
std::vector<float> values(const Tensor& t) { return {t.data().begin(), t.data().end()}; }

std::vector<std::string> keys(const StateDict& d) {
    std::vector<std::string> names;
    for (const auto& [name, _] : d.tensors) names.push_back(name);
    return names;
}

// PyTorch's block.state_dict().keys() for BasicBlock(3, 4, stride=2), in its order.
const std::vector<std::string> block_keys = {"conv1.weight",
                                             "bn1.weight",
                                             "bn1.bias",
                                             "bn1.running_mean",
                                             "bn1.running_var",
                                             "bn1.num_batches_tracked",
                                             "conv2.weight",
                                             "bn2.weight",
                                             "bn2.bias",
                                             "bn2.running_mean",
                                             "bn2.running_var",
                                             "bn2.num_batches_tracked",
                                             "shortcut.0.weight",
                                             "shortcut.1.weight",
                                             "shortcut.1.bias",
                                             "shortcut.1.running_mean",
                                             "shortcut.1.running_var",
                                             "shortcut.1.num_batches_tracked"};

const std::string block_file = "tests/reference/torch_resnet_block.safetensors";
}  // namespace

TEST_CASE("resnet: a PyTorch BasicBlock's state dict loads strictly under PyTorch's names and gives its eval output",
          "[resnet]") {
    manual_seed(3);
    BasicBlock block(3, 4, /*stride=*/2);
    CHECK(keys(block.state_dict()) == block_keys);  // the module's own names and order are PyTorch's
    const StateDict file = xg::load(test::source_path(block_file));
    std::vector<std::string> in_file = keys(file);
    std::vector<std::string> sorted_keys = block_keys;
    std::sort(in_file.begin(), in_file.end());
    std::sort(sorted_keys.begin(), sorted_keys.end());
    CHECK(in_file == sorted_keys);
    CHECK(file.dtype("bn1.num_batches_tracked") == Dtype::I64);

    const nn::IncompatibleKeys k = nn::load(block, test::source_path(block_file));  // strict
    CHECK(k.missing_keys.empty());
    CHECK(k.unexpected_keys.empty());
    CHECK(block.bn1.num_batches_tracked.item() == 3.0f);  // three training steps in PyTorch
    CHECK(block.shortcut.at<nn::BatchNorm2d>(1).num_batches_tracked.item() == 3.0f);

    block.eval();
    NoGradGuard no_grad;
    const Tensor y = block(resnet_reference("block", "input", {2, 3, 6, 6}));
    CHECK(y.shape() == Shape{2, 4, 3, 3});
    test::check_against("BasicBlock eval output", y, values(resnet_reference("block", "eval", {2, 4, 3, 3})), 1e-6f,
                        1e-5f);
}

TEST_CASE(
    "resnet: in training mode a loaded BasicBlock gives PyTorch's output and input gradient and running statistics",
    "[resnet]") {
    BasicBlock block(3, 4, 2);
    nn::load(block, test::source_path(block_file));
    block.train();
    const Tensor x = resnet_reference("block", "input", {2, 3, 6, 6}).requires_grad_();
    const Tensor y = block(x);
    test::check_against("BasicBlock train output", y, values(resnet_reference("block", "train", {2, 4, 3, 3})), 1e-6f,
                        1e-5f);
    sum(y * resnet_reference("block", "weights", {2, 4, 3, 3})).backward();
    // Through both operands of the skip's add: the residual branch and the projection shortcut.
    test::check_against("BasicBlock input gradient", x.grad(), values(resnet_reference("block", "grad", {2, 3, 6, 6})),
                        1e-5f, 1e-4f);
    test::check_against("bn1.running_mean after one training forward", block.bn1.running_mean,
                        values(resnet_reference("block", "train bn1.running_mean", {4})), 1e-7f, 1e-6f);
    test::check_against("shortcut.1.running_var after one training forward",
                        block.shortcut.at<nn::BatchNorm2d>(1).running_var,
                        values(resnet_reference("block", "train shortcut.1.running_var", {4})), 1e-7f, 1e-6f);
    CHECK(block.bn2.num_batches_tracked.item() == 4.0f);
}

TEST_CASE("resnet: a BasicBlock saved and loaded gives the same output and the identity block has no shortcut weights",
          "[resnet]") {
    manual_seed(4);
    BasicBlock block(3, 4, 2);
    nn::load(block, test::source_path(block_file));
    const std::string path = test::temp_path("resnet_block.safetensors");
    nn::save(block, path);
    const StateDict saved = xg::load(path);
    CHECK(keys(saved) == block_keys);
    CHECK(saved.dtype("shortcut.1.num_batches_tracked") == Dtype::I64);

    BasicBlock fresh(3, 4, 2);  // other weights, no statistics
    nn::load(fresh, path);
    block.eval();
    fresh.eval();
    NoGradGuard no_grad;
    const Tensor x = Tensor::randn({2, 3, 6, 6});
    CHECK(test::all_close(fresh(x), block(x), 0.0f));

    // Same shape in and out: the shortcut is an empty Sequential, x itself, as PyTorch's nn.Sequential().
    BasicBlock identity(4, 4);
    CHECK(identity.shortcut.empty());
    for (const auto& [name, _] : identity.state_dict().tensors) CHECK(name.rfind("shortcut", 0) == std::string::npos);
    identity.eval();
    const Tensor h = Tensor::randn({2, 4, 5, 5});
    CHECK(test::all_close(identity(h), relu(identity.bn2(identity.conv2(relu(identity.bn1(identity.conv1(h))))) + h),
                          0.0f));
    // Printed as PyTorch prints the block.
    std::ostringstream s;
    s << block;
    CHECK(
        s.str().find("(shortcut): Sequential(\n    (0): Conv2d(3, 4, kernel_size=(1, 1), stride=(2, 2), bias=false)") !=
        std::string::npos);
}

TEST_CASE("resnet: a small PyTorch ResNet with an identity block and two projection blocks loads and gives its logits",
          "[resnet]") {
    ResNet model({4, 6, 8}, {2, 1, 1});
    const nn::IncompatibleKeys k = nn::load(model, test::source_path("tests/reference/torch_resnet_small.safetensors"));
    CHECK(k.missing_keys.empty());
    const std::vector<std::string> names = keys(model.state_dict());
    REQUIRE(names.size() == 68);  // PyTorch's count
    CHECK(names[6] == "layer1.0.conv1.weight");
    CHECK(names[42] == "layer2.0.shortcut.0.weight");
    CHECK(names[67] == "fc.bias");
    model.eval();
    NoGradGuard no_grad;
    const Tensor logits = model(resnet_reference("small", "input", {3, 1, 12, 12}));
    test::check_against("ResNet eval logits", logits, values(resnet_reference("small", "eval", {3, 10})), 1e-6f, 1e-5f);
    CHECK_THROWS_WITH(ResNet({16, 32}), Catch::Contains("ResNet: channels must be three positive numbers") &&
                                            Catch::Contains("[16, 32]"));
    CHECK_THROWS_WITH(ResNet({16, 32, 64}, {1, 0, 1}),
                      Catch::Contains("ResNet: blocks must be three positive numbers"));
}

TEST_CASE("resnet: a BasicBlock's gradients for input and weights against central differences in train and eval mode",
          "[resnet][grad]") {
    manual_seed(5);
    for (const bool training : {true, false}) {
        INFO((training ? "train mode" : "eval mode"));
        BasicBlock block(2, 3, 2);
        for (nn::BatchNorm* bn :
             std::vector<nn::BatchNorm*>{&block.bn1, &block.bn2, &block.shortcut.at<nn::BatchNorm>(1)}) {
            nn::init::uniform_(bn->weight, 0.5, 1.5);  // away from PyTorch's 1 and 0
            nn::init::uniform_(bn->bias, -0.5, 0.5);
        }
        {
            NoGradGuard no_grad;  // running statistics away from 0 and 1, for eval mode
            for (int i = 0; i < 3; ++i) block(Tensor::randn({4, 2, 4, 4}) * 2.0f + 0.5f);
        }
        block.train(training);
        Tensor x = Tensor::randn({2, 2, 4, 4}).requires_grad_();
        // The weights are inputs too: gradcheck moves their values, which the block reads.
        const std::vector<Tensor> inputs = {x,
                                            block.conv1.weight,
                                            block.bn1.weight,
                                            block.conv2.weight,
                                            block.bn2.bias,
                                            block.shortcut.at<nn::Conv2d>(0).weight};
        CHECK(autograd::gradcheck([&](const std::vector<Tensor>& v) { return block(v[0]); }, inputs, 1e-3f, 2e-3f,
                                  2e-2f));
    }
}
