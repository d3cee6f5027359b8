#!/usr/bin/python3
"""PyTorch peer of bench_overhead: a 2-16-16-1 Tanh MLP, batch 4, MSE, Adam, 20,000 steps."""
import argparse
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=20000)
p.add_argument("--repeats", type=int, default=3)
a = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(1)
x, y = torch.randn(4, 2), torch.randn(4, 1)
model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
per_step = []
for _ in range(a.repeats):
    t = time.perf_counter()
    for _ in range(a.steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    per_step.append((time.perf_counter() - t) / a.steps)
m = statistics.median(per_step)
print("RESULT us_per_step=%g" % (1e6 * m))
print("RESULT steps_per_s=%g" % (1 / m))
print("RESULT max_rss_mb=%g" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
