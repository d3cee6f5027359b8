#!/usr/bin/env bash
# The README's two commands in order, configure steps only:  configure_order_check.sh SRC WORK
# WORK is first configured with the tests, examples and benchmarks off, as train-mnist.sh used to
# leave build/release; then by scripts/configure.sh's release profile, the step test.sh (and
# train-mnist.sh) run. CTest must then find xgrad's tests there: the profile sets every option
# instead of inheriting the cache.
set -euo pipefail
src=$1 work=$2
rm -rf "$work"
cmake -S "$src" -B "$work" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF \
  -DXGRAD_BUILD_BENCH=OFF >/dev/null
if ctest --test-dir "$work" -N | grep -q "xgrad_tests"; then
  echo "configure_order_check: tests are registered with XGRAD_BUILD_TESTS=OFF"; exit 1
fi
bash "$src/scripts/configure.sh" release "$work"
listing=$(ctest --test-dir "$work" -N)
echo "$listing" | tail -1
echo "$listing" | grep -q "xgrad_tests" || { echo "configure_order_check: no xgrad_tests after test.sh's configure"; exit 1; }
echo "$listing" | grep -q "Total Tests: [1-9]"
grep -q "EXAMPLES:BOOL=ON" "$work/CMakeCache.txt" && grep -q "BENCH:BOOL=ON" "$work/CMakeCache.txt"
rm -rf "$work"
