#!/usr/bin/python3
"""PyTorch's recurrent layers on small inputs, for tests/test_rnn.cpp (run with Debian's python3-torch):

    /usr/bin/python3 tests/reference/make_rnn_reference.py

Writes torch_rnn.safetensors next to this script, all F32. For each case below, under "<case>.":
  model.<name>   the layer's state dict (weight_ih_l0, weight_hh_l0, bias_ih_l0, ...), as PyTorch names it
  input, h0, c0  the input and the initial state given to the layer (h0/c0 absent: the layer's zeros)
  output, h_n, c_n   what the layer returns (a cell: h_n, and c_n for LSTMCell)
  gout, gh, gc   random weights w: the loss is sum(output·gout) + sum(h_n·gh) + sum(c_n·gc)
  grad.<name>    that loss's gradient with respect to input, h0, c0 and each parameter
The file is written by hand as make_layers_reference.py writes its own (the safetensors package isn't
installed here): header keys sorted, data laid out by name. The C++ tests read it without PyTorch.
"""
import os

import torch

from streams import save_file

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)




# name: (layer, input shape, initial state shapes or None). Input 2-D: unbatched (PyTorch >= 1.11).
L, N, IN, H = 5, 2, 3, 4
cases = {
    "rnn_tanh": (torch.nn.RNN(IN, H, num_layers=2, batch_first=True), [N, L, IN], None),
    "rnn_relu": (torch.nn.RNN(IN, H, nonlinearity="relu"), [L, N, IN], [[1, N, H]]),
    "lstm": (torch.nn.LSTM(IN, H, num_layers=2), [L, N, IN], [[2, N, H], [2, N, H]]),
    "lstm_nobias_bi": (torch.nn.LSTM(IN, H, num_layers=2, bias=False, batch_first=True, bidirectional=True),
                       [N, L, IN], [[4, N, H], [4, N, H]]),
    "gru": (torch.nn.GRU(IN, H, num_layers=2), [L, N, IN], [[2, N, H]]),
    "gru_bi_unbatched": (torch.nn.GRU(IN, H, bidirectional=True), [L, IN], [[2, H]]),
    "rnn_cell": (torch.nn.RNNCell(IN, H), [N, IN], [[N, H]]),
    "lstm_cell": (torch.nn.LSTMCell(IN, H), [N, IN], [[N, H], [N, H]]),
    "gru_cell": (torch.nn.GRUCell(IN, H), [N, IN], None),
}

out = {}
for name, (layer, in_shape, state_shapes) in cases.items():
    x = torch.randn(in_shape, requires_grad=True)
    state = [torch.randn(s, requires_grad=True) for s in state_shapes] if state_shapes else []
    cell = "cell" in name
    lstm = isinstance(layer, (torch.nn.LSTM, torch.nn.LSTMCell))
    if not state:
        y = layer(x)
    elif lstm:
        y = layer(x, tuple(state))
    else:
        y = layer(x, state[0])
    # The results as (output, h_n, c_n), None where the layer has no such thing.
    if cell:
        results = (None,) + (tuple(y) if lstm else (y,))
    else:
        results = (y[0],) + (tuple(y[1]) if lstm else (y[1],))
    results = results + (None,) * (3 - len(results))
    loss = 0
    for key, wkey, r in zip(("output", "h_n", "c_n"), ("gout", "gh", "gc"), results):
        if r is None:
            continue
        w = torch.randn(r.shape)
        out[f"{name}.{key}"], out[f"{name}.{wkey}"] = r.detach(), w
        loss = loss + (r * w).sum()
    loss.backward()
    out[f"{name}.input"], out[f"{name}.grad.input"] = x.detach(), x.grad
    for key, s in zip(("h0", "c0"), state):
        out[f"{name}.{key}"], out[f"{name}.grad.{key}"] = s.detach(), s.grad
    for pname, p in layer.named_parameters():
        out[f"{name}.model.{pname}"], out[f"{name}.grad.{pname}"] = p.detach(), p.grad

save_file(out, "torch_rnn.safetensors")
print("wrote torch_rnn.safetensors:", len(out), "tensors,", len(cases), "cases")
