#!/usr/bin/python3
"""PyTorch's numbers for every row of xgrad's op tables (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_op_reference.py

For each row: the inputs are drawn from the row's name exactly as tests/helpers.cpp draws them
(FNV-1a + splitmix64), then PyTorch computes the forward values, the gradient of sum(out * w) for
every input, and (for ops that claim it) the gradient of sum_k sum(grad_k * u_k), a second
derivative, with torch.autograd.grad(create_graph=True). Writes tests/reference/ops.txt as
"row<TAB>kind<TAB>values" (and torch.linspace's values the same way), and how PyTorch prints
large tensors to tests/reference/print.txt. The output is committed; CI does not need PyTorch.

To add an op: add its row here with the same name, shapes and domain as in its test file.
"""
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)
here = os.path.dirname(os.path.abspath(__file__))
from streams import Stream, make_inputs, numel, random_like, row_lines, fmt  # noqa: E402


CLASSES = torch.tensor([3, 0, 1])
rows = []  # (name, shapes, fn, domain, second_order)


def row(name, shapes, fn, domain="any", second=True):
    rows.append((name, shapes, fn, domain, second))


def first(name, shapes, fn, domain="any"):
    row(name, shapes, fn, domain, second=False)


# ---- tests/test_ops_elementwise.cpp ----
row("add: grad, equal shapes [2, 3]", [[2, 3], [2, 3]], lambda x: x[0] + x[1])
row("add: grad, broadcast [4, 1, 3] + [2, 3]", [[4, 1, 3], [2, 3]], lambda x: x[0] + x[1])
row("add: grad, broadcast [3] + [2, 3]", [[3], [2, 3]], lambda x: x[0] + x[1])
row("add: grad, 0-d scalar + matrix", [[], [2, 3]], lambda x: x[0] + x[1])
row("add: grad, tensor + float", [[2, 3]], lambda x: 2.5 + x[0] + 1.0)
row("sub: grad, broadcast [3, 1] - [1, 4]", [[3, 1], [1, 4]], lambda x: x[0] - x[1])
row("sub: grad, float - tensor and tensor - float", [[2, 3]], lambda x: (1.0 - x[0]) - 2.0)
row("mul: grad, equal shapes [2, 3]", [[2, 3], [2, 3]], lambda x: x[0] * x[1])
row("mul: grad, broadcast [3, 1] * [1, 4]", [[3, 1], [1, 4]], lambda x: x[0] * x[1])
row("mul: grad, broadcast [4, 1, 3] * [2, 3]", [[4, 1, 3], [2, 3]], lambda x: x[0] * x[1])
row("mul: grad, scalar [1] * matrix [2, 3]", [[1], [2, 3]], lambda x: x[0] * x[1])
row("mul: grad, tensor * float", [[2, 3]], lambda x: 3.0 * x[0] * 0.5)
row("mul: grad, same tensor twice x * x", [[2, 3]], lambda x: x[0] * x[0])
row("div: grad, equal shapes", [[2, 3], [2, 3]], lambda x: x[0] / x[1], "positive")
row("div: grad, broadcast [2, 3] / [3]", [[2, 3], [3]], lambda x: x[0] / x[1], "positive")
row("div: grad, broadcast [1] / [2, 3]", [[1], [2, 3]], lambda x: x[0] / x[1], "positive")
row("div: grad, float / tensor and tensor / float", [[2, 3]], lambda x: 2.0 / x[0] * (1.0 / 4.0), "positive")
row("neg: grad", [[2, 3]], lambda x: -x[0])
row("exp: grad", [[2, 3]], lambda x: torch.exp(x[0]))
row("log: grad", [[2, 3]], lambda x: torch.log(x[0]), "positive")
row("sqrt: grad", [[2, 3]], lambda x: torch.sqrt(x[0]), "positive")
row("pow: grad, float exponent 3", [[2, 3]], lambda x: torch.pow(x[0], 3.0))
row("pow: grad, float exponent -1.5", [[2, 3]], lambda x: torch.pow(x[0], -1.5), "positive")
row("pow: grad, tensor exponent broadcast [2, 3] ^ [3]", [[2, 3], [3]], lambda x: torch.pow(x[0], x[1]), "positive")
row("abs: grad", [[2, 3]], lambda x: torch.abs(x[0]), "off_zero")
row("sin: grad", [[2, 3]], lambda x: torch.sin(x[0] * 3.0))
row("cos: grad", [[2, 3]], lambda x: torch.cos(x[0] * 3.0))
row("erf: grad", [[2, 3]], lambda x: torch.erf(x[0] * 2.0))
row("composite: grad, exp(sin(a) * b) / (1 + b²)", [[2, 3], [3]],
    lambda x: torch.exp(torch.sin(x[0]) * x[1]) / (1.0 + x[1] * x[1]))

