#!/usr/bin/python3
"""PyTorch peer of bench_pinn: a 1-32-32-32-1 tanh MLP on 64 collocation points, u'' through two
torch.autograd.grad calls with create_graph=True, Adam; steps per second."""
import argparse
import math
import resource
import statistics
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=2000)
p.add_argument("--repeats", type=int, default=3)
p.add_argument("--points", type=int, default=64)
a = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(1)
two_pi = 2.0 * math.pi
model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                      nn.Linear(32, 1))
N = float(a.points)
x = ((torch.arange(N) + 0.5) / N).unsqueeze(1).requires_grad_()
f = -two_pi * two_pi * torch.sin(x.detach() * two_pi)
xb = torch.tensor([[0.0], [1.0]])
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
per_step = []
for _ in range(a.repeats):
    t = time.perf_counter()
    for _ in range(a.steps):
        u = model(x)
        du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
        d2u = torch.autograd.grad(du.sum(), x, create_graph=True)[0]
        residual = d2u - f
        loss = (residual * residual).mean() + 100.0 * torch.pow(model(xb), 2.0).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    per_step.append((time.perf_counter() - t) / a.steps)
m = statistics.median(per_step)
print("RESULT us_per_step=%g" % (1e6 * m))
print("RESULT steps_per_s=%g" % (1 / m))
print("RESULT max_rss_mb=%g" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
