#!/usr/bin/python3
"""PyTorch's numbers for the ResNet example's modules (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_resnet_reference.py

The modules are the PyTorch twin's own (examples/pytorch/resnet.py), so the names are the twin's.
Writes, next to this script:
  torch_resnet_block.safetensors  the state dict of BasicBlock(3, 4, stride=2) (projection shortcut)
                                  after 3 SGD steps in training mode: trained BatchNorm weights,
                                  running statistics away from 0 and 1, num_batches_tracked 3 (I64)
  torch_resnet_small.safetensors  the same for ResNet(channels=(4, 6, 8), blocks=(2, 1, 1)): an
                                  identity block, two projection blocks, the stem and the head
  resnet_reference.txt            "row<TAB>kind<TAB>values" (test::reference_table): inputs and
                                  PyTorch's outputs for them. Row block: input [2, 3, 6, 6], eval
                                  [2, 4, 3, 3] (eval mode), then in training mode train (output),
                                  weights (w), grad (d sum(out * w) / d input), and the running
                                  statistics after that forward. Row small: input [3, 1, 12, 12],
                                  eval [3, 10] (eval mode)
The files are written by the twin's own writer (examples/pytorch/common.py save_safetensors, the
one behind its --save): state_dict order, F32 and I64. The tests (tests/test_resnet_block.cpp)
read them without PyTorch.
"""
import copy
import os
import sys

import torch

from streams import fmt

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "examples", "pytorch"))
from common import save_safetensors  # noqa: E402
from resnet import BasicBlock, ResNet  # noqa: E402

torch.manual_seed(0)
lines = []


def emit(row, kind, t):
    lines.append("%s\t%s\t%s" % (row, kind, fmt(t)))


def train_a_little(model, shape):
    """3 SGD steps in training mode on shifted, scaled inputs, so every BatchNorm's weight, bias and
    running statistics move away from 1, 0, 0, 1."""
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        x = torch.randn(*shape) * 2.0 + 0.5
        loss = model(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


block = BasicBlock(3, 4, stride=2)
train_a_little(block, (4, 3, 6, 6))
save_safetensors(block.state_dict(), os.path.join(here, "torch_resnet_block.safetensors"))

x = torch.randn(2, 3, 6, 6)
emit("block", "input", x)
block.eval()
with torch.no_grad():
    emit("block", "eval", block(x))
trained = copy.deepcopy(block).train()  # a copy: this forward moves the running statistics
xg = x.clone().requires_grad_()
out = trained(xg)
w = torch.randn(out.shape)
(out * w).sum().backward()
emit("block", "train", out)
emit("block", "weights", w)
emit("block", "grad", xg.grad)
emit("block", "train bn1.running_mean", trained.bn1.running_mean)
emit("block", "train shortcut.1.running_var", trained.shortcut[1].running_var)

small = ResNet(channels=(4, 6, 8), blocks=(2, 1, 1))
train_a_little(small, (4, 1, 12, 12))
save_safetensors(small.state_dict(), os.path.join(here, "torch_resnet_small.safetensors"))
small.eval()
x = torch.rand(3, 1, 12, 12)
emit("small", "input", x)
with torch.no_grad():
    emit("small", "eval", small(x))

with open(os.path.join(here, "resnet_reference.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote torch_resnet_block.safetensors, torch_resnet_small.safetensors and resnet_reference.txt")
print(block)
print(list(block.state_dict().keys()))
print(list(small.state_dict().keys()))
