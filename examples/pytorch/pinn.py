#!/usr/bin/python3
"""The PyTorch script that examples/pinn.cpp mirrors: a physics-informed MLP for
u''(x) = -4π² sin(2πx) on [0, 1], u(0) = u(1) = 0 (solution: sin(2πx)).

    /usr/bin/python3 examples/pytorch/pinn.py
"""
import argparse
import math
import time

import torch
import torch.nn as nn


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--points", type=int, default=64)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--boundary-weight", type=float, default=100.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--log-every", type=int, default=500)
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    two_pi = 2.0 * math.pi
    H = args.hidden
    model = nn.Sequential(nn.Linear(1, H), nn.Tanh(), nn.Linear(H, H), nn.Tanh(), nn.Linear(H, H), nn.Tanh(),
                          nn.Linear(H, 1))

    N = float(args.points)
    x = ((torch.arange(N) + 0.5) / N).unsqueeze(1).requires_grad_()  # [N, 1]
    f = -two_pi * two_pi * torch.sin(x.detach() * two_pi)          # u''(x) for the exact u
    xb = torch.tensor([[0.0], [1.0]])                                # the boundary

    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, max(1, args.steps // 3), 0.3)
    start = time.time()
    for step in range(1, args.steps + 1):
        u = model(x)
        du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]    # u'(x)   [N, 1]
        d2u = torch.autograd.grad(du.sum(), x, create_graph=True)[0]  # u''(x)  [N, 1]
        residual = d2u - f
        loss = (residual * residual).mean() + args.boundary_weight * torch.pow(model(xb), 2.0).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        scheduler.step()
        if step % args.log_every == 0 or step == args.steps:
            print("step %5d  loss %.6f" % (step, loss.item()))
    seconds = time.time() - start

    xt = (torch.arange(1001.0) / 1000.0).unsqueeze(1)
    exact = torch.sin(xt * two_pi)
    u = model(x)
    du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    u_residual = torch.autograd.grad(du.sum(), x)[0] - f
    model.eval()
    with torch.no_grad():
        predicted = model(xt)
        rel_l2 = math.sqrt(torch.sum(torch.pow(predicted - exact, 2.0)).item() / torch.sum(torch.pow(exact, 2.0)).item())
    print("trained %d steps in %.1f s (%.0f steps/s)" % (args.steps, seconds, args.steps / seconds))
    print("max |u'' - f| at the collocation points: %.4f" % u_residual.abs().max().item())
    print("relative L2 error against sin(2πx): %.2e" % rel_l2)


if __name__ == "__main__":
    main()
