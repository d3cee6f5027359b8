#!/usr/bin/python3
# The PyTorch script that examples/autoencoder.cpp mirrors line for line: a Sequential encoder
# 784 -> 128 -> 32 and decoder 32 -> 128 -> 784 (Sigmoid, Unflatten) learn to reproduce
# (Fashion-)MNIST images; writes a PNG grid of test images and their reconstructions.
#   /usr/bin/python3 examples/pytorch/autoencoder.py [--data /usr/share/datasets/fashion-mnist] [--loss mse|bce] ...
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import (EpochLog, MNIST, add_training_flags, data_folder_exists, limited, load_safetensors, make_optimizer,
                    save_safetensors, write_png_gray)


def main():
    p = argparse.ArgumentParser(description="Train an autoencoder on MNIST or Fashion-MNIST and write a PNG of reconstructions.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_flags(p)
    p.set_defaults(batch_size=128)
    p.add_argument("--loss", choices=["mse", "bce"], default="mse", help="reconstruction loss: mse or bce")
    p.add_argument("--code", type=int, default=32, help="size of the code between encoder and decoder")
    p.add_argument("--png", metavar="FILE", default="autoencoder.png", help="where to write the grid of test images and reconstructions")
    p.add_argument("--images", type=int, choices=range(1, 201), default=40, metavar="1..200",
                   help="test images in the grid (10 per row)")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if not data_folder_exists(args, "autoencoder"):
        return 2
    train_set, test_set = MNIST(args.data, True), MNIST(args.data, False)
    train_loader = torch.utils.data.DataLoader(limited(train_set, args), batch_size=args.batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(limited(test_set, args), batch_size=1000)
    side = 28
    pixels = side * side

    encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, 128), nn.ReLU(), nn.Linear(128, args.code))
    decoder = nn.Sequential(nn.Linear(args.code, 128), nn.ReLU(), nn.Linear(128, pixels), nn.Sigmoid(),
                            nn.Unflatten(1, (1, side, side)))
    model = nn.Sequential()
    model.add_module("encoder", encoder)
    model.add_module("decoder", decoder)
    if args.load:
        model.load_state_dict(load_safetensors(args.load))
    if not args.quiet:
        print(model, end="\n\n")

    def reconstruction_loss(out, x):
        return F.mse_loss(out, x) if args.loss == "mse" else F.binary_cross_entropy(out, x)
    opt = make_optimizer(args, model.parameters())  # --optimizer adam|sgd

    log = EpochLog(len(train_loader), args.quiet)  # running loss, progress line, time, curves
    epochs = 0 if args.eval_only else args.epochs
    for epoch in range(1, epochs + 1):
        model.train()
        log.start_epoch(epoch)
        for x, y in train_loader:
            opt.zero_grad()
            loss = reconstruction_loss(model(x), x)  # the target is the input itself
            loss.backward()
            opt.step()
            log.step(loss, x.shape[0])
        model.eval()
        with torch.no_grad():
            test_sum = 0.0
            for x, y in test_loader:
                test_sum += reconstruction_loss(model(x), x).item() * x.shape[0]
        log.end_epoch(args.loss, test_sum / len(test_loader.dataset))

    # The grid: 10 images per row, each row of originals followed by their reconstructions.
    model.eval()
    with torch.no_grad():
        batch_x = test_set.tensors[0][:args.images]
        recon = model(batch_x)
    per_row = 10
    rows = (args.images + per_row - 1) // per_row
    grid = torch.zeros(rows * 2 * side, per_row * side, dtype=torch.uint8)

    def paste(img, gx, gy):
        grid[gy * side:(gy + 1) * side, gx * side:(gx + 1) * side] = (img.clamp(0, 1) * 255 + 0.5).to(torch.uint8)
    for i in range(args.images):
        paste(batch_x[i, 0], i % per_row, 2 * (i // per_row))
        paste(recon[i, 0], i % per_row, 2 * (i // per_row) + 1)
    write_png_gray(args.png, grid)
    print(f"\nwrote {args.png}: {args.images} test images (odd rows) and their reconstructions (even rows)")
    log.write_curves(args)
    if args.save:
        save_safetensors(model.state_dict(), args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
