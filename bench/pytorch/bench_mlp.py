#!/usr/bin/python3
"""PyTorch peer of bench_mlp: same MLP, data, loss, optimizer; prints the same RESULT lines."""
import argparse
import gzip
import os
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(root, name):
    path = os.path.join(root, name)
    raw = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz", "rb").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_train(root):
    """The training images [N, 1, 28, 28] in [0, 1] and labels [N] as tensors; prints data_load_s."""
    t0 = time.perf_counter()
    x = torch.from_numpy(read_idx(root, "train-images-idx3-ubyte").copy()).float().div_(255).unsqueeze(1)
    y = torch.from_numpy(read_idx(root, "train-labels-idx1-ubyte").astype(np.int64))
    print("RESULT data_load_s=%g" % (time.perf_counter() - t0))
    return x, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--arch", default="784-128-10")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)

    x, y = load_train(a.data)

    sizes = [int(s) for s in a.arch.split("-")]
    layers = [nn.Flatten()]
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    n, b = x.shape[0], a.batch_size
    rates = []
    for epoch in range(1, a.epochs + 1):
        start = time.perf_counter()
        perm = torch.randperm(n)
        for i in range(0, n - b + 1, b):  # drop_last, as bench_mlp
            idx = perm[i:i + b]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        rate = (n // b) * b / (time.perf_counter() - start)
        if epoch >= 2:
            rates.append(rate)
    r = statistics.median(rates)
    print("RESULT samples_per_s=%g" % r)
    print("RESULT epoch_s=%g" % ((n // b) * b / r))
    print("RESULT max_rss_mb=%g" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
