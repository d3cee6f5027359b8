#!/usr/bin/python3
"""PyTorch peer of bench_ops: forward + backward (gradient of ones) of single ops, microseconds."""
import statistics
import time

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)
cases = {
    "matmul_64x784_784x128": ([(64, 784), (784, 128)], lambda a, b: a @ b),
    "linear_64x784_to_128": ([(64, 784), (128, 784), (128,)], F.linear),
    "add_broadcast_64x128_128": ([(64, 128), (128,)], lambda a, b: a + b),
    "relu_64x128": ([(64, 128)], F.relu),
    "log_softmax_64x10": ([(64, 10)], lambda a: F.log_softmax(a, 1)),
    "cross_entropy_64x10": ([(64, 10)], lambda a: F.cross_entropy(a, torch.zeros(64, dtype=torch.long))),
    "sum_64x128": ([(64, 128)], lambda a: a.sum()),
}
for name, (shapes, fn) in cases.items():
    inputs = [torch.randn(*s, requires_grad=True) for s in shapes]
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(2000):
            out = fn(*inputs)
            out.backward(torch.ones_like(out))
        runs.append((time.perf_counter() - t) / 2000)
        for i in inputs:
            i.grad = None
    print("RESULT %s_us=%g" % (name, 1e6 * statistics.median(runs)))
