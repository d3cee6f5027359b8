#!/usr/bin/python3
"""PyTorch's numbers for the loss rows of tests/test_loss.cpp (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_loss_reference.py

Each row names its inputs' shapes and domain; the inputs are drawn from the row's name exactly as
tests/helpers.cpp draws them (FNV-1a + splitmix64, the same as make_op_reference.py). The row's
constants (class-index targets, class weights, pos_weight) are written to the file too, so this
script is their one source: the C++ row reads them back by name. For each row PyTorch computes
the forward values, the gradient of sum(out * w) for every input and, for rows differentiable to
any order, the gradient of sum_k sum(grad_k * u_k) (a second derivative). Writes
tests/reference/loss.txt as "row<TAB>kind<TAB>values", kind being const.NAME, forward, grad.K or
grad2.K. The output is committed; CI does not need PyTorch.

To add a row: add it here and in tests/test_loss.cpp with the same name, then run this script.
"""
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)
here = os.path.dirname(os.path.abspath(__file__))
from streams import Stream, make_inputs, numel, random_like, row_lines, fmt  # noqa: E402


rows = []  # (name, shapes, fn, domain, second_order, constants)


def row(name, shapes, fn, const=None, domain="any", second=True):
    rows.append((name, shapes, fn, domain, second, const or {}))


def first(name, shapes, fn, const=None, domain="any"):
    row(name, shapes, fn, const, domain, second=False)


def idx(values):
    return torch.tensor(values, dtype=torch.long)


# Class-index targets (ignore_index -100 unless a row says otherwise) and class weights.
T5 = idx([3, 0, -100, 1, 3])           # 5 samples of 4 classes, one ignored
T5_ALL = idx([3, 0, 2, 1, 3])
W4 = torch.tensor([0.5, 2.0, 1.0, 1.5])
T_2x2x2 = idx([[[0, 2], [1, 1]], [[2, 0], [-100, 1]]])  # [N=2, d1=2, d2=2] of 3 classes
W3 = torch.tensor([1.5, 0.25, 1.0])
T_2x3 = idx([[3, -100, 0], [1, 2, 3]])  # [N=2, d=3] of 4 classes
C = {"target": T5, "weight": W4}

# ---- cross_entropy: a fused first-order kernel ----
first("cross_entropy: weight / mean", [[5, 4]], lambda x: F.cross_entropy(x[0], T5_ALL, weight=W4),
      {"target": T5_ALL, "weight": W4})
first("cross_entropy: weight / sum", [[5, 4]], lambda x: F.cross_entropy(x[0], T5_ALL, weight=W4, reduction="sum"),
      {"target": T5_ALL, "weight": W4})
first("cross_entropy: weight and ignore_index / mean", [[5, 4]], lambda x: F.cross_entropy(x[0], T5, weight=W4), C)
first("cross_entropy: weight and ignore_index / none", [[5, 4]],
      lambda x: F.cross_entropy(x[0], T5, weight=W4, reduction="none"), C)
first("cross_entropy: ignore_index 3 (a real class) / mean", [[5, 4]],
      lambda x: F.cross_entropy(x[0], T5_ALL, ignore_index=3), {"target": T5_ALL})
first("cross_entropy: label_smoothing 0.2 / mean", [[5, 4]],
      lambda x: F.cross_entropy(x[0], T5_ALL, label_smoothing=0.2), {"target": T5_ALL})
first("cross_entropy: label_smoothing 0.2 with ignore_index / none", [[5, 4]],
      lambda x: F.cross_entropy(x[0], T5, label_smoothing=0.2, reduction="none"), {"target": T5})
first("cross_entropy: label_smoothing 0.3 with weight and ignore_index / mean", [[5, 4]],
      lambda x: F.cross_entropy(x[0], T5, weight=W4, label_smoothing=0.3), C)
first("cross_entropy: label_smoothing 0.3 with weight and ignore_index / sum", [[5, 4]],
      lambda x: F.cross_entropy(x[0], T5, weight=W4, label_smoothing=0.3, reduction="sum"), C)
