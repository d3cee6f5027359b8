# The inputs the C++ tests draw (tests/helpers.cpp), drawn the same way in Python, so each
# reference script's rows are computed from exactly the values the C++ side checks.
import json
import os
import struct

import torch

MASK = (1 << 64) - 1


class Stream:
    """The generator of tests/helpers.hpp: FNV-1a of the seed text, then splitmix64."""

    def __init__(self, seed):
        h = 14695981039346656037
        for c in seed.encode("utf-8"):
            h = ((h ^ c) * 1099511628211) & MASK
        self.state = h

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 40) * 2.0 ** -24


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def make_inputs(name, shapes, domain):
    s = Stream(name)
    out = []
    for shape in shapes:
        n = numel(shape)
        if domain == "distinct":
            ramp = [0.1 * i - 0.05 * n for i in range(n)]
            for i in range(n - 1, 0, -1):
                j = s.next() % (i + 1)
                ramp[i], ramp[j] = ramp[j], ramp[i]
            vals = ramp
        else:
            vals = []
            for _ in range(n):
                r = s.uniform()
                if domain == "any":
                    vals.append(2.0 * r - 1.0)
                elif domain == "positive":
                    vals.append(0.5 + 1.5 * r)
                elif domain == "off_zero":
                    sign = -1.0 if s.uniform() < 0.5 else 1.0
                    vals.append(sign * (0.2 + 0.8 * r))
        out.append(torch.tensor(vals, dtype=torch.float32).reshape(shape).requires_grad_(True))
    return out


def random_like(stream, shape):
    return torch.tensor([2.0 * stream.uniform() - 1.0 for _ in range(numel(shape))], dtype=torch.float32).reshape(shape)


def fmt(t):
    return " ".join("%.9g" % v for v in t.detach().double().flatten().tolist())


def row_lines(name, x, out, second):
    """A row's reference lines, as tests/helpers.cpp checks them: the forward values, each input's
    gradient of sum(out * w), and with `second` each input's gradient of sum_k sum(grad_k * u_k)
    (w and u_k drawn from the row's name, as the C++ side draws them)."""
    lines = ["%s\tforward\t%s" % (name, fmt(out))]
    w = random_like(Stream(name + "#w"), list(out.shape))
    g = torch.autograd.grad((out * w).sum(), x, create_graph=second, allow_unused=True)
    s = torch.zeros(())
    for k, gk in enumerate(g):
        gk = torch.zeros_like(x[k]) if gk is None else gk
        lines.append("%s\tgrad.%d\t%s" % (name, k, fmt(gk)))
        s = s + (gk * random_like(Stream(name + "#u%d" % k), list(x[k].shape))).sum()
    if second:
        h = torch.autograd.grad(s, x, allow_unused=True) if s.requires_grad else [None] * len(x)
        for k, hk in enumerate(h):
            lines.append("%s\tgrad2.%d\t%s" % (name, k, fmt(torch.zeros_like(x[k]) if hk is None else hk)))
    return lines


def save_file(tensors, name):
    """safetensors.torch.save_file for F32 tensors, by hand: keys sorted, data in that order, the
    header padded with spaces to 8 bytes; written to `name` in this folder."""
    header, blobs, offset = {}, [], 0
    for k in sorted(tensors):
        values = tensors[k].detach().flatten().tolist()
        raw = struct.pack("<%df" % len(values), *values)
        header[k] = {"dtype": "F32", "shape": list(tensors[k].shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))
