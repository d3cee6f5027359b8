#!/usr/bin/python3
"""Reference numbers from PyTorch for xgrad's tests (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_reference.py

Writes reference.txt (one line per check: a name, then numbers: the losses of tests/test_loss.cpp
and the output of linear_4x3.safetensors, read by tests/test_linear.cpp) and
linear_4x3.safetensors (an nn.Linear's state written with the safetensors layout by hand, no
xgrad involved). The optimizers' and schedulers' numbers come from make_optim_reference.py
(optim.txt), the loss rows with options from make_loss_reference.py (loss.txt).
The outputs are committed; CI does not need PyTorch.
"""
import json
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
