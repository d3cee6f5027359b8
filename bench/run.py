#!/usr/bin/python3
"""Runs xgrad's benchmarks and their PyTorch and libtorch peers alternately (A B C A B C ...),
takes the median of --rounds runs, and prints one markdown table with the ratios.

    cmake -S . -B build/release -DXGRAD_BUILD_BENCH=ON && cmake --build build/release -j
    cmake -S bench/libtorch -B build/libtorch && cmake --build build/libtorch -j   # needs libtorch-dev
    /usr/bin/python3 bench/run.py                                                   # needs python3-torch
    /usr/bin/python3 bench/run.py --only cnn --only ddp --rounds 1 --quick          # does every row run?

A missing peer (no libtorch build, no importable torch, no bench_ddp or mpirun) is said once and
its columns are left empty ("-", or nan in the older tables). Thread counts: each run gets OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS equal to its --threads, and every framework is told the same count.
OPENBLAS_CORETYPE is left as the environment sets it.
"""
import argparse
import json
import math
import os
import re
import statistics
import shutil
import signal
import socket
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def run(cmd, threads, limit=1800):
    """cmd's RESULT lines as {key: value}. A run that fails, or is still going after `limit` seconds
    (a hung rank, say), ends this script with its command and the end of its stderr."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    # Its own process group, so that a timeout also ends what it started (mpirun's ranks, mp.spawn's).
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        sys.exit("run.py: %s was still running after %d s; ended it. Its stderr:\n%s" % (" ".join(cmd), limit, err[-2000:]))
    if proc.returncode != 0:
        sys.exit("run.py: %s exited with status %d:\n%s" % (" ".join(cmd), proc.returncode, err[-2000:]))
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


class Row(dict):
    """Medians by key; nan for a key no run gave (a peer that was skipped)."""

    def __missing__(self, key):
        return float("nan")


def medians(runs):
    if not runs:
        return Row()
    return Row({k: statistics.median(r[k] for r in runs) for k in runs[0].keys()})


def torch_missing(py):
    """Why `py` can't import torch (the reason, one line), or None when it can."""
    done = subprocess.run([py, "-c", "import torch"], capture_output=True, text=True)
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else "exit status %d" % done.returncode