# ---- tests/test_ops_compare.cpp ----
# distinct inputs (a ramp 0.1 apart: -0.6 ... 0.5 for 12 values) keep clamp's bounds off them.
row("clamp: grad, min -0.35 max 0.25", [[3, 4]], lambda x: torch.clamp(x[0], -0.35, 0.25), "distinct")
row("clamp: grad, min only -0.15", [[3, 4]], lambda x: torch.clamp(x[0], min=-0.15), "distinct")
row("clamp: grad, max only 0.25", [[2, 3]], lambda x: torch.clamp(x[0], max=0.25), "distinct")
row("clamp: grad, min above max gives max", [[2, 3]], lambda x: torch.clamp(x[0], 0.25, -0.15), "distinct")
row("clamp: grad, clamp(x) * x", [[3, 4]], lambda x: torch.clamp(x[0], -0.35, 0.25) * x[0], "distinct")
row("clamp_min: grad", [[3, 4]], lambda x: torch.clamp_min(x[0], 0.05), "distinct")
row("clamp_max: grad", [[3, 4]], lambda x: torch.clamp_max(x[0], -0.05), "distinct")
row("maximum: grad, equal shapes [2, 3]", [[2, 3], [2, 3]], lambda x: torch.maximum(x[0], x[1]))
row("maximum: grad, broadcast [3, 1] and [1, 4]", [[3, 1], [1, 4]], lambda x: torch.maximum(x[0], x[1]))
row("maximum: grad, maximum(a, b) * a", [[2, 3], [3]], lambda x: torch.maximum(x[0], x[1]) * x[0])
row("minimum: grad, equal shapes [2, 3]", [[2, 3], [2, 3]], lambda x: torch.minimum(x[0], x[1]))
row("minimum: grad, broadcast [2, 3] and [3]", [[2, 3], [3]], lambda x: torch.minimum(x[0], x[1]))
row("minimum: grad, minimum(a, b) * b", [[4, 1, 3], [2, 3]], lambda x: torch.minimum(x[0], x[1]) * x[1])
row("where: grad, cond a > 0 picks a or b [2, 3]", [[2, 3], [2, 3]],
    lambda x: torch.where(x[0] > 0, x[0], x[1]), "off_zero")
row("where: grad, broadcast cond [2, 1], a [3], b [2, 3]", [[2, 1], [3], [2, 3]],
    lambda x: torch.where(x[0] > 0, x[1], x[2]), "off_zero")
row("where: grad, float operands", [[2, 3]],
    lambda x: torch.where(x[0] > 0, x[0] * x[0], -0.5) + torch.where(x[0] < 0, 2.0, x[0]), "off_zero")
row("where: grad, where(cond, a * b, b) with b broadcast", [[2, 3], [3]],
    lambda x: torch.where(x[0] > 0, x[0] * x[1], x[1]), "off_zero")

