#!/usr/bin/python3
"""PyTorch's numbers for xgrad's sequence layers (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_seq_reference.py

For each case below: a PyTorch layer built with its own default init (seeded), some parameters
perturbed so that none of them is trivially 0 or 1, its state dict written as
torch_<file>.safetensors, and its output on inputs drawn from the case's name (as
tests/helpers.cpp draws them) written to seq_reference.txt as "case<TAB>kind<TAB>values":
"forward" (and "weights" for attention), then the gradient of sum(out * w) (w drawn from
"<case>#w") for each input ("grad.input.K") and each parameter ("grad.<name>"). The C++ tests in
tests/test_embedding.cpp, test_layer_norm.cpp and test_attention.cpp load the file into xgrad's
layer and check all of it. The safetensors files are written by hand from the format description
(as make_state_dict_reference.py does: the safetensors package isn't installed here).
"""
import math
import os

import torch

torch.set_default_dtype(torch.float32)
here = os.path.dirname(os.path.abspath(__file__))
from streams import Stream, fmt, random_like, save_file  # noqa: E402




lines = ["# made by make_seq_reference.py with torch %s; case<TAB>kind<TAB>values" % torch.__version__]


def emit(case, kind, t):
    lines.append("%s\t%s\t%s" % (case, kind, fmt(t)))


def perturb(module, scale=0.5):
    """Adds noise to every parameter, so a state dict that loads wrongly can't pass by luck."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape) * scale)


def inputs(case, shapes):
    s = Stream(case)
    return [random_like(s, shape).requires_grad_(True) for shape in shapes]


def check(case, module, file, out, xs, weights=None):
    """Writes the state dict, the forward values and the gradients of sum(out * w)."""
    save_file(module.state_dict(), file)
    emit(case, "forward", out)
    if weights is not None:
        emit(case, "weights", weights)
    w = random_like(Stream(case + "#w"), list(out.shape))
    params = dict(module.named_parameters())
    grads = torch.autograd.grad((out * w).sum(), xs + list(params.values()), allow_unused=True)
    for k, g in enumerate(grads[:len(xs)]):
        emit(case, "grad.input.%d" % k, torch.zeros_like(xs[k]) if g is None else g)
    for (name, p), g in zip(params.items(), grads[len(xs):]):
        emit(case, "grad." + name, torch.zeros_like(p) if g is None else g)


# ---- tests/test_embedding.cpp ----
torch.manual_seed(1)
case = "Embedding(10, 3, padding_idx=1)"
emb = torch.nn.Embedding(10, 3, padding_idx=1)
assert float(emb.weight[1].abs().sum()) == 0.0  # PyTorch's init zeroes the padding row
idx = torch.tensor([[1, 4, 4, 9], [0, 1, 2, 9]])
check(case, emb, "torch_embedding.safetensors", emb(idx), [])

# ---- tests/test_layer_norm.cpp ----
torch.manual_seed(2)
case = "LayerNorm([3, 4])"
ln = torch.nn.LayerNorm([3, 4])
perturb(ln)
x = inputs(case, [[2, 3, 3, 4]])
check(case, ln, "torch_layer_norm.safetensors", ln(x[0] * 3.0 + 1.0), x)

# ---- tests/test_attention.cpp ----
# Cross-attention, batch_first, both masks: query [2, 3, 8], key and value [2, 4, 8].
torch.manual_seed(3)
case = "MultiheadAttention(8, 2) batch_first with both masks"
mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
perturb(mha, 0.2)
x = inputs(case, [[2, 3, 8], [2, 4, 8], [2, 4, 8]])
kpm = torch.tensor([[False, False, False, True], [False, False, True, True]])
mask = torch.tensor([[0.0, -1.5, 0.0, 0.0], [0.0, 0.0, -math.inf, 0.0], [0.5, 0.0, 0.0, 0.0]])
out, weights = mha(x[0], x[1], x[2], key_padding_mask=kpm, attn_mask=mask)
check(case, mha, "torch_mha_cross.safetensors", out, x, weights)
# The same with a 3-D float mask [N·num_heads, L, S] (entry b·num_heads + h is batch b, head h).
mask3 = random_like(Stream(case + "#mask3"), [4, 3, 4])
with torch.no_grad():
    out, weights = mha(x[0], x[1], x[2], attn_mask=mask3, average_attn_weights=False)
emit(case, "forward.mask3d", out)
emit(case, "weights.mask3d", weights)

# Self-attention, sequence first [L, N, E], a causal float mask, per-head weights.
torch.manual_seed(4)
case = "MultiheadAttention(6, 3) self-attention causal per-head weights"
mha = torch.nn.MultiheadAttention(6, 3)
perturb(mha, 0.2)
x = inputs(case, [[4, 2, 6]])
causal = torch.nn.Transformer.generate_square_subsequent_mask(4)
out, weights = mha(x[0], x[0], x[0], attn_mask=causal, average_attn_weights=False)
check(case, mha, "torch_mha_self.safetensors", out, x, weights)

# A batch entry whose keys are all padding: PyTorch 1.13 (the slow path, taken when grad is on)
# gives NaN for its outputs and weights. Same module file as the cross-attention case.
case = "MultiheadAttention(8, 2) fully padded batch entry"
torch.manual_seed(3)
mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
perturb(mha, 0.2)
x = inputs(case, [[2, 3, 8], [2, 4, 8]])
out, weights = mha(x[0], x[1], x[1], key_padding_mask=torch.tensor([[False, True, False, False], [True] * 4]))
# The tables are read with C++ streams, which don't parse "nan": NaN positions go in their own
# 0/1 lines and the values with NaN replaced by 0.
for kind, t in [("forward", out), ("weights", weights)]:
    emit(case, kind, torch.nan_to_num(t, nan=0.0))
    emit(case, kind + ".isnan", torch.isnan(t).float())

# A pre-norm GELU encoder block, batch_first, with a key padding mask.
torch.manual_seed(5)
case = "TransformerEncoderLayer(8, 2, 16) norm_first gelu"
enc = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", batch_first=True,
                                       norm_first=True)
perturb(enc, 0.2)
x = inputs(case, [[2, 5, 8]])
out = enc(x[0], src_key_padding_mask=torch.tensor([[False] * 5, [False, False, False, True, True]]))
check(case, enc, "torch_encoder_layer.safetensors", out, x)

# The same block post-norm with ReLU (PyTorch's defaults), sequence first, causal mask.
torch.manual_seed(6)
case = "TransformerEncoderLayer(8, 4, 12) post-norm relu"
enc = torch.nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0)
perturb(enc, 0.2)
x = inputs(case, [[3, 2, 8]])
out = enc(x[0], src_mask=torch.nn.Transformer.generate_square_subsequent_mask(3))
check(case, enc, "torch_encoder_layer_post.safetensors", out, x)

with open(os.path.join(here, "seq_reference.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote %d lines to tests/reference/seq_reference.txt" % (len(lines) - 1))