def free_port():
    """A TCP port nobody listens on now, for gloo's rendezvous: a fixed one (bench_ddp.py's default)
    may be another job's, whose ranks ours would then wait for."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cell(fmt, value):
    """A table cell: `fmt % value`, or "-" for a peer that was skipped (nan)."""
    return "-" if math.isnan(value) else fmt % value


def skipped(what, why):
    print("run.py: %s skipped: %s" % (what, why), flush=True)


def cnn_rows(a, xg_bench, lt_bench, py, have_pt):
    """mnist_cnn's network at batch 64 and 256 and the ResNet example's at its default batch (128),
    1 and 2 threads; xgrad, libtorch and PyTorch alternately, the median of --rounds each."""
    timing = ["--warmup", "1", "--windows", "2", "--window", "256"] if a.quick else []
    have_lt = os.path.exists(lt_bench("bench_cnn"))
    if not have_lt:
        skipped("libtorch (CNN rows)", "no %s (build bench/libtorch)" % lt_bench("bench_cnn"))
    print("\n### CNN training throughput (samples/s, steady state: the median of %s timed windows after a warm-up; "
          "median of %d rounds)\n" % ("2 short" if a.quick else "5", a.rounds))
    print("| network | batch | threads | xgrad | libtorch | PyTorch | xgrad / libtorch | xgrad / PyTorch "
          "| xgrad 2 threads / 1 | xgrad ms per step | peak RSS MB: xgrad, libtorch, PyTorch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    one_thread = {}
    for model, batches in (("cnn", (64, 256)), ("resnet", (128,))):
        for batch in batches:
            for threads in (1, 2):
                runs = {"xgrad": [], "libtorch": [], "pytorch": []}
                for _ in range(a.rounds):
                    runs["xgrad"].append(run([xg_bench("bench_cnn"), "--model", model, "--data", a.data, "--batch-size",
                                              str(batch), "--threads", str(threads)] + timing, threads))
                    if have_lt:
                        runs["libtorch"].append(run([lt_bench("bench_cnn"), a.data, model, str(batch), str(threads)] +
                                                    timing[1::2], threads))
                    if have_pt:
                        runs["pytorch"].append(run([py, os.path.join(here, "pytorch", "bench_cnn.py"), "--model", model,
                                                    "--data", a.data, "--batch-size", str(batch), "--threads",
                                                    str(threads)] + timing, threads))
                x, l, t = medians(runs["xgrad"]), medians(runs["libtorch"]), medians(runs["pytorch"])
                counts = {name: r["parameters"] for name, r in (("xgrad", x), ("libtorch", l), ("PyTorch", t)) if r}
                if len(set(counts.values())) > 1:
                    sys.exit("run.py: the %s networks differ: parameters %s" % (model, counts))
                if threads == 1:
                    one_thread[model, batch] = x["samples_per_s"]
                    scaling = ""
                else:
                    scaling = "%.2fx" % (x["samples_per_s"] / one_thread[model, batch])
                name = "mnist_cnn" if model == "cnn" else "ResNet 16-32-64"
                print("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s, %s, %s |" % (
                    name, batch, threads, cell("%.0f", x["samples_per_s"]), cell("%.0f", l["samples_per_s"]),
                    cell("%.0f", t["samples_per_s"]), cell("%.2fx", x["samples_per_s"] / l["samples_per_s"]),
                    cell("%.2fx", x["samples_per_s"] / t["samples_per_s"]), scaling, cell("%.1f", x["ms_per_step"]),
                    cell("%.0f", x["max_rss_mb"]), cell("%.0f", l["max_rss_mb"]), cell("%.0f", t["max_rss_mb"])), flush=True)


def ddp_rows(a, xg_bench, py, have_pt):
    """bench_ddp on 1 rank and under mpirun on 2, bench/pytorch/bench_ddp.py --world 1 and 2
    (gloo), at per-rank batch 64 and 256, alternately, the median of --rounds each; one OpenBLAS
    thread per rank."""
    binary = xg_bench("bench_ddp")
    if not os.path.exists(binary):
        return skipped("DDP rows", "no %s (xgrad::distributed is built when CMake finds MPI: "
                       "apt-get install libopenmpi-dev openmpi-bin)" % binary)
    mpirun = shutil.which("mpirun")
    if not mpirun:
        return skipped("DDP rows", "no mpirun on PATH (apt-get install openmpi-bin)")
    launch = [mpirun, "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else []) + ["-np", "2"]
    timing = ["--steps", "10", "--repeats", "1"] if a.quick else ["--steps", "50", "--repeats", "3"]
    print("\n### Data-parallel training: 784-256-128-10, cross-entropy, SGD, synthetic data, 1 thread per rank "
          "(samples/s of all ranks, median of %d rounds)\n" % a.rounds)
    print("| per-rank batch | xgrad 1 rank | xgrad 2 ranks | scaling efficiency | averaging share | PyTorch 1 rank "
          "| PyTorch DDP 2 ranks (gloo) | PyTorch averaging share | xgrad 2 ranks / PyTorch DDP "
          "| all_reduce ms: xgrad, gloo |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for batch in (64, 256):
        args = ["--batch", str(batch)] + timing
        runs = {"x1": [], "x2": [], "t1": [], "t2": []}
        for _ in range(a.rounds):
            runs["x1"].append(run([binary] + args, 1))
            runs["x2"].append(run(launch + [binary] + args, 1, limit=600))
            if have_pt:
                for world in (1, 2):
                    runs["t%d" % world].append(run([py, os.path.join(here, "pytorch", "bench_ddp.py"), "--world",
                                                    str(world), "--port", str(free_port())] + args, 1, limit=600))
        x1, x2, t1, t2 = (medians(runs[k]) for k in ("x1", "x2", "t1", "t2"))
        print("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s, %s |" % (
            batch, cell("%.0f", x1["samples_per_s"]), cell("%.0f", x2["samples_per_s"]),
            cell("%.0f%%", 100 * x2["samples_per_s"] / (2 * x1["samples_per_s"])), cell("%.0f%%", 100 * x2["averaging_share"]),
            cell("%.0f", t1["samples_per_s"]), cell("%.0f", t2["samples_per_s"]), cell("%.0f%%", 100 * t2["averaging_share"]),
            cell("%.2fx", x2["samples_per_s"] / t2["samples_per_s"]), cell("%.2f", x2["allreduce_ms"]),
            cell("%.2f", t2["allreduce_ms"])), flush=True)
    print("\nScaling efficiency: 2-rank samples/s over twice the 1-rank figure. Averaging share: (step - step under "
          "no_sync()) / step, waiting for the slower rank included. all_reduce: one of all %.0f gradients, 2 ranks."
          % x2["allreduce_floats"])


def main():
    sections = ["mlp", "cnn", "overhead", "ops", "pinn", "ddp"]
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--build", default=os.path.join(root, "build", "release"))
    p.add_argument("--libtorch-build", default=os.path.join(root, "build", "libtorch"))
    p.add_argument("--only", choices=sections, action="append", help="these sections only (repeatable); default: all")
    p.add_argument("--quick", action="store_true",
                   help="short timing for the cnn and ddp rows (a few steps): checks that every row runs, "
                        "measures nothing")
    p.add_argument("--baseline", metavar="BUILD",
                   help="an older xgrad build tree: its bench_mlp and bench_overhead run alternately with this one's "
                        "(a before/after table for a change)")
    p.add_argument("--check-ops", metavar="BENCH_OPS", help="only check that BENCH_OPS's output reads (CI)")
    a = p.parse_args()
    if a.check_ops:
        return check_ops(a.check_ops)
    only = a.only or sections
    py = sys.executable
    xg_bench = lambda name: os.path.join(a.build, "bench", name)
    lt_bench = lambda name: os.path.join(a.libtorch_build, "libtorch_" + name)
    have_lt = os.path.exists(lt_bench("bench_mlp"))
    if not have_lt and set(only) & {"mlp", "overhead", "ops"}:
        skipped("libtorch", "no %s (cmake -S bench/libtorch -B %s)" % (lt_bench("bench_mlp"), a.libtorch_build))
    why_no_torch = torch_missing(py)
    have_pt = why_no_torch is None
    if not have_pt:
        skipped("PyTorch", "%s -c 'import torch': %s" % (py, why_no_torch))

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
                        if have_pt:
                            runs["pytorch"].append(run([py, os.path.join(here, "pytorch", "bench_mlp.py"), "--data", a.data,
                                                        "--arch", arch, "--batch-size", str(batch), "--threads", str(threads)],
                                                       threads))
                    x, l, t = medians(runs["xgrad"]), medians(runs["libtorch"]), medians(runs["pytorch"])
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
            if have_pt:
                runs["pytorch"].append(run([py, os.path.join(here, "pytorch", "bench_overhead.py")], 1))
        x, l, t = medians(runs["xgrad"]), medians(runs["libtorch"]), medians(runs["pytorch"])
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
            if have_pt:
                runs["pytorch"].append(run([py, os.path.join(here, "pytorch", "bench_pinn.py")], 1))
        x, l, t = medians(runs["xgrad"]), medians(runs["libtorch"]), medians(runs["pytorch"])
        print("| | xgrad | libtorch | PyTorch |\n| --- | ---: | ---: | ---: |")
        print("| steps per s | %.0f | %.0f | %.0f |" % (x["steps_per_s"], l["steps_per_s"], t["steps_per_s"]))
        print("| xgrad speed-up | | %.2fx | %.2fx |" % (x["steps_per_s"] / l["steps_per_s"], x["steps_per_s"] / t["steps_per_s"]))
        print("| peak RSS MB | %.0f | %.0f | %.0f |" % (x["max_rss_mb"], l["max_rss_mb"], t["max_rss_mb"]))

    if "cnn" in only:
        cnn_rows(a, xg_bench, lt_bench, py, have_pt)

    if "ddp" in only:
        ddp_rows(a, xg_bench, py, have_pt)

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
        t = run([py, os.path.join(here, "pytorch", "bench_ops.py")], 1) if have_pt else {}
        l = run([lt_bench("bench_ops")], 1) if have_lt else {}
        nan = float("nan")
        print("| op | xgrad | libtorch | PyTorch | libtorch / xgrad | PyTorch / xgrad |\n| --- | ---: | ---: | ---: | ---: | ---: |")
        for key in x:
            print("| %s | %.1f | %.1f | %.1f | %.2fx | %.2fx |" % (key[:-3], x[key], l.get(key, nan), t.get(key, nan),
                                                              l.get(key, nan) / x[key], t.get(key, nan) / x[key]))


if __name__ == "__main__":
    main()
