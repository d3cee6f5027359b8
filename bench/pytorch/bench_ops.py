#!/usr/bin/python3
"""PyTorch peer of bench_ops: forward + backward (gradient of ones) of single ops, microseconds;
gemm_bound_ rows time the three matrix products of the conv2d row they name (torch.mm)."""
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
    "conv2d_64x1x28x28_16x5x5_p2": ([(64, 1, 28, 28), (16, 1, 5, 5), (16,)], lambda x, w, b: F.conv2d(x, w, b, 1, 2)),
    "conv2d_64x16x14x14_32x5x5_p2": ([(64, 16, 14, 14), (32, 16, 5, 5), (32,)], lambda x, w, b: F.conv2d(x, w, b, 1, 2)),
    "max_pool2d_64x16x28x28_k2": ([(64, 16, 28, 28)], lambda x: F.max_pool2d(x, 2)),
    "max_pool2d_64x32x14x14_k2": ([(64, 32, 14, 14)], lambda x: F.max_pool2d(x, 2)),
    "relu_64x16x28x28": ([(64, 16, 28, 28)], F.relu),
    "conv2d_128x16x28x28_16x3x3_p1": ([(128, 16, 28, 28), (16, 16, 3, 3)], lambda x, w: F.conv2d(x, w, None, 1, 1)),
    "conv2d_128x32x14x14_32x3x3_p1": ([(128, 32, 14, 14), (32, 32, 3, 3)], lambda x, w: F.conv2d(x, w, None, 1, 1)),
    "conv2d_128x64x7x7_64x3x3_p1": ([(128, 64, 7, 7), (64, 64, 3, 3)], lambda x, w: F.conv2d(x, w, None, 1, 1)),
    "conv2d_128x16x28x28_32x3x3_s2_p1": ([(128, 16, 28, 28), (32, 16, 3, 3)], lambda x, w: F.conv2d(x, w, None, 2, 1)),
    "conv2d_128x16x28x28_32x1x1_s2": ([(128, 16, 28, 28), (32, 16, 1, 1)], lambda x, w: F.conv2d(x, w, None, 2, 0)),
    "batch_norm_128x16x28x28": ([(128, 16, 28, 28), (16,), (16,)],
                                lambda x, w, b: F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5)),
    "batch_norm_128x64x7x7": ([(128, 64, 7, 7), (64,), (64,)],
                              lambda x, w, b: F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5)),
}
# (O, K, P) of each conv2d row: forward [O, K]·[K, P], dW [O, P]·[K, P]ᵀ, dcols [O, K]ᵀ·[O, P]
gemm_bounds = {
    "gemm_bound_conv2d_64x1x28x28_16x5x5_p2": (16, 25, 64 * 28 * 28),
    "gemm_bound_conv2d_64x16x14x14_32x5x5_p2": (32, 400, 64 * 14 * 14),
    "gemm_bound_conv2d_128x16x28x28_16x3x3_p1": (16, 144, 128 * 28 * 28),
    "gemm_bound_conv2d_128x32x14x14_32x3x3_p1": (32, 288, 128 * 14 * 14),
    "gemm_bound_conv2d_128x64x7x7_64x3x3_p1": (64, 576, 128 * 7 * 7),
    "gemm_bound_conv2d_128x16x28x28_32x3x3_s2_p1": (32, 144, 128 * 14 * 14),
    "gemm_bound_conv2d_128x16x28x28_32x1x1_s2": (32, 16, 128 * 14 * 14),
}

def iterations(step):
    """2,000 per run, fewer for the ops that take milliseconds (a run of about 0.2 s, at least 5)."""
    t = time.perf_counter()
    step()
    return max(5, min(2000, int(0.2 / (time.perf_counter() - t))))


for name, (shapes, fn) in cases.items():
    inputs = [torch.randn(*s, requires_grad=True) for s in shapes]
    out = fn(*inputs)
    out.backward(torch.ones_like(out))  # warm-up
    n = iterations(lambda: fn(*inputs).sum().backward())
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            out = fn(*inputs)
            out.backward(torch.ones_like(out))
        runs.append((time.perf_counter() - t) / n)
        for i in inputs:
            i.grad = None
    print("RESULT %s_us=%g" % (name, 1e6 * statistics.median(runs)), flush=True)
with torch.no_grad():
    for name, (O, K, P) in gemm_bounds.items():
        w, cols, g = torch.randn(O, K), torch.randn(K, P), torch.randn(O, P)
        step = lambda: (torch.mm(w, cols), torch.mm(g, cols.t()), torch.mm(w.t(), g))
        step()  # warm-up
        n = iterations(step)
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(n):
                step()
            runs.append((time.perf_counter() - t) / n)
        print("RESULT %s_us=%g" % (name, 1e6 * statistics.median(runs)), flush=True)
