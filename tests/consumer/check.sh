#!/usr/bin/env bash
# Builds and runs tests/consumer against xgrad: `check.sh subdirectory SRC WORK` or
# `check.sh find_package SRC WORK` (installs xgrad into WORK/prefix first).
set -euo pipefail
mode=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
case "$mode" in
  subdirectory)
    cmake -S "$src/tests/consumer" -B "$work/build" -DXGRAD_SOURCE="$src" -DCMAKE_BUILD_TYPE=Release >/dev/null ;;
  find_package)
    cmake -S "$src" -B "$work/xgrad" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build "$work/xgrad" -j2 >/dev/null
    cmake --install "$work/xgrad" --prefix "$work/prefix" >/dev/null
    cmake -S "$src/tests/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null ;;
  *) echo "usage: check.sh subdirectory|find_package SRC WORK" >&2; exit 2 ;;
esac
cmake --build "$work/build" -j2 >/dev/null
"$work/build/my_trainer"
