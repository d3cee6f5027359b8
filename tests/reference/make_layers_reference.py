#!/usr/bin/python3
"""A PyTorch state dict for the layers of issue #12 (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_layers_reference.py

Writes, next to this script:
  torch_decoder.safetensors  the state dict of the small decoder below (two ConvTranspose2d, one
                             without bias, an Upsample and an AdaptiveAvgPool2d between them), F32
  layers_reference.txt       "name v v v ...": an input and PyTorch's output for it

The file is written as make_state_dict_reference.py writes its own (by hand, the safetensors
package isn't installed here): header keys sorted, data laid out by name (all F32). The outputs are
committed; tests/test_conv.cpp reads them without PyTorch.
"""
import os

import torch

from streams import save_file

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)

# [N, 3, 3, 4] -> [N, 2, 6, 8] -> ReLU -> [N, 1, 12, 16] -> bilinear x2 -> [N, 1, 24, 32] -> (5, 3)
model = torch.nn.Sequential(
    torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
    torch.nn.ReLU(),
    torch.nn.ConvTranspose2d(2, 1, 2, stride=2, bias=False),
    torch.nn.Upsample(scale_factor=2, mode="bilinear"),
    torch.nn.AdaptiveAvgPool2d((5, 3)),
)




save_file({k: v.detach() for k, v in model.state_dict().items()}, "torch_decoder.safetensors")
x = torch.randn(2, 3, 3, 4)
with torch.no_grad():
    y = model(x)
lines = ["decoder/input " + " ".join(repr(v) for v in x.flatten().tolist()),
         "decoder/output " + " ".join(repr(v) for v in y.flatten().tolist())]
with open(os.path.join(here, "layers_reference.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote torch_decoder.safetensors and layers_reference.txt, output", list(y.shape))