first("cross_entropy: label_smoothing 0.3 with weight and ignore_index / none", [[5, 4]],
      lambda x: F.cross_entropy(x[0], T5, weight=W4, label_smoothing=0.3, reduction="none"), C)
first("cross_entropy: label_smoothing 1 with weight / mean", [[5, 4]],
      lambda x: F.cross_entropy(x[0], T5, weight=W4, label_smoothing=1.0), C)
first("cross_entropy: [N x C x d1 x d2] with target [N x d1 x d2] / mean", [[2, 3, 2, 2]],
      lambda x: F.cross_entropy(x[0], T_2x2x2), {"target": T_2x2x2})
first("cross_entropy: [N x C x d1 x d2] with weight and label_smoothing / none", [[2, 3, 2, 2]],
      lambda x: F.cross_entropy(x[0], T_2x2x2, weight=W3, label_smoothing=0.1, reduction="none"),
      {"target": T_2x2x2, "weight": W3})
first("cross_entropy: [N x C x d] with weight and label_smoothing / mean", [[2, 4, 3]],
      lambda x: F.cross_entropy(x[0], T_2x3, weight=W4, label_smoothing=0.25), {"target": T_2x3, "weight": W4})
first("cross_entropy: [N x C x d] / sum", [[2, 4, 3]],
      lambda x: F.cross_entropy(x[0], T_2x3, reduction="sum"), {"target": T_2x3})
first("cross_entropy: unbatched [C] with a 0-d target / mean", [[4]],
      lambda x: F.cross_entropy(x[0], idx(2)), {"target": idx(2)})
first("cross_entropy: unbatched [C] with weight and label_smoothing / none", [[4]],
      lambda x: F.cross_entropy(x[0], idx(1), weight=W4, label_smoothing=0.2, reduction="none"),
      {"target": idx(1), "weight": W4})

# ---- cross_entropy with class probabilities (a target of the input's shape): any order ----
row("cross_entropy: class probabilities / mean", [[3, 4], [3, 4]],
    lambda x: F.cross_entropy(x[0], torch.softmax(x[1], 1)))
row("cross_entropy: class probabilities with weight and label_smoothing / none", [[3, 4], [3, 4]],
    lambda x: F.cross_entropy(x[0], torch.softmax(x[1], 1), weight=W4, label_smoothing=0.2, reduction="none"),
    {"weight": W4})
row("cross_entropy: class probabilities [N x C x d] with weight / sum", [[2, 4, 3], [2, 4, 3]],
    lambda x: F.cross_entropy(x[0], torch.softmax(x[1], 1), weight=W4, reduction="sum"), {"weight": W4})
row("cross_entropy: class probabilities unbatched [C] / mean", [[4], [4]],
    lambda x: F.cross_entropy(x[0], torch.softmax(x[1], 0)))

# ---- nll_loss: any order ----
row("nll_loss: weight and ignore_index / mean", [[5, 4]], lambda x: F.nll_loss(x[0], T5, weight=W4), C)
row("nll_loss: weight / none", [[5, 4]], lambda x: F.nll_loss(x[0], T5_ALL, weight=W4, reduction="none"),
    {"target": T5_ALL, "weight": W4})
row("nll_loss: [N x C x d1 x d2] with weight / mean", [[2, 3, 2, 2]],
    lambda x: F.nll_loss(x[0], T_2x2x2, weight=W3), {"target": T_2x2x2, "weight": W3})
row("nll_loss: [N x C x d] / none", [[2, 4, 3]], lambda x: F.nll_loss(x[0], T_2x3, reduction="none"), {"target": T_2x3})
row("nll_loss: unbatched [C] with a 0-d target / sum", [[4]], lambda x: F.nll_loss(x[0], idx(3), reduction="sum"),
    {"target": idx(3)})
row("nll_loss of log_softmax: cross_entropy with weight to second order", [[5, 4]],
    lambda x: F.nll_loss(F.log_softmax(x[0], 1), T5, weight=W4), C)

