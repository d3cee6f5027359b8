#!/usr/bin/env bash
# Same seed, same thread setting, same bits, across processes: examples/mnist_mlp trains one epoch
# twice at 1 thread and twice at 2 threads, and each pair of saved weight files must be identical
# byte for byte (tests/test_determinism.cpp checks the same inside one process).
#   determinism_check.sh MNIST_MLP WORKDIR
set -euo pipefail
mlp=$1 work=$2
mkdir -p "$work"
data=/usr/share/datasets/fashion-mnist
if [ ! -d "$data" ]; then echo "skipped: $data is missing"; exit 77; fi  # CTest: skipped (SKIP_RETURN_CODE), not passed
for threads in 1 2; do
  for run in a b; do
    # The default 784-256-128-10 MLP: its first layer's products (64 x 256 x 784) run on every thread.
    "$mlp" --data "$data" --epochs 1 --seed 3 --threads $threads --quiet --save "$work/mlp-$threads-$run.safetensors" \
      > "$work/mlp-$threads-$run.txt"
  done
  cmp "$work/mlp-$threads-a.safetensors" "$work/mlp-$threads-b.safetensors" ||
    { echo "mnist_mlp --seed 3 --threads $threads saved different weights in two runs" >&2; exit 1; }
  echo "threads $threads: identical weights ($(grep "final test accuracy" "$work/mlp-$threads-a.txt"))"
done
echo "determinism OK"
