#!/usr/bin/python3
"""PyTorch peer of bench_cnn: the same networks (mnist_cnn's, and the ResNet of
examples/pytorch/resnet.py, imported from there), data, loss, optimizer and timing; prints the same
RESULT lines. Data preloaded as float tensors, a randperm per epoch and index_select, no DataLoader."""
import argparse
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "examples", "pytorch"))
from resnet import ResNet  # noqa: E402  (the example's own network)
sys.path.insert(0, here)
from bench_mlp import load_train  # noqa: E402


def mnist_cnn():
    return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


class Batches:
    """Batches without end: a new randperm when an epoch runs out (drop_last, as bench_cnn)."""

    def __init__(self, x, y, batch):
        self.x, self.y, self.b = x, y, batch
        self.perm, self.i = torch.randperm(x.shape[0]), 0

    def next(self):
        if self.i + self.b > self.x.shape[0]:
            self.perm, self.i = torch.randperm(self.x.shape[0]), 0
        idx = self.perm[self.i:self.i + self.b]
        self.i += self.b
        return self.x.index_select(0, idx), self.y.index_select(0, idx)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["cnn", "resnet"], default="cnn")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--batch-size", type=int, default=0, help="0: the example's default (cnn 64, resnet 128)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--windows", type=int, default=5)
    p.add_argument("--window", type=int, default=4096, help="samples per timed window (whole batches)")
    a = p.parse_args()
    b = a.batch_size or (64 if a.model == "cnn" else 128)
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)

    x, y = load_train(a.data)

    model = mnist_cnn() if a.model == "cnn" else ResNet()
    print("RESULT parameters=%d" % sum(p.numel() for p in model.parameters()))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # examples/resnet.py's schedule: the learning rate to 0 along a cosine over 3 epochs, a step per batch.
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 3 * (x.shape[0] // b)) if a.model == "resnet" else None
    batches = Batches(x, y, b)
    last = [0.0]

    def step():
        xb, yb = batches.next()
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        if scheduler:
            scheduler.step()
        last[0] = loss.item()

    model.train()
    for _ in range(a.warmup):
        step()
    steps = max(1, -(-a.window // b))
    rates = []
    for _ in range(a.windows):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps * b / (time.perf_counter() - start))
    print("final loss %.6f" % last[0], file=sys.stderr)
    r = statistics.median(rates)
    print("RESULT samples_per_s=%g" % r)
    print("RESULT ms_per_step=%g" % (1e3 * b / r))
    print("RESULT steps_per_window=%d" % steps)
    print("RESULT max_rss_mb=%g" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