# ---- binary cross-entropy ----
PW4 = torch.tensor([0.5, 2.0, 3.0, 1.0])
W_ROWS = torch.tensor([[0.5], [1.0], [2.0]])
row("binary_cross_entropy_with_logits: pos_weight [4] / mean", [[3, 4], [3, 4]],
    lambda x: F.binary_cross_entropy_with_logits(x[0] * 3.0, torch.sigmoid(x[1]), pos_weight=PW4),
    {"pos_weight": PW4})
row("binary_cross_entropy_with_logits: pos_weight and weight / none", [[3, 4], [3, 4]],
    lambda x: F.binary_cross_entropy_with_logits(x[0] * 3.0, torch.sigmoid(x[1]), weight=W_ROWS, pos_weight=PW4,
                                                 reduction="none"),
    {"pos_weight": PW4, "weight": W_ROWS})
row("binary_cross_entropy_with_logits: weight [3 x 1] / sum", [[3, 4], [3, 4]],
    lambda x: F.binary_cross_entropy_with_logits(x[0] * 3.0, torch.sigmoid(x[1]), weight=W_ROWS, reduction="sum"),
    {"weight": W_ROWS})
row("binary_cross_entropy_with_logits: pos_weight over the last dim of [2 x 3 x 4] / mean", [[2, 3, 4], [2, 3, 4]],
    lambda x: F.binary_cross_entropy_with_logits(x[0] * 3.0, torch.sigmoid(x[1]), pos_weight=PW4),
    {"pos_weight": PW4})
first("binary_cross_entropy: weight [3 x 1] / mean", [[3, 4], [3, 4]],
      lambda x: F.binary_cross_entropy(torch.sigmoid(x[0]), torch.sigmoid(x[1]), weight=W_ROWS), {"weight": W_ROWS})

# ---- huber_loss, smooth_l1_loss: any order (inputs and targets in (-1, 1), so both zones) ----
row("huber_loss: delta 1 / mean", [[3, 4], [3, 4]], lambda x: F.huber_loss(x[0] * 2.0, x[1]))
row("huber_loss: delta 0.5 / sum", [[3, 4], [3, 4]], lambda x: F.huber_loss(x[0], x[1], reduction="sum", delta=0.5))
row("huber_loss: delta 2.5 / none", [[3, 4], [3, 4]],
    lambda x: F.huber_loss(x[0] * 3.0, x[1], reduction="none", delta=2.5))
row("smooth_l1_loss: beta 1 / mean", [[3, 4], [3, 4]], lambda x: F.smooth_l1_loss(x[0] * 2.0, x[1]))
row("smooth_l1_loss: beta 0.3 / none", [[3, 4], [3, 4]],
    lambda x: F.smooth_l1_loss(x[0], x[1], reduction="none", beta=0.3))
row("smooth_l1_loss: beta 0 is l1_loss / sum", [[3, 4], [3, 4]],
    lambda x: F.smooth_l1_loss(x[0], x[1], reduction="sum", beta=0.0))

# ---- the other reductions of mse_loss and l1_loss ----
row("mse_loss: none", [[2, 3], [2, 3]], lambda x: F.mse_loss(x[0], x[1], reduction="none"))
row("mse_loss: sum", [[2, 3], [2, 3]], lambda x: F.mse_loss(x[0], x[1], reduction="sum"))
row("l1_loss: none", [[2, 3], [2, 3]], lambda x: F.l1_loss(x[0], x[1] + 3.0, reduction="none"))
row("l1_loss: mean", [[2, 3], [2, 3]], lambda x: F.l1_loss(x[0], x[1] + 3.0))


lines = ["# made by make_loss_reference.py with torch %s; row<TAB>kind<TAB>values" % torch.__version__]
for name, shapes, fn, domain, second, const in rows:
    for key, value in const.items():
        lines.append("%s\tconst.%s\t%s" % (name, key, fmt(value)))
    x = make_inputs(name, shapes, domain)
    out = fn(x)
    lines += row_lines(name, x, out, second)

with open(os.path.join(here, "loss.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote %d rows to tests/reference/loss.txt" % len(rows))
