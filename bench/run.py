#!/usr/bin/python3
"""Runs xgrad's benchmarks and their PyTorch and libtorch peers alternately (A B C A B C ...),
takes the median of --rounds runs, and prints one markdown table with the ratios.

    cmake -S . -B build/release -DXGRAD_BUILD_BENCH=ON && cmake --build build/release -j
    cmake -S bench/libtorch -B build/libtorch && cmake --build build/libtorch -j   # needs libtorch-dev
    /usr/bin/python3 bench/run.py                                                   # needs python3-torch

Thread counts: each run gets OMP_NUM_THREADS and OPENBLAS_NUM_THREADS equal to its --threads,
and every framework is told the same count. OPENBLAS_CORETYPE is left as the environment sets it.
"""
import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def run(cmd, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    results = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            key, value = line[7:].split("=", 1)
            results[key] = float(value)
    return results


def run_gbench(cmd, threads):
    """A Google Benchmark binary (bench_ops) as {row + "_us": median wall time in µs}, the keys
    that the peers' RESULT lines use."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run(cmd + ["--benchmark_format=json"], env=env, capture_output=True, text=True, check=True).stdout
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    results, medians_seen = {}, set()
    for b in json.loads(out)["benchmarks"]:
        row = b["run_name"].split("/")[0] + "_us"  # "relu_64x128/repeats:5/real_time" -> relu_64x128_us
        is_median = b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"
        if is_median or (b.get("run_type") != "aggregate" and row not in medians_seen):  # a single run has no median
            results[row] = b["real_time"] * scale[b["time_unit"]]
        if is_median:
            medians_seen.add(row)
    return results


def check_ops(binary):
    """CI's check that bench_ops' output still reads: every row of the PyTorch peer, a time each."""
    with open(os.path.join(here, "pytorch", "bench_ops.py")) as f:
        want = {name + "_us" for name in re.findall(r'^    "(\w+)": \(', f.read(), re.M)}
    got = run_gbench([binary, "--benchmark_min_time=0.001"], 1)
    if not want or set(got) != want or not all(math.isfinite(v) and v > 0 for v in got.values()):
        sys.exit("run.py: bench_ops gave rows %s, the peers have %s" % (sorted(got), sorted(want)))
    print("bench_ops: %d rows read, the same as the peers'" % len(got))


def medians(runs):
    keys = runs[0].keys()
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--build", default=os.path.join(root, "build", "release"))
    p.add_argument("--libtorch-build", default=os.path.join(root, "build", "libtorch"))
    p.add_argument("--only", choices=["mlp", "overhead", "ops", "pinn"], action="append")
    p.add_argument("--baseline", metavar="BUILD",
                   help="an older xgrad build tree: its bench_mlp and bench_overhead run alternately with this one's "
                        "(a before/after table for a change)")
    p.add_argument("--check-ops", metavar="BENCH_OPS", help="only check that BENCH_OPS's output reads (CI)")
    a = p.parse_args()
    if a.check_ops:
        return check_ops(a.check_ops)
    only = a.only or ["mlp", "overhead", "ops", "pinn"]
    py = sys.executable
    xg_bench = lambda name: os.path.join(a.build, "bench", name)
    lt_bench = lambda name: os.path.join(a.libtorch_build, "libtorch_" + name)
    have_lt = os.path.exists(lt_bench("bench_mlp"))

    if "mlp" in only:
        print("\n### MLP training throughput (samples/s, median of epochs 2-3, median of %d rounds)\n" % a.rounds)
        print("| MLP | batch | threads | xgrad | libtorch | PyTorch | xgrad / libtorch | xgrad / PyTorch "
              "| xgrad epoch | GEMM bound | epoch / bound | peak RSS MB: xgrad, libtorch, PyTorch |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for arch in ("784-128-10", "784-256-128-10"):
            for batch in (64, 256):
                for threads in (1, 2):
                    runs = {"xgrad": [], "libtorch": [], "pytorch": []}
                    for _ in range(a.rounds):
                        runs["xgrad"].append(run([xg_bench("bench_mlp"), "--data", a.data, "--arch", arch, "--batch-size",
                                                  str(batch), "--threads", str(threads)], threads))
                        if have_lt:
                            runs["libtorch"].append(run([lt_bench("bench_mlp"), a.data, arch, str(batch), str(threads), "3"], threads))
                        runs["pytorch"].append(run([py, os.path.join(here, "pytorch", "bench_mlp.py"), "--data", a.data, "--arch",
                                                    arch, "--batch-size", str(batch), "--threads", str(threads)], threads))
                    x = medians(runs["xgrad"])
                    t = medians(runs["pytorch"])
                    l = medians(runs["libtorch"]) if have_lt else {"samples_per_s": float("nan"), "max_rss_mb": float("nan")}
                    print("| %s | %d | %d | %.0f | %.0f | %.0f | %.2fx | %.2fx | %.3f s | %.3f s | %.2fx | %.0f, %.0f, %.0f |" % (
                        arch, batch, threads, x["samples_per_s"], l["samples_per_s"], t["samples_per_s"],
                        x["samples_per_s"] / l["samples_per_s"], x["samples_per_s"] / t["samples_per_s"], x["epoch_s"],
                        x["gemm_lower_bound_s"], x["epoch_s"] / x["gemm_lower_bound_s"], x["max_rss_mb"], l["max_rss_mb"],
                        t["max_rss_mb"]), flush=True)
        print("\nData loading (s, once per process): xgrad %.2f (IDX + gzip, bytes kept), PyTorch/libtorch load and convert "
              "to float up front; batching inside xgrad's epoch: %.3f s." % (x["data_load_s"], x["batching_s"]))

    if "overhead" in only:
        print("\n### Tiny net: 2-16-16-1 Tanh, batch 4, MSE, Adam, 20,000 steps, 1 thread (median of %d rounds)\n" % a.rounds)
        runs = {"xgrad": [], "libtorch": [], "pytorch": []}
        for _ in range(a.rounds):
            runs["xgrad"].append(run([xg_bench("bench_overhead")], 1))
            if have_lt:
                runs["libtorch"].append(run([lt_bench("bench_overhead")], 1))
            runs["pytorch"].append(run([py, os.path.join(here, "pytorch", "bench_overhead.py")], 1))
        x, t = medians(runs["xgrad"]), medians(runs["pytorch"])
        l = medians(runs["libtorch"]) if have_lt else {"us_per_step": float("nan")}
        print("| | xgrad | libtorch | PyTorch |\n| --- | ---: | ---: | ---: |")
        print("| µs per step | %.1f | %.1f | %.1f |" % (x["us_per_step"], l["us_per_step"], t["us_per_step"]))
        print("| xgrad speed-up | | %.1fx | %.1fx |" % (l["us_per_step"] / x["us_per_step"], t["us_per_step"] / x["us_per_step"]))

    if "pinn" in only:
        print("\n### PINN: 1-32-32-32-1 tanh, 64 points, u'' by two create_graph grads, Adam, 1 thread "
              "(steps/s, median of %d rounds)\n" % a.rounds)
        runs = {"xgrad": [], "libtorch": [], "pytorch": []}
        for _ in range(a.rounds):
            runs["xgrad"].append(run([xg_bench("bench_pinn")], 1))
            if os.path.exists(lt_bench("bench_pinn")):
                runs["libtorch"].append(run([lt_bench("bench_pinn")], 1))
            runs["pytorch"].append(run([py, os.path.join(here, "pytorch", "bench_pinn.py")], 1))
        x, t = medians(runs["xgrad"]), medians(runs["pytorch"])
        l = medians(runs["libtorch"]) if runs["libtorch"] else {"steps_per_s": float("nan"), "max_rss_mb": float("nan")}
        print("| | xgrad | libtorch | PyTorch |\n| --- | ---: | ---: | ---: |")
        print("| steps per s | %.0f | %.0f | %.0f |" % (x["steps_per_s"], l["steps_per_s"], t["steps_per_s"]))
        print("| xgrad speed-up | | %.2fx | %.2fx |" % (x["steps_per_s"] / l["steps_per_s"], x["steps_per_s"] / t["steps_per_s"]))
        print("| peak RSS MB | %.0f | %.0f | %.0f |" % (x["max_rss_mb"], l["max_rss_mb"], t["max_rss_mb"]))

    if a.baseline:
        base = lambda name: os.path.join(a.baseline, "bench", name)
        print("\n### Before / after: %s against %s (alternating, median of %d rounds, 1 thread)\n" % (a.build, a.baseline, a.rounds))
        print("| benchmark | before | after | after / before |\n| --- | ---: | ---: | ---: |")
        cases = [("tiny net 2-16-16-1, µs per step", "bench_overhead", [], "us_per_step", False)]
        for arch in ("784-128-10", "784-256-128-10"):
            for batch in (64, 256):
                cases.append(("MLP %s batch %d, samples/s" % (arch, batch), "bench_mlp",
                              ["--data", a.data, "--arch", arch, "--batch-size", str(batch), "--threads", "1"], "samples_per_s", True))
        for label, name, args, key, higher_better in cases:
            before, after = [], []
            for _ in range(a.rounds):
                before.append(run([base(name)] + args, 1)[key])
                after.append(run([xg_bench(name)] + args, 1)[key])
            b, n = statistics.median(before), statistics.median(after)
            print("| %s | %.1f | %.1f | %.3f (%s) |" % (label, b, n, n / b,
                  "faster" if (n > b) == higher_better else "slower"), flush=True)

    if "ops" in only:
        print("\n### Single ops, forward + backward, 1 thread (µs, median of 5 runs: xgrad's of Google Benchmark's "
              "iteration count, the peers' of 2,000)\n")
        x = run_gbench([xg_bench("bench_ops")], 1)
        t = run([py, os.path.join(here, "pytorch", "bench_ops.py")], 1)
        l = run([lt_bench("bench_ops")], 1) if have_lt else {}
        nan = float("nan")
        print("| op | xgrad | libtorch | PyTorch | libtorch / xgrad | PyTorch / xgrad |\n| --- | ---: | ---: | ---: | ---: | ---: |")
        for key in x:
            print("| %s | %.1f | %.1f | %.1f | %.2fx | %.2fx |" % (key[:-3], x[key], l.get(key, nan), t.get(key, nan),
                                                              l.get(key, nan) / x[key], t.get(key, nan) / x[key]))


if __name__ == "__main__":
    main()
