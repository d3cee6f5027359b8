#!/usr/bin/env bash
# Installs what is missing, builds xgrad's examples and trains the MNIST MLP (784-256-128-10,
# Adam, 5 epochs) on Debian's Fashion-MNIST, printing the test accuracy. Extra arguments go to
# mnist_mlp, e.g.: bash scripts/train-mnist.sh --epochs 10 --hidden 512 256
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/configure.sh release build/release  # the same configuration as test.sh's
cmake --build build/release -j"$(nproc)" --target mnist_mlp
exec build/release/examples/mnist_mlp "$@"
