#!/usr/bin/env bash
# The one place the scripts configure a build tree:  configure.sh PROFILE BUILD_DIR [cmake args]
# CMake keeps every cached option a tree was configured with, so a script that leaves an option
# out inherits whatever configured the tree last (train-mnist.sh's tests OFF used to leave
# test.sh's Release tree without tests). Each profile therefore sets every xgrad option, and
# the scripts that share build/release share its profile: they build different targets of the
# same configuration, so running them in any order never flips an option.
#   release   Release: tests, examples, benchmarks     (scripts/test.sh, train-mnist.sh, render-docs.sh)
#   sanitize  Debug, ASan + UBSan: tests               (scripts/test.sh)
#   thread    RelWithDebInfo, TSan: [threads] tests    (scripts/test.sh); without oneDNN: TSan can't
#             see into its OpenMP runtime (libgomp) and reports libgomp's barriers as races (so
#             TSan never runs core/conv_onednn.cpp's per-thread split; ASan + UBSan do)
#   fuzz      clang, libFuzzer targets                 (scripts/fuzz.sh)
# Sourced, it defines the function xgrad_configure with the same arguments instead.
xgrad_configure() {
  local profile=$1 dir=$2
  shift 2
  local src
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local args=()
  case "$profile" in
    release)  args=(-DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=ON -DXGRAD_BUILD_EXAMPLES=ON -DXGRAD_BUILD_BENCH=ON
                    -DXGRAD_SANITIZE=OFF -DXGRAD_FUZZ=OFF -DXGRAD_NATIVE=OFF -DXGRAD_DISTRIBUTED=AUTO -DXGRAD_ONEDNN=AUTO) ;;
    sanitize) args=(-DCMAKE_BUILD_TYPE=Debug -DXGRAD_BUILD_TESTS=ON -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF
                    -DXGRAD_SANITIZE=ON -DXGRAD_FUZZ=OFF -DXGRAD_NATIVE=OFF -DXGRAD_DISTRIBUTED=AUTO -DXGRAD_ONEDNN=AUTO) ;;
    thread)   args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DXGRAD_BUILD_TESTS=ON -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF
                    -DXGRAD_SANITIZE=thread -DXGRAD_FUZZ=OFF -DXGRAD_NATIVE=OFF -DXGRAD_DISTRIBUTED=AUTO -DXGRAD_ONEDNN=OFF) ;;
    fuzz)     args=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXGRAD_BUILD_TESTS=OFF
                    -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF -DXGRAD_SANITIZE=OFF -DXGRAD_FUZZ=ON -DXGRAD_NATIVE=OFF
                    -DXGRAD_DISTRIBUTED=OFF -DXGRAD_ONEDNN=OFF) ;;
    *) echo "configure.sh: unknown profile '$profile' (release, sanitize, thread, fuzz)" >&2; return 2 ;;
  esac
  cmake -S "$src" -B "$dir" "${args[@]}" "$@" >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  if [ $# -lt 2 ]; then
    echo "usage: configure.sh release|sanitize|thread|fuzz BUILD_DIR [cmake args]" >&2
    exit 2
  fi
  xgrad_configure "$@"
fi
