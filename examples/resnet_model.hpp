// A small ResNet (He et al., 2015) for 28x28 images, written as custom modules: BasicBlock, the
// residual block with its skip connection, and ResNet, a stem, three stages of blocks and a linear
// head. examples/pytorch/resnet.py defines the same two classes; the parameter and buffer names
// are PyTorch's (conv1.weight, layer2.0.shortcut.0.weight, layer2.0.bn1.running_mean, ...), so
// `--save` in one loads with `--load` in the other. Used by examples/resnet.cpp and tests/test_resnet_block.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace examples {

using namespace xg;

// out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), as torchvision's BasicBlock.
//
// The block learns a correction F(x) to its input rather than a whole new mapping: the identity
// is the starting point, F only has to learn what to change. That sum is also why deep ResNets
// train. The add's derivative is 1 for both operands, so backward hands the same gradient to
// the two paths: through conv2, conv1 (the residual branch) and, unchanged, through the shortcut
// to x. Stacked blocks therefore pass the gradient from the loss to the first layers along a
// chain of additions, without going through every convolution on the way.
//
// The sum needs F(x) and x to have one shape. When the block changes it (stride 2 halves the
// image, or the channels change), the shortcut is a 1x1 convolution with that stride and a
// BatchNorm (the "projection shortcut", option B of the paper); otherwise it is an empty
// Sequential, which returns its input, as PyTorch's empty nn.Sequential().
// The convolutions have no bias: the BatchNorm after each one subtracts the mean, bias included.
struct BasicBlock : nn::Module {
    nn::Conv2d conv1;
    nn::BatchNorm2d bn1;
    nn::Conv2d conv2;
    nn::BatchNorm2d bn2;
    nn::Sequential shortcut;  // empty (identity) or [1x1 Conv2d, BatchNorm2d]

    BasicBlock(std::size_t in_channels, std::size_t out_channels, std::size_t stride = 1)
        : conv1(in_channels, out_channels, 3, stride, /*padding=*/1, /*bias=*/false), bn1(out_channels),
          conv2(out_channels, out_channels, 3, /*stride=*/1, /*padding=*/1, /*bias=*/false), bn2(out_channels) {
        if (stride != 1 || in_channels != out_channels)
            shortcut = nn::Sequential(nn::Conv2d(in_channels, out_channels, 1, stride, /*padding=*/0, /*bias=*/false),
                                      nn::BatchNorm2d(out_channels));
        register_module("conv1", conv1);  // PyTorch's names, in the order its __init__ assigns them
        register_module("bn1", bn1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
        register_module("shortcut", shortcut);
    }

    // x [N, in, H, W] -> [N, out, H / stride, W / stride]
    Tensor forward(const Tensor& x) override {
        Tensor out = relu(bn1(conv1(x)));
        out = bn2(conv2(out));
        return relu(out + shortcut(x));  // the skip: backward sends the gradient down both operands
    }
};

// conv1 (3x3) -> bn1 -> relu -> layer1 -> layer2 -> layer3 -> avgpool -> fc, for 1-channel images.
// Stage i has blocks[i] BasicBlocks with channels[i] channels; the first block of stages 2 and 3
// has stride 2 (and so a projection shortcut): 28x28 -> 28x28 -> 14x14 -> 7x7. The global average
// pool makes the head independent of the image size: [N, C, 7, 7] -> [N, C, 1, 1] -> fc.
// Initial weights are PyTorch's defaults for each layer, as in the twin.
struct ResNet : nn::Module {
    const std::vector<std::size_t> channels, blocks;
    nn::Conv2d conv1;
    nn::BatchNorm2d bn1;
    nn::Sequential layer1, layer2, layer3;
    nn::AdaptiveAvgPool2d avgpool{1};
    nn::Linear fc;

    explicit ResNet(std::vector<std::size_t> stage_channels = {16, 32, 64},
                    std::vector<std::size_t> stage_blocks = {1, 1, 1}, std::size_t num_classes = 10)
        : channels(checked(std::move(stage_channels), "channels")), blocks(checked(std::move(stage_blocks), "blocks")),
          conv1(1, channels[0], 3, /*stride=*/1, /*padding=*/1, /*bias=*/false), bn1(channels[0]),
          layer1(stage(channels[0], channels[0], blocks[0], 1)), layer2(stage(channels[0], channels[1], blocks[1], 2)),
          layer3(stage(channels[1], channels[2], blocks[2], 2)), fc(channels[2], num_classes) {
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("layer1", layer1);
        register_module("layer2", layer2);
        register_module("layer3", layer3);
        register_module("avgpool", avgpool);
        register_module("fc", fc);
    }

    // x [N, 1, 28, 28] -> logits [N, num_classes]
    Tensor forward(const Tensor& x) override {
        Tensor out = relu(bn1(conv1(x)));                   // [N, 16, 28, 28]
        out = layer3(layer2(layer1(out)));                  // [N, 64, 7, 7]
        return fc(flatten(avgpool(out), /*start_dim=*/1));  // [N, 64, 1, 1] -> [N, 64] -> [N, 10]
    }

private:
    // `count` blocks from `in` to `out` channels, the first with `stride`.
    static nn::Sequential stage(std::size_t in, std::size_t out, std::size_t count, std::size_t stride) {
        nn::Sequential layer;
        for (std::size_t i = 0; i < count; ++i)
            layer.push_back(BasicBlock(i == 0 ? in : out, out, i == 0 ? stride : 1));
        return layer;
    }
    // Three positive numbers, one per stage.
    static std::vector<std::size_t> checked(std::vector<std::size_t> v, const std::string& what) {
        bool positive = v.size() == 3;
        for (std::size_t n : v) positive = positive && n > 0;
        if (!positive)
            throw Error("ResNet: " + what + " must be three positive numbers, one per stage, got " + shape_str(v));
        return v;
    }
};

}  // namespace examples
