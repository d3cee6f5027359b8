#!/usr/bin/python3
"""The PyTorch script that examples/mnist_mlp.cpp mirrors: an MLP on (Fashion-)MNIST.

    /usr/bin/python3 examples/pytorch/mnist_mlp.py --data /usr/share/datasets/fashion-mnist
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(root, name):
    path = os.path.join(root, name)
    opener = gzip.open if not os.path.exists(path) else open
    with opener(path if os.path.exists(path) else path + ".gz", "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, train):
    prefix = "train" if train else "t10k"
    x = torch.from_numpy(read_idx(root, prefix + "-images-idx3-ubyte").copy()).float().div_(255).unsqueeze(1)
    y = torch.from_numpy(read_idx(root, prefix + "-labels-idx1-ubyte").astype(np.int64))
    return torch.utils.data.TensorDataset(x, y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    train_loader = torch.utils.data.DataLoader(load(args.data, True), batch_size=args.batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(load(args.data, False), batch_size=1000)

    layers, width = [nn.Flatten()], 784
    for h in args.hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.time()
        for x, y in train_loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        model.eval()
        correct, total_loss = 0, 0.0
        with torch.no_grad():
            for x, y in test_loader:
                out = model(x)
                total_loss += F.cross_entropy(out, y, reduction="sum").item()
                correct += (out.argmax(1) == y).sum().item()
        n = len(test_loader.dataset)
        print(f"epoch {epoch}: test loss {total_loss / n:.4f}, test accuracy {100.0 * correct / n:.2f}%, "
              f"{time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
