#!/usr/bin/env bash
# Same seed, same thread setting, same bits, across processes: an example trainer trains one
# epoch twice at 1 thread and twice at 2 threads, and each pair of saved weight files must be
# identical byte for byte (tests/test_determinism.cpp checks the same inside one process).
# CTest runs it on mnist_mlp (its first layer's products, 64 x 256 x 784, run on every thread)
# and on mnist_cnn (its convolutions cut the batch into one part per thread on oneDNN, and into
# chunks fixed by the shape on xgrad's own kernels).
#   determinism_check.sh EXAMPLE WORKDIR [more arguments for EXAMPLE]
set -euo pipefail
example=$1 work=$2
shift 2
name=$(basename "$example")
mkdir -p "$work"
data=/usr/share/datasets/fashion-mnist
if [ ! -d "$data" ]; then echo "skipped: $data is missing"; exit 77; fi  # CTest: skipped (SKIP_RETURN_CODE), not passed
for threads in 1 2; do
  for run in a b; do
    "$example" --data "$data" --epochs 1 --seed 3 --threads $threads --quiet "$@" \
      --save "$work/$name-$threads-$run.safetensors" > "$work/$name-$threads-$run.txt"
  done
  cmp "$work/$name-$threads-a.safetensors" "$work/$name-$threads-b.safetensors" ||
    { echo "$name --seed 3 --threads $threads $* saved different weights in two runs" >&2; exit 1; }
  echo "threads $threads: identical weights ($(grep "final test accuracy" "$work/$name-$threads-a.txt"))"
done
echo "determinism OK"
