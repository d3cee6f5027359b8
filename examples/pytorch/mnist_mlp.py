#!/usr/bin/python3
# The PyTorch script that examples/mnist_mlp.cpp mirrors line for line: an MLP on (Fashion-)MNIST.
#   /usr/bin/python3 examples/pytorch/mnist_mlp.py [--data /usr/share/datasets/fashion-mnist] [--epochs 5] ...
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import (EpochLog, MNIST, add_training_flags, data_folder_exists, evaluate, finish_training, limited,
                    load_safetensors, make_optimizer)


def main():
    p = argparse.ArgumentParser(description="Train an MLP classifier on MNIST or Fashion-MNIST and report its test accuracy.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_flags(p)
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128],
                   help="hidden layer sizes, e.g. --hidden 256 128 (each followed by ReLU)")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    if not data_folder_exists(args, "mnist_mlp"):
        return 2
    t0 = time.perf_counter()
    train_set, test_set = MNIST(args.data, True), MNIST(args.data, False)
    train_loader = torch.utils.data.DataLoader(limited(train_set, args), batch_size=args.batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(limited(test_set, args), batch_size=1000)
    print(f"data: {args.data}: {len(train_set)} training and {len(test_set)} test images, "
          f"loaded in {time.perf_counter() - t0:.2f} s")

    model = nn.Sequential()
    model.append(nn.Flatten())
    width = 28 * 28
    for h in args.hidden:
        model.append(nn.Linear(width, h))
        model.append(nn.ReLU())
        width = h
    model.append(nn.Linear(width, 10))
    if args.load:
        model.load_state_dict(load_safetensors(args.load))
    if not args.quiet:
        print(model, end="\n\n")

    opt = make_optimizer(args, model.parameters())  # --optimizer adam|sgd

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
    if epochs == 0:
        result = evaluate(model, test_loader)
    finish_training(args, model, result, log)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