# ---- tests/test_ops_activation.cpp ----
row("relu: grad", [[3, 4]], lambda x: torch.relu(x[0]), "off_zero")
row("leaky_relu: grad, slope 0.1", [[3, 4]], lambda x: F.leaky_relu(x[0], 0.1), "off_zero")
row("sigmoid: grad", [[3, 4]], lambda x: torch.sigmoid(x[0]))
row("tanh: grad", [[3, 4]], lambda x: torch.tanh(x[0]))
row("gelu: grad, exact (erf)", [[3, 4]], lambda x: F.gelu(x[0]))
row("gelu: grad, tanh approximation", [[3, 4]], lambda x: F.gelu(x[0], approximate="tanh"))
row("softmax: grad, dim 1", [[3, 4]], lambda x: torch.softmax(x[0], 1))
row("softmax: grad, dim 0 of 3-D", [[3, 2, 4]], lambda x: torch.softmax(x[0], 0))
row("log_softmax: grad, dim -1", [[3, 4]], lambda x: torch.log_softmax(x[0], -1))
row("log_softmax: grad, dim 1 of 3-D", [[2, 3, 4]], lambda x: torch.log_softmax(x[0], 1))

# ---- tests/test_ops_reduce.cpp ----
row("sum: grad, all elements", [[2, 3, 4]], lambda x: torch.sum(x[0]))
row("sum: grad, dim 0", [[2, 3, 4]], lambda x: torch.sum(x[0], 0))
row("sum: grad, dim 1 keepdim", [[2, 3, 4]], lambda x: torch.sum(x[0], 1, keepdim=True))
row("sum: grad, dim -1", [[2, 3, 4]], lambda x: torch.sum(x[0], -1))
row("sum: grad, dim -1 keepdim", [[2, 3, 4]], lambda x: torch.sum(x[0], -1, keepdim=True))
row("mean: grad, all elements", [[2, 3]], lambda x: torch.mean(x[0]))
row("mean: grad, dim 1", [[2, 3, 4]], lambda x: torch.mean(x[0], 1))
row("mean: grad, dim -3 keepdim", [[2, 3, 4]], lambda x: torch.mean(x[0], -3, keepdim=True))
row("max: grad, all elements", [[3, 4]], lambda x: torch.max(x[0]), "distinct")
row("max: grad, dim 0", [[3, 4]], lambda x: torch.max(x[0], 0).values, "distinct")
row("max: grad, dim 1 keepdim", [[2, 3, 4]], lambda x: torch.max(x[0], 1, keepdim=True).values, "distinct")
row("max: grad, dim -1", [[2, 3, 4]], lambda x: torch.max(x[0], -1).values, "distinct")

