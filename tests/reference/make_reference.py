#!/usr/bin/python3
"""Reference numbers from PyTorch for xgrad's tests (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_reference.py

Writes reference.txt (one line per check: a name, then numbers) and linear_4x3.safetensors
(an nn.Linear's state written with the safetensors layout by hand, no xgrad involved).
The outputs are committed; CI does not need PyTorch.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)
here = os.path.dirname(os.path.abspath(__file__))
lines = []


def emit(name, values):
    flat = torch.as_tensor(values, dtype=torch.float64).flatten().tolist()
    lines.append(name + " " + " ".join("%.9g" % v for v in flat))


# ---- optimizers: 5 steps on a fixed least-squares problem ----
X = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 1.0, 0.75], [0.0, -0.5, 1.25]])
Y = torch.tensor([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.0], [0.25, 0.75]])
W0 = torch.tensor([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]])
B0 = torch.tensor([0.05, -0.05])


def problem():
    w = W0.clone().requires_grad_(True)
    b = B0.clone().requires_grad_(True)
    return w, b


def loss_of(w, b):
    return ((X @ w.t() + b - Y) ** 2).mean()


configs = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "sgd_dampening": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "sgd_weight_decay": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adam_weight_decay": lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1),
    "adam_amsgrad": lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, betas=(0.8, 0.9)),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01),
    "adamw_amsgrad": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, amsgrad=True),
}
for name, make in configs.items():
    w, b = problem()
    opt = make([w, b])
    for step in range(1, 6):
        opt.zero_grad()
        loss_of(w, b).backward()
        opt.step()
        emit("optim/%s/step%d" % (name, step), torch.cat([w.detach().flatten(), b.detach()]))

# ---- schedulers: the lr after each of 8 scheduler steps ----
for name, make in {
    "steplr": lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "cosine": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=3, eta_min=0.01),
}.items():
    w, b = problem()
    opt = torch.optim.SGD([w, b], lr=0.1)
    sched = make(opt)
    lrs = []
    for _ in range(8):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    emit("sched/" + name, lrs)

# ---- clip_grad_norm_ ----
w, b = problem()
loss_of(w, b).backward()
total = torch.nn.utils.clip_grad_norm_([w, b], max_norm=0.5)
emit("clip/total_norm", [float(total)])
emit("clip/grads", torch.cat([w.grad.flatten(), b.grad]))

# ---- losses: value (mean, sum, none) and the gradient of the mean w.r.t. the input ----
x = torch.tensor([[0.2, -1.3, 0.7], [1.1, 0.05, -0.4]])
t = torch.tensor([[0.0, -1.0, 1.5], [1.0, 0.5, -0.4]])
p = torch.tensor([[0.1, 0.9, 0.5], [0.999, 0.3, 0.0]])
pt = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.2, 0.0]])
logits = torch.tensor([[1.0, -2.0, 0.5, 3.0], [0.1, 0.2, 0.3, 0.4], [-1.0, 2.0, 0.0, 1.0]])
classes = torch.tensor([3, 0, 1])
big = torch.tensor([[1e4, -1e4, 0.0, 5e3]])
cases = {
    "mse": (lambda a, r: F.mse_loss(a, t, reduction=r), x),
    "l1": (lambda a, r: F.l1_loss(a, t, reduction=r), x),
    "bce": (lambda a, r: F.binary_cross_entropy(a, pt, reduction=r), p),
    "bce_logits": (lambda a, r: F.binary_cross_entropy_with_logits(a, pt, reduction=r), x * 3),
    "bce_logits_large": (lambda a, r: F.binary_cross_entropy_with_logits(a, torch.tensor([[1.0, 0.0, 1.0, 0.0]]), reduction=r), big),
    "cross_entropy": (lambda a, r: F.cross_entropy(a, classes, reduction=r), logits),
    "cross_entropy_large": (lambda a, r: F.cross_entropy(a, torch.tensor([1]), reduction=r), big),
    "nll": (lambda a, r: F.nll_loss(a, classes, reduction=r), F.log_softmax(logits, 1)),
    "cross_entropy_ignore": (lambda a, r: F.cross_entropy(a, torch.tensor([3, -100, 1]), reduction=r), logits),
}
for name, (fn, inp) in cases.items():
    for r in ("mean", "sum", "none"):
        emit("loss/%s/%s" % (name, r), fn(inp, r).detach())
    a = inp.clone().requires_grad_(True)
    fn(a, "mean").backward()
    emit("loss/%s/grad" % name, a.grad)

with open(os.path.join(here, "reference.txt"), "w") as f:
    f.write("# made by make_reference.py with torch %s; one check per line: name values...\n" % torch.__version__)
    f.write("\n".join(lines) + "\n")

# ---- a safetensors file from PyTorch weights, written by hand from the format description ----
torch.manual_seed(0)
lin = torch.nn.Linear(3, 4)
state = {k: v.detach().contiguous() for k, v in lin.state_dict().items()}
header, blobs, offset = {}, [], 0
for k, v in state.items():
    raw = struct.pack("<%df" % v.numel(), *v.flatten().tolist())
    header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [offset, offset + len(raw)]}
    blobs.append(raw)
    offset += len(raw)
head = json.dumps(header).encode()
head += b" " * ((8 - len(head) % 8) % 8)
with open(os.path.join(here, "linear_4x3.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))
inp = torch.tensor([[1.0, -2.0, 0.5], [0.0, 0.25, 3.0]])
with open(os.path.join(here, "reference.txt"), "a") as f:
    f.write("safetensors/linear_4x3/output " + " ".join("%.9g" % v for v in lin(inp).detach().flatten().tolist()) + "\n")
