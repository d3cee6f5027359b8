#!/usr/bin/env bash
# Installs the Debian packages xgrad builds, tests and trains with (clang and its runtime only
# serve the fuzz targets; graphviz only the test that renders a tape picture; clang-format the
# layout check; libtsan2, which g++ pulls in anyway, the ThreadSanitizer build of scripts/test.sh;
# libopenmpi-dev and openmpi-bin the optional xgrad::distributed, its mpirun tests and multi-process
# training; wamerican the word list examples/char_lm learns from; libdnnl-dev (oneDNN) the
# convolutions of conv2d (core/backends.hpp), with ocl-icd-opencl-dev, which Debian's oneDNN CMake
# config requires). Idempotent: when every package
# is already installed it only checks and returns.
# Needs root (or sudo) to install.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  xtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
  catch2 libcli11-dev libopenmpi-dev openmpi-bin zlib1g-dev nlohmann-json3-dev libpng-dev libbenchmark-dev libtsan2 libxsmm-dev
  libdnnl-dev ocl-icd-opencl-dev
  dataset-fashion-mnist wamerican
  clang libclang-rt-14-dev clang-format
  graphviz
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
