#!/usr/bin/python3
"""PyTorch state dicts for xgrad's checkpoint tests (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_state_dict_reference.py

Writes, next to this script:
  torch_convbn_f32.safetensors   the state dict of the model below after 3 training steps, as
                                 safetensors.torch.save_file writes it: F32, num_batches_tracked I64
  torch_convbn_mixed.safetensors the same model's state dict with the conv in BF16, the Linear in
                                 F16, the BatchNorms in F64 (num_batches_tracked still I64)
  state_dict_reference.txt       the input, PyTorch's eval output for each file, a
                                 BatchNorm1d(momentum=None) trajectory, and dtype conversion bits

The files are written by hand from the format description (the safetensors package isn't
installed here): header keys sorted by name, data laid out widest dtype first then by name, as
safetensors.torch does. The outputs are committed; the tests don't need PyTorch.
"""
import json
import os
import struct

import torch

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)

# [N, 2, 4, 4] -> conv -> BN2d -> ReLU -> flatten -> Linear -> BN1d
model = torch.nn.Sequential(
    torch.nn.Conv2d(2, 3, 3, stride=1, padding=1),
    torch.nn.BatchNorm2d(3),
    torch.nn.ReLU(),
    torch.nn.Flatten(),
    torch.nn.Linear(3 * 4 * 4, 5),
    torch.nn.BatchNorm1d(5),
)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    x = torch.randn(6, 2, 4, 4)
    loss = model(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
model.eval()

DTYPES = {torch.float32: ("F32", "f"), torch.float16: ("F16", "e"), torch.float64: ("F64", "d"),
          torch.int64: ("I64", "q")}


def raw_bytes(t):
    if t.dtype == torch.bfloat16:  # struct has no bfloat16: its bits as uint16
        return t.contiguous().view(torch.int16).numpy().astype("<i2").tobytes(), "BF16"
    name, code = DTYPES[t.dtype]
    values = t.flatten().tolist()
    return struct.pack("<%d%s" % (len(values), code), *values), name


def save_file(tensors, path):
    """safetensors.torch.save_file, by hand."""
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header, blobs, offset = {}, [], 0
    for k, v in items:
        raw, dtype = raw_bytes(v)
        header[k] = {"dtype": dtype, "shape": list(v.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header = {k: header[k] for k in sorted(header)}
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(os.path.join(here, path), "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


lines = []


def emit(name, values):
    lines.append(name + " " + " ".join(repr(float(v)) if isinstance(v, float) else str(v) for v in values))


state = {k: v.detach().clone() for k, v in model.state_dict().items()}
assert state["1.num_batches_tracked"].dtype == torch.int64 and int(state["1.num_batches_tracked"]) == 3
save_file(state, "torch_convbn_f32.safetensors")

x = torch.randn(4, 2, 4, 4)
emit("convbn/input", x.flatten().tolist())
with torch.no_grad():
    emit("convbn/f32/output", model(x).flatten().tolist())

mixed = {}
for k, v in state.items():
    if v.dtype == torch.int64:
        mixed[k] = v
    elif k.startswith("0."):
        mixed[k] = v.to(torch.bfloat16)
    elif k.startswith("4."):
        mixed[k] = v.to(torch.float16)
    else:
        mixed[k] = v.to(torch.float64)
save_file(mixed, "torch_convbn_mixed.safetensors")
model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in mixed.items()})
with torch.no_grad():
    emit("convbn/mixed/output", model(x).flatten().tolist())

# BatchNorm1d(momentum=None): running stats are the cumulative average over training batches.
bn = torch.nn.BatchNorm1d(3, momentum=None)
for step in range(4):
    b = torch.randn(5, 3) * (step + 1) + step
    emit("bn_cumulative/batch%d" % step, b.flatten().tolist())
    bn(b)
emit("bn_cumulative/running_mean", bn.running_mean.tolist())
emit("bn_cumulative/running_var", bn.running_var.tolist())
emit("bn_cumulative/num_batches_tracked", [int(bn.num_batches_tracked)])

# float32 -> F16 / BF16 bits as PyTorch rounds them (scalar path), and F16 bits -> float32 bits.
def f32_bits(values):
    return torch.tensor(values, dtype=torch.float32).view(torch.int32).tolist()


probe = [0.0, -0.0, 1.0, -2.5, 65504.0, 65519.0, 65520.0, 1e9, 6.103515625e-05, 6.0975552e-05,
         5.960464477539063e-08, 2.9802322387695312e-08, 2.98023259e-08, 1e-10, 0.1, 1.0009765625,
         1.00048828125, 1.000732421875, 3.0e38, 3.4028234e38, float("inf"), float("-inf"), 1.0 + 2 ** -8,
         1.0 + 3 * 2 ** -9]
emit("dtype/probe_bits", [b & 0xFFFFFFFF for b in f32_bits(probe)])
emit("dtype/probe_f16_bits", [int(torch.tensor([v]).half().view(torch.int16)) & 0xFFFF for v in probe])
emit("dtype/probe_bf16_bits", [int(torch.tensor(v).bfloat16().view(torch.int16)) & 0xFFFF for v in probe])
half_bits = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0x7C00, 0xFC00, 0x8001, 0x3555, 0xC000]
halves = torch.tensor([b - 0x10000 if b >= 0x8000 else b for b in half_bits], dtype=torch.int16).view(torch.float16)
emit("dtype/half_bits", half_bits)
emit("dtype/half_as_f32_bits", [b & 0xFFFFFFFF for b in halves.float().view(torch.int32).tolist()])

with open(os.path.join(here, "state_dict_reference.txt"), "w") as f:
    f.write("# made by make_state_dict_reference.py with torch %s; one check per line: name values...\n"
            % torch.__version__)
    f.write("\n".join(lines) + "\n")
