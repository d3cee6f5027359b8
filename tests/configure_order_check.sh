#!/usr/bin/env bash
# The README's two commands in order, configure steps only:  configure_order_check.sh SRC WORK
# WORK is configured the way scripts/train-mnist.sh configures build/release (tests off), then
# the way scripts/test.sh does; CTest must then find xgrad's tests there. Both steps go through
# scripts/configure.sh, the function those scripts call, so this checks the real thing.
set -euo pipefail
src=$1 work=$2
rm -rf "$work"
bash "$src/scripts/configure.sh" train "$work"
if ctest --test-dir "$work" -N | grep -q "xgrad_tests"; then
  echo "configure_order_check: the train profile should have turned the tests off"; exit 1
fi
bash "$src/scripts/configure.sh" release "$work"
listing=$(ctest --test-dir "$work" -N)
echo "$listing" | tail -1
echo "$listing" | grep -q "xgrad_tests" || { echo "configure_order_check: no xgrad_tests after test.sh's configure"; exit 1; }
echo "$listing" | grep -q "Total Tests: [1-9]"
rm -rf "$work"
