#!/usr/bin/env bash
# Installs what is missing, builds xgrad and runs the whole test suite twice: in the Release
# build (with the examples and outside-project checks) and in the AddressSanitizer +
# UndefinedBehaviorSanitizer build; then runs each fuzz target for XGRAD_FUZZ_SECONDS
# (default 60; 0 skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
mkdir -p build

bash scripts/install-deps.sh

echo "== Release build and tests"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_BENCH=ON >/dev/null
cmake --build build/release -j"$jobs"
ctest --test-dir build/release --output-on-failure -j"$jobs" | tee build/ctest-release.log

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Debug -DXGRAD_SANITIZE=ON -DXGRAD_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/sanitize -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/sanitize --output-on-failure -j"$jobs" | tee build/ctest-sanitize.log

if [ "${XGRAD_FUZZ_SECONDS:-60}" != 0 ]; then
  echo "== fuzz targets (libFuzzer)"
  bash scripts/fuzz.sh "${XGRAD_FUZZ_SECONDS:-60}"
fi

# One closing line for both CTest runs (each failure above already stopped this script).
total=$(cat build/ctest-release.log build/ctest-sanitize.log | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' | awk '{s += $1} END {print s}')
echo "xgrad: $total passed, 0 failed"
