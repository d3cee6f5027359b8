#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60) from the seed
# corpus in tests/fuzz/corpus. Needs clang and libclang-rt-14-dev; without clang it says so
# and exits 0. A crash leaves its input in build/fuzz/artifacts/ and exits non-zero: keep that
# input as a regression file in tests/fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found, skipping the fuzz targets (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi
bash scripts/configure.sh fuzz build/fuzz
cmake --build build/fuzz -j"$(nproc)" --target fuzz_idx fuzz_safetensors
mkdir -p build/fuzz/artifacts
for target in idx safetensors; do
  work=build/fuzz/corpus-$target
  rm -rf "$work" && mkdir -p "$work" && cp tests/fuzz/corpus/$target/* "$work"/
  echo "== fuzz_$target for ${seconds}s"
  # Regression inputs first (each must pass), then new inputs for the time given.
  build/fuzz/tests/fuzz/fuzz_$target tests/fuzz/corpus/$target/* >/dev/null 2>&1 || {
    echo "fuzz_$target: a corpus file fails"; build/fuzz/tests/fuzz/fuzz_$target tests/fuzz/corpus/$target/*; exit 1; }
  build/fuzz/tests/fuzz/fuzz_$target "$work" -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 \
    -artifact_prefix=build/fuzz/artifacts/$target- -print_final_stats=1 2>&1 | tail -12
done
echo "fuzz: no crashes"
