#!/usr/bin/env bash
# Regenerates the pictures in docs/images: from the XOR example, the tape of its first loss
# (Graphviz DOT rendered to SVG and PNG) and its loss curve (SVG written by xgrad itself); from
# the autoencoder, a grid of Fashion-MNIST test images and their reconstructions.
# Needs graphviz (apt-get install graphviz) at doc time only; building xgrad never does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/configure.sh release build/release  # the same configuration as test.sh's
cmake --build build/release -j"$(nproc)" --target xor autoencoder >/dev/null
out=docs/images
mkdir -p "$out"
build/release/examples/xor --hidden 3 --tape --dot "$out/xor_tape.dot" --plot "$out/xor_loss.svg" \
  --metrics "$out/xor_loss.csv" --log-every 50 > "$out/xor_run.txt"
dot -Tsvg "$out/xor_tape.dot" -o "$out/xor_tape.svg"
dot -Tpng -Gdpi=80 "$out/xor_tape.dot" -o "$out/xor_tape.png"
build/release/examples/autoencoder --quiet --png "$out/autoencoder.png" --plot "$out/autoencoder_loss.svg" > "$out/autoencoder_run.txt"
echo "wrote $out/xor_tape.svg, $out/xor_tape.png, $out/xor_loss.svg, $out/autoencoder.png, $out/autoencoder_loss.svg"
