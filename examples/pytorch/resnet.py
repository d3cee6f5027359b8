#!/usr/bin/python3
# The PyTorch script that examples/resnet.cpp (and its model, examples/resnet_model.hpp) mirrors line
# for line: a small ResNet (BasicBlocks in three stages, global average pooling) on (Fashion-)MNIST,
# Adam with the learning rate annealed to 0 along a cosine (CosineAnnealingLR stepped per batch).
#   /usr/bin/python3 examples/pytorch/resnet.py [--data /usr/share/datasets/fashion-mnist] [--epochs 3] ...
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import (EpochLog, MNIST, add_training_flags, data_folder_exists, evaluate, finish_training, limited,
                    load_safetensors, make_optimizer)


class BasicBlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), as torchvision's BasicBlock; the shortcut
    is empty (identity) or a 1x1 convolution and a BatchNorm when the shape changes."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """A 3x3 stem, three stages of BasicBlocks (the 2nd and 3rd halve the image), global average
    pooling and a Linear classifier: 28x28 -> 28x28 -> 14x14 -> 7x7 -> 1x1."""

    def __init__(self, channels=(16, 32, 64), blocks=(1, 1, 1), num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels[0], 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels[0])
        self.layer1 = self.stage(channels[0], channels[0], blocks[0], 1)
        self.layer2 = self.stage(channels[0], channels[1], blocks[1], 2)
        self.layer3 = self.stage(channels[1], channels[2], blocks[2], 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels[2], num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))  # [N, 16, 28, 28]
        out = self.layer3(self.layer2(self.layer1(out)))  # [N, 64, 7, 7]
        out = torch.flatten(self.avgpool(out), 1)  # [N, 64]
        return self.fc(out)

    @staticmethod
    def stage(in_channels, out_channels, count, stride):
        """count blocks from in_channels to out_channels channels, the first with stride."""
        return nn.Sequential(*[BasicBlock(in_channels if i == 0 else out_channels, out_channels, stride if i == 0 else 1)
                               for i in range(count)])


def main():
    p = argparse.ArgumentParser(description="Train a small ResNet on MNIST or Fashion-MNIST and report its test accuracy.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_flags(p)
    p.set_defaults(epochs=3, batch_size=128, threads=2)
    p.add_argument("--channels", type=int, nargs=3, default=[16, 32, 64], help="channels of the three stages")
    p.add_argument("--blocks", type=int, nargs=3, default=[1, 1, 1], help="BasicBlocks in each stage")
    args = p.parse_args()
    if min(args.channels + args.blocks) < 1:
        p.error("--channels and --blocks take three positive numbers, one per stage")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    if not data_folder_exists(args, "resnet"):
        return 2
    t0 = time.perf_counter()
    train_set, test_set = MNIST(args.data, True), MNIST(args.data, False)
    train_loader = torch.utils.data.DataLoader(limited(train_set, args), batch_size=args.batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(limited(test_set, args), batch_size=1000)
    print(f"data: {args.data}: {len(train_set)} training and {len(test_set)} test images, "
          f"loaded in {time.perf_counter() - t0:.2f} s")

    model = ResNet(args.channels, args.blocks)
    if args.load:
        model.load_state_dict(load_safetensors(args.load))
    if not args.quiet:
        print(model, end="\n\n")

    opt = make_optimizer(args, model.parameters())  # --optimizer adam|sgd
    # The learning rate falls from --lr to 0 along a cosine over the whole run, a step per batch.
    epochs = 0 if args.eval_only else args.epochs
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, epochs * len(train_loader)))

    log = EpochLog(len(train_loader), args.quiet)  # running loss, progress line, time, curves
    for epoch in range(1, epochs + 1):
        model.train()
        log.start_epoch(epoch)
        for x, y in train_loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            scheduler.step()
            log.step(loss, y.numel())
        result = evaluate(model, test_loader)
        log.end_epoch(result)
    if epochs == 0:
        result = evaluate(model, test_loader)
    finish_training(args, model, result, log)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
