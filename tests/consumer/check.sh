#!/usr/bin/env bash
# Builds and runs tests/consumer against xgrad: `check.sh subdirectory SRC WORK` or
# `check.sh find_package SRC WORK` (installs xgrad into WORK/prefix first). When xgrad built
# xgrad::distributed (MPI found), the consumer must have it too: my_ddp_trainer runs alone and
# on 2 ranks under mpirun. Without MPI that part is skipped, and says so.
set -euo pipefail
mode=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
case "$mode" in
  subdirectory)
    xgrad_build="$work/build/xgrad"
    cmake -S "$src/tests/consumer" -B "$work/build" -DXGRAD_SOURCE="$src" -DCMAKE_BUILD_TYPE=Release >/dev/null ;;
  find_package)
    xgrad_build="$work/xgrad"
    cmake -S "$src" -B "$work/xgrad" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build "$work/xgrad" -j2 >/dev/null
    cmake --install "$work/xgrad" --prefix "$work/prefix" >/dev/null
    cmake -S "$src/tests/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null ;;
  *) echo "usage: check.sh subdirectory|find_package SRC WORK" >&2; exit 2 ;;
esac
cmake --build "$work/build" -j2 >/dev/null
"$work/build/my_trainer"

if [ ! -f "$xgrad_build/libxgrad_distributed.a" ]; then
  echo "check.sh: xgrad was built without xgrad::distributed (no MPI): the data-parallel consumer is skipped"
  exit 0
fi
if [ ! -x "$work/build/my_ddp_trainer" ]; then
  echo "check.sh: FAILED: xgrad built xgrad::distributed, but the consumer ($mode) has no target xgrad::distributed" >&2
  exit 1
fi
"$work/build/my_ddp_trainer"  # one rank, no launcher
if ! command -v mpirun >/dev/null; then
  echo "check.sh: no mpirun (apt-get install openmpi-bin): my_ddp_trainer ran on one rank only"
  exit 0
fi
# Each rank exits 1 unless its weights are rank 0's and it learned; mpirun_check wants status 0.
bash "$src/tests/distributed/mpirun_check.sh" pass 120 "rank 1 of 2: mean [[:print:]]* identical to rank 0's" \
  "$work/build/my_ddp_trainer"
