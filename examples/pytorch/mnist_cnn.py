#!/usr/bin/python3
# The PyTorch script that examples/mnist_cnn.cpp mirrors line for line: a LeNet-style CNN in one
# nn.Sequential on (Fashion-)MNIST, Adam with StepLR(step_size=1, gamma=0.7) as PyTorch's examples/mnist.
#   /usr/bin/python3 examples/pytorch/mnist_cnn.py [--data /usr/share/datasets/fashion-mnist] [--epochs 5] ...
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import (EpochLog, MNIST, add_training_flags, data_folder_exists, evaluate, finish_training, limited,
                    load_safetensors, make_optimizer)


def main():
    p = argparse.ArgumentParser(description="Train a LeNet-style CNN on MNIST or Fashion-MNIST and report its test accuracy.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_flags(p)
    p.set_defaults(epochs=5, threads=2)
    p.add_argument("--channels", type=int, nargs=2, default=[16, 32], help="channels of the two 5x5 convolutions")
    p.add_argument("--hidden", type=int, default=128, help="units of the hidden fully connected layer")
    p.add_argument("--gamma", type=float, default=0.7, help="learning-rate decay per epoch (StepLR)")
    args = p.parse_args()
    channels = args.channels

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    if not data_folder_exists(args, "mnist_cnn"):
        return 2
    t0 = time.perf_counter()
    train_set, test_set = MNIST(args.data, True), MNIST(args.data, False)
    train_loader = torch.utils.data.DataLoader(limited(train_set, args), batch_size=args.batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(limited(test_set, args), batch_size=1000)
    print(f"data: {args.data}: {len(train_set)} training and {len(test_set)} test images, "
          f"loaded in {time.perf_counter() - t0:.2f} s")

    side = 28 // 4  # two 2x2 poolings: 28 -> 14 -> 7
    model = nn.Sequential(
        nn.Conv2d(1, channels[0], 5, stride=1, padding=2), nn.ReLU(), nn.MaxPool2d(2),            # [N, 16, 14, 14]
        nn.Conv2d(channels[0], channels[1], 5, stride=1, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # [N, 32, 7, 7]
        nn.Flatten(), nn.Linear(channels[1] * side * side, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
    if args.load:
        model.load_state_dict(load_safetensors(args.load))
    if not args.quiet:
        print(model, end="\n\n")

    opt = make_optimizer(args, model.parameters())  # --optimizer adam|sgd
    scheduler = torch.optim.lr_scheduler.StepLR(opt, 1, args.gamma)

    log = EpochLog(len(train_loader), args.quiet)  # running loss, progress line, time, curves
    epochs = 0 if args.eval_only else args.epochs
    for epoch in range(1, epochs + 1):
        model.train()
        log.start_epoch(epoch)
        for x, y in train_loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            log.step(loss, y.numel())
        result = evaluate(model, test_loader)
        log.end_epoch(result)
        scheduler.step()
    if epochs == 0:
        result = evaluate(model, test_loader)
    finish_training(args, model, result, log)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