# ---- tests/test_ops_matmul.cpp ----
row("matmul: grad, [3, 4] @ [4, 5]", [[3, 4], [4, 5]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, [1, 4] @ [4, 1]", [[1, 4], [4, 1]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, vector [4] @ [4, 3]", [[4], [4, 3]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, [3, 4] @ vector [4]", [[3, 4], [4]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, dot [4] @ [4]", [[4], [4]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, batched [2, 3, 4] @ [2, 4, 5]", [[2, 3, 4], [2, 4, 5]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, batched [2, 3, 4] @ shared [4, 5]", [[2, 3, 4], [4, 5]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, shared [3, 4] @ batched [2, 4, 5]", [[3, 4], [2, 4, 5]], lambda x: torch.matmul(x[0], x[1]))
row("linear: grad, x [3, 4], weight [5, 4], bias [5]", [[3, 4], [5, 4], [5]], lambda x: F.linear(x[0], x[1], x[2]))
row("linear: grad, without bias", [[3, 4], [2, 4]], lambda x: F.linear(x[0], x[1]))

# ---- tests/test_ops_shape.cpp ----
row("reshape: grad, [2, 3, 4] -> [4, -1]", [[2, 3, 4]], lambda x: torch.reshape(x[0], (4, -1)))
row("view: grad, [6] -> [2, 3]", [[6]], lambda x: x[0].view(2, 3))
row("flatten: grad, dims 1..-1", [[2, 3, 4]], lambda x: torch.flatten(x[0], 1))
row("transpose: grad, dims 0 and 2", [[2, 3, 4]], lambda x: torch.transpose(x[0], 0, 2))
row("t: grad, [3, 4]", [[3, 4]], lambda x: x[0].t())
row("permute: grad, (2, 0, 1)", [[2, 3, 4]], lambda x: x[0].permute(2, 0, 1))
row("squeeze: grad, all size-1 dims", [[2, 1, 3, 1]], lambda x: torch.squeeze(x[0]))
row("squeeze: grad, dim -1", [[2, 1, 3, 1]], lambda x: torch.squeeze(x[0], -1))
row("unsqueeze: grad, dim 1", [[2, 3]], lambda x: torch.unsqueeze(x[0], 1))
row("cat: grad, dim 0 of [2, 3] and [1, 3]", [[2, 3], [1, 3]], lambda x: torch.cat([x[0], x[1]], 0))
row("cat: grad, dim -1 of [2, 3] and [2, 2]", [[2, 3], [2, 2]], lambda x: torch.cat([x[0], x[1]], -1))
row("stack: grad, dim 1 of two [2, 3]", [[2, 3], [2, 3]], lambda x: torch.stack([x[0], x[1]], 1))
row("slice: grad, dim 1 [1:4:2]", [[2, 5]], lambda x: x[0][:, 1:4:2])
row("select: grad, dim 0 index -1", [[3, 4]], lambda x: x[0][-1])
row("index_select: grad, repeated rows", [[3, 2]], lambda x: torch.index_select(x[0], 0, torch.tensor([2, 0, 2])))
row("clone: grad", [[2, 2]], lambda x: x[0].clone())


def scaled_cat(pieces, dim):  # each piece times its position + 1, joined again: one output per row
    return torch.cat([p * (i + 1) for i, p in enumerate(pieces)], dim)


row("split: grad, split_size 2 of 5 rows", [[5, 3]], lambda x: scaled_cat(torch.split(x[0], 2), 0))
row("split: grad, sizes {1, 3} along dim -1", [[2, 4]], lambda x: scaled_cat(torch.split(x[0], [1, 3], -1), -1))
row("split: grad, only the second piece used", [[6, 2]], lambda x: torch.split(x[0], 4)[1] * torch.split(x[0], 4)[1])
row("chunk: grad, 3 chunks of 7 along dim 1", [[2, 7]], lambda x: scaled_cat(torch.chunk(x[0], 3, 1), 1))
row("chunk: grad, 4 chunks of 6 rows gives 3", [[6, 2]], lambda x: scaled_cat(torch.chunk(x[0], 4), 0))

# ---- tests/test_ops_conv.cpp (first-order kernels) ----
first("conv2d: grad, [2, 3, 5, 5] * [4, 3, 3, 3] + bias", [[2, 3, 5, 5], [4, 3, 3, 3], [4]],
      lambda x: F.conv2d(x[0], x[1], x[2]))
first("conv2d: grad, stride 2, padding 1", [[2, 2, 6, 5], [3, 2, 3, 3], [3]],
      lambda x: F.conv2d(x[0], x[1], x[2], stride=2, padding=1))
first("conv2d: grad, 1x1 kernel, no bias", [[1, 3, 4, 4], [2, 3, 1, 1]], lambda x: F.conv2d(x[0], x[1]))
first("max_pool2d: grad, 2x2", [[2, 3, 4, 6]], lambda x: F.max_pool2d(x[0], 2), "distinct")
first("max_pool2d: grad, 3x3 stride 2 padding 1", [[1, 2, 5, 5]], lambda x: F.max_pool2d(x[0], 3, 2, 1), "distinct")
first("avg_pool2d: grad, 2x2", [[2, 3, 4, 6]], lambda x: F.avg_pool2d(x[0], 2))
first("avg_pool2d: grad, 3x3 stride 1 padding 1", [[1, 2, 4, 4]], lambda x: F.avg_pool2d(x[0], 3, 1, 1))
first("conv_transpose2d: grad, [2, 3, 4, 4] with [3, 2, 3, 3] + bias", [[2, 3, 4, 4], [3, 2, 3, 3], [2]],
      lambda x: F.conv_transpose2d(x[0], x[1], x[2]))
first("conv_transpose2d: grad, stride 2, padding 1, output_padding 1", [[2, 2, 3, 4], [2, 3, 3, 3], [3]],
      lambda x: F.conv_transpose2d(x[0], x[1], x[2], stride=2, padding=1, output_padding=1))
first("conv_transpose2d: grad, 2x2 kernel stride 2, no bias", [[1, 3, 3, 3], [3, 2, 2, 2]],
      lambda x: F.conv_transpose2d(x[0], x[1], stride=2))
first("conv_transpose2d: grad, 2x3 kernel, stride 3, padding 2, output_padding 2", [[1, 2, 4, 3], [2, 2, 2, 3], [2]],
      lambda x: F.conv_transpose2d(x[0], x[1], x[2], stride=3, padding=2, output_padding=2))

# ---- tests/test_ops_resample.cpp (linear maps: any order) ----
row("adaptive_avg_pool2d: grad, [2, 3, 7, 5] -> (3, 2)", [[2, 3, 7, 5]], lambda x: F.adaptive_avg_pool2d(x[0], (3, 2)))
row("adaptive_avg_pool2d: grad, output 1 (global)", [[2, 3, 4, 4]], lambda x: F.adaptive_avg_pool2d(x[0], 1))
row("adaptive_avg_pool2d: grad, 3x3 -> 5x4 (overlapping windows)", [[1, 2, 3, 3]],
    lambda x: F.adaptive_avg_pool2d(x[0], (5, 4)))
row("interpolate: grad, nearest size (7, 5) from 3x4", [[1, 2, 3, 4]],
    lambda x: F.interpolate(x[0], size=(7, 5), mode="nearest"))
row("interpolate: grad, nearest scale_factor 2", [[1, 2, 3, 3]], lambda x: F.interpolate(x[0], scale_factor=2.0))
row("interpolate: grad, nearest scale_factor 1.7", [[1, 1, 5, 4]], lambda x: F.interpolate(x[0], scale_factor=1.7))
row("interpolate: grad, nearest size 2 from 5x5", [[1, 2, 5, 5]], lambda x: F.interpolate(x[0], size=2))
row("interpolate: grad, bilinear size (5, 7) from 3x4", [[2, 1, 3, 4]],
    lambda x: F.interpolate(x[0], size=(5, 7), mode="bilinear", align_corners=False))
row("interpolate: grad, bilinear size (5, 7) from 3x4 align_corners", [[2, 1, 3, 4]],
    lambda x: F.interpolate(x[0], size=(5, 7), mode="bilinear", align_corners=True))
row("interpolate: grad, bilinear scale_factor 2", [[1, 2, 3, 3]],
    lambda x: F.interpolate(x[0], scale_factor=2.0, mode="bilinear"))
row("interpolate: grad, bilinear scale_factor 1.7", [[1, 1, 5, 4]],
    lambda x: F.interpolate(x[0], scale_factor=1.7, mode="bilinear"))
row("interpolate: grad, bilinear scale_factor 1.7 recompute_scale_factor", [[1, 1, 5, 4]],
    lambda x: F.interpolate(x[0], scale_factor=1.7, mode="bilinear", recompute_scale_factor=True))
row("interpolate: grad, bilinear scale_factor (2.5, 0.6) align_corners", [[1, 1, 3, 5]],
    lambda x: F.interpolate(x[0], scale_factor=(2.5, 0.6), mode="bilinear", align_corners=True))
row("interpolate: grad, bilinear 6x6 -> 4x3", [[1, 2, 6, 6]],
    lambda x: F.interpolate(x[0], size=(4, 3), mode="bilinear"))
row("interpolate: grad, bilinear size 1 align_corners", [[1, 2, 3, 4]],
    lambda x: F.interpolate(x[0], size=1, mode="bilinear", align_corners=True))
row("interpolate: grad, bilinear then squared", [[1, 1, 3, 3]],
    lambda x: F.interpolate(x[0], scale_factor=2.0, mode="bilinear") ** 2)

# ---- tests/test_ops_norm.cpp (first-order kernels) ----
first("batch_norm: grad, training, [6, 3] with weight and bias", [[6, 3], [3], [3]],
      lambda x: F.batch_norm(x[0], None, None, x[1], x[2], training=True))
first("batch_norm: grad, training, [2, 3, 2, 2]", [[2, 3, 2, 2], [3], [3]],
      lambda x: F.batch_norm(x[0], None, None, x[1], x[2], training=True))
first("batch_norm: grad, eval with running statistics", [[4, 3], [3], [3]],
      lambda x: F.batch_norm(x[0], torch.tensor([0.1, -0.2, 0.3]), torch.tensor([1.5, 0.5, 2.0]), x[1], x[2],
                             training=False))

# ---- tests/test_loss.cpp ----
row("mse_loss: grad for input and target", [[2, 3], [2, 3]], lambda v: F.mse_loss(v[0], v[1]))
row("l1_loss: grad, sum", [[2, 3], [2, 3]], lambda v: F.l1_loss(v[0], v[1] + 3.0, reduction="sum"))
row("binary_cross_entropy_with_logits: grad for input and target", [[2, 3], [2, 3]],
    lambda v: F.binary_cross_entropy_with_logits(v[0] * 3.0, torch.sigmoid(v[1])))
row("nll_loss: grad, sum", [[3, 4]], lambda v: F.nll_loss(v[0], CLASSES, reduction="sum"))
row("nll_loss: grad, none", [[3, 4]], lambda v: F.nll_loss(v[0], CLASSES, reduction="none"))
first("binary_cross_entropy: grad for input and target", [[2, 3], [2, 3]],
      lambda v: F.binary_cross_entropy(torch.sigmoid(v[0]), torch.sigmoid(v[1]), reduction="none"))
first("cross_entropy: grad, mean", [[3, 4]], lambda v: F.cross_entropy(v[0], CLASSES))
first("cross_entropy: grad, none", [[3, 4]], lambda v: F.cross_entropy(v[0], CLASSES, reduction="none"))

# ---- tests/test_docs.cpp (docs/4-adding-an-op.md's example op, not in core) ----
row("softplus: grad", [[3, 4]], lambda x: F.softplus(x[0]))

# ---- tests/test_ops_index.cpp (masked_fill, tril, triu, gather, embedding; matmul over batch dims) ----
# Masks and indices are constants, written out the same way in the test file.
MASK34 = torch.tensor([[0, 1, 0, 0], [1, 0, 0, 1], [0, 0, 1, 1]], dtype=torch.bool)
MASK4 = torch.tensor([0, 1, 1, 0], dtype=torch.bool)
row("masked_fill: grad, mask [3, 4]", [[3, 4]], lambda x: x[0].masked_fill(MASK34, -2.5))
row("masked_fill: grad, mask [4] broadcast over [3, 4]", [[3, 4]], lambda x: x[0].masked_fill(MASK4, 0.5))
row("masked_fill: grad, input [4] broadcast to mask [3, 4]", [[4]], lambda x: torch.masked_fill(x[0], MASK34, 3.0))
row("masked_fill: grad, -inf then softmax", [[3, 4]], lambda x: torch.softmax(x[0].masked_fill(MASK34, -math.inf), -1))
row("tril: grad, [4, 3]", [[4, 3]], lambda x: torch.tril(x[0]))
row("tril: grad, diagonal -1 of [2, 3, 4]", [[2, 3, 4]], lambda x: x[0].tril(-1))
row("triu: grad, diagonal 1 of [3, 4]", [[3, 4]], lambda x: torch.triu(x[0], 1))
row("triu: grad, diagonal -2 of [2, 4, 3] squared", [[2, 4, 3]], lambda x: x[0].triu(-2) ** 2)
row("gather: grad, dim 1 with repeated indices", [[3, 4]],
    lambda x: torch.gather(x[0], 1, torch.tensor([[0, 3, 3], [1, 1, 0], [2, 0, 3]])))
row("gather: grad, dim 0 of [3, 4] index [2, 4]", [[3, 4]],
    lambda x: x[0].gather(0, torch.tensor([[2, 0, 1, 2], [2, 2, 0, 1]])))
row("gather: grad, dim -1 of [2, 3, 4] index [2, 2, 2] squared", [[2, 3, 4]],
    lambda x: x[0].gather(-1, torch.tensor([[[3, 0], [1, 1]], [[2, 2], [0, 3]]])) ** 2)
row("embedding: grad, repeated indices", [[5, 3]],
    lambda x: F.embedding(torch.tensor([[0, 4, 4], [2, 0, 1]]), x[0]))
row("embedding: grad, padding_idx 4", [[5, 3]],
    lambda x: F.embedding(torch.tensor([[0, 4, 4], [2, 0, 1]]), x[0], padding_idx=4))
row("embedding: grad, times itself", [[4, 2]], lambda x: F.embedding(torch.tensor([3, 3, 1]), x[0]) ** 2)
row("matmul: grad, 4-D [2, 3, 2, 4] @ [2, 3, 4, 5]", [[2, 3, 2, 4], [2, 3, 4, 5]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, broadcast batch [2, 1, 3, 4] @ [3, 4, 2]", [[2, 1, 3, 4], [3, 4, 2]],
    lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, 4-D [2, 2, 3, 4] @ shared [4, 5]", [[2, 2, 3, 4], [4, 5]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, shared [3, 4] @ 4-D [2, 2, 4, 5]", [[3, 4], [2, 2, 4, 5]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, vector [4] @ 4-D [2, 3, 4, 5]", [[4], [2, 3, 4, 5]], lambda x: torch.matmul(x[0], x[1]))
row("matmul: grad, 4-D [2, 3, 2, 4] @ vector [4]", [[2, 3, 2, 4], [4]], lambda x: torch.matmul(x[0], x[1]))

# ---- tests/test_layer_norm.cpp (first-order kernel) ----
first("layer_norm: grad, [3, 4] over [4] with weight and bias", [[3, 4], [4], [4]],
      lambda x: F.layer_norm(x[0], (4,), x[1], x[2]))
first("layer_norm: grad, [2, 3, 4] over [3, 4] with weight and bias", [[2, 3, 4], [3, 4], [3, 4]],
      lambda x: F.layer_norm(x[0], (3, 4), x[1], x[2]))
first("layer_norm: grad, [2, 5] without affine, eps 0.1", [[2, 5]], lambda x: F.layer_norm(x[0], (5,), eps=0.1))

# ---- tests/test_attention.cpp ----
MASK35 = torch.tensor([[0.0, -math.inf, 0.5, 0.0, -1.0], [-math.inf, 0.0, 0.0, -math.inf, 0.25],
                       [0.0, 0.0, 0.0, 0.0, -math.inf]])


def sdpa(q, k, v, mask=None, causal=False):
    """PyTorch 2.0's scaled_dot_product_attention (math path; 1.13 doesn't have it), q scaled first."""
    s = (q / math.sqrt(q.size(-1))) @ k.transpose(-2, -1)
    if causal:
        s = s.masked_fill(torch.ones(q.size(-2), k.size(-2)).triu(1).bool(), -math.inf)
    if mask is not None:
        s = s + mask
    return torch.softmax(s, -1) @ v


row("scaled_dot_product_attention: grad, q [2, 3, 4] k [2, 5, 4] v [2, 5, 2]", [[2, 3, 4], [2, 5, 4], [2, 5, 2]],
    lambda x: sdpa(x[0] * 2.0, x[1], x[2]))
row("scaled_dot_product_attention: grad, causal [2, 2, 3, 4]", [[2, 2, 3, 4], [2, 2, 3, 4], [2, 2, 3, 4]],
    lambda x: sdpa(x[0] * 2.0, x[1], x[2], causal=True))
row("scaled_dot_product_attention: grad, additive mask [3, 5] with -inf", [[2, 3, 4], [2, 5, 4], [2, 5, 3]],
    lambda x: sdpa(x[0] * 2.0, x[1], x[2], MASK35))
row("scaled_dot_product_attention: grad, mask [2, 1, 3, 5] needing grad", [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 3],
                                                                            [2, 1, 3, 5]],
    lambda x: sdpa(x[0], x[1], x[2], x[3]))
row("scaled_dot_product_attention: grad, key and value batch [1, 2] broadcast", [[2, 2, 3, 4], [1, 2, 5, 4],
                                                                                  [1, 2, 5, 3]],
    lambda x: sdpa(x[0], x[1], x[2]))

# Values with no gradient, written as "name<TAB>forward<TAB>values": torch.linspace in float32
# (tests/test_tensor.cpp builds the same names).
LINSPACE = [(-1.0, 1.0, 7), (0.0, 1.0, 100), (-3.7, 12.1, 1001), (5.0, -2.0, 33), (0.1, 0.7, 1000),
            (-10.0, 10.0, 5000), (3.0, 3.0, 4), (2.0, 5.0, 1), (0.0, 1.0, 2), (1e6, -1e6, 77), (0.0, 1.0, 0),
            (-math.pi, math.pi, 2000), (0.0, 1.0, 20), (-2.0, 7.0, 31), (0.0, 1.0, 4099)]


lines = ["# made by make_op_reference.py with torch %s; row<TAB>kind<TAB>values" % torch.__version__]
for name, shapes, fn, domain, second in rows:
    x = make_inputs(name, shapes, domain)
    out = fn(x)
    lines += row_lines(name, x, out, second)

for start, end, steps in LINSPACE:
    lines.append("linspace(%r, %r, %d)\tforward\t%s" % (start, end, steps, fmt(torch.linspace(start, end, steps))))

with open(os.path.join(here, "ops.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote %d rows to tests/reference/ops.txt" % len(rows))

# How PyTorch prints large tensors (summarised above 1000 elements), for tests/test_tensor.cpp:
# each case is arange(n) * scale + shift reshaped, values exact in float and kept where PyTorch
# prints 4 fixed decimals, as xgrad always does. Written as "=== name" followed by the text.
PRINT = [((2, 784), 0.25, -100.0, False), ((2000,), 0.5, -300.0, False), ((8, 9, 20), 0.125, -100.0, True),
         ((2, 3, 20, 20), 0.25, 1.0, False), ((7, 11, 13), 0.25, 1.0, False), ((2, 600), 0.125, -50.0, True)]
blocks = ["# made by make_op_reference.py with torch %s; '=== name' then str(tensor)" % torch.__version__]
for shape, scale, shift, requires_grad in PRINT:
    t = (torch.arange(float(numel(shape))) * scale + shift).reshape(shape).requires_grad_(requires_grad)
    name = "%s * %r + %r%s" % (list(shape), scale, shift, ", requires_grad" if requires_grad else "")
    blocks.append("=== %s\n%s" % (name, str(t)))
with open(os.path.join(here, "print.txt"), "w") as f:
    f.write("\n".join(blocks) + "\n")
print("wrote %d printing cases to tests/reference/print.txt" % len(PRINT))
