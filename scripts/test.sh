#!/usr/bin/env bash
# Installs what is missing, builds xgrad and runs its tests: the whole suite in the Release build
# (with the examples, benchmarks built, and outside-project checks) and in the AddressSanitizer +
# UndefinedBehaviorSanitizer build, the [threads] tests in a ThreadSanitizer build; then each fuzz
# target for XGRAD_FUZZ_SECONDS (default 60; 0 skips them). A failing test doesn't stop the
# later builds; the last line counts the tests that ran in all of them, "xgrad: N passed, M failed"
# (CI reads it), and the exit status is non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/configure.sh  # xgrad_configure PROFILE DIR: every option set, whatever configured DIR before
jobs=$(nproc)
mkdir -p build

bash scripts/install-deps.sh

passed=0 failed=0 skipped=0 counts=()
# run_ctest NAME DIR: runs DIR's tests (none found is an error) and adds ctest's own count of
# them, from its "N tests failed out of M" line, to the totals. Only the closing line has the
# form "N passed, M failed", so CI can't mistake one build's count for the whole.
run_ctest() {
  local name=$1 dir=$2 log=build/ctest-$1.log
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$jobs" 2>&1 | tee "$log" || true
  local line
  line=$(sed -n 's/.* \([0-9][0-9]*\) tests* failed out of \([0-9][0-9]*\).*/\1 \2/p' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "test.sh: ctest ran no tests in $dir (see $log); counted as 1 failure"
    failed=$((failed + 1)) counts+=("  $name: no tests ran")
    return
  fi
  local f=${line% *} total=${line#* }
  # A test that found nothing to run (exit 77, SKIP_RETURN_CODE) is in ctest's total but didn't pass.
  local s
  s=$(grep -c "(Skipped)" "$log" || true)
  passed=$((passed + total - f - s)) failed=$((failed + f)) skipped=$((skipped + s))
  local note=""
  [ "$s" -gt 0 ] && note=", $s skipped"
  counts+=("  $name: $((total - s)) ran, $f failed$note")
}

echo "== Release build and tests"
xgrad_configure release build/release
cmake --build build/release -j"$jobs"
run_ctest release build/release

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
xgrad_configure sanitize build/sanitize
cmake --build build/sanitize -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 run_ctest sanitize build/sanitize

echo "== ThreadSanitizer build, the [threads] tests"
xgrad_configure thread build/tsan
tsan_targets=(xgrad_tests)  # and the watchdog's test program, when the distributed part is built
tsan_help=$(cmake --build build/tsan --target help)
if grep -q xgrad_distributed_failures <<< "$tsan_help"; then tsan_targets+=(xgrad_distributed_failures); fi
cmake --build build/tsan -j"$jobs" --target "${tsan_targets[@]}"
run_ctest tsan build/tsan  # TSAN_OPTIONS come with the tests (tests/CMakeLists.txt)

if [ "${XGRAD_FUZZ_SECONDS:-60}" != 0 ]; then
  echo "== fuzz targets (libFuzzer)"
  bash scripts/fuzz.sh "${XGRAD_FUZZ_SECONDS:-60}" || { failed=$((failed + 1)) counts+=("  fuzz: a target failed (counted as 1 failure)"); }
fi

echo "== summary"
printf '%s\n' "${counts[@]}"
if [ "$skipped" -gt 0 ]; then echo "xgrad: $passed passed, $failed failed, $skipped skipped"; else echo "xgrad: $passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
