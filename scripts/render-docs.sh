#!/usr/bin/env bash
# Regenerates the pictures in docs/images: from the XOR example, the tape of its first loss
# (Graphviz DOT rendered to SVG and PNG) and its loss curve (SVG written by xgrad itself); from
# the autoencoder, a grid of Fashion-MNIST test images and their reconstructions; for
# docs/6-gradients-of-gradients.md, the tape of a gradient (written by the test in
# tests/test_docs.cpp that checks it) and the PINN's solution; for docs/7, the tape of a residual block
# (written by tests/test_docs_custom.cpp); for docs/8, two LSTM steps (tests/test_docs_lm.cpp).
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
cmake --build build/release -j"$(nproc)" --target xgrad_tests pinn >/dev/null
XGRAD_DOCS_IMAGES="$out" build/release/tests/xgrad_tests "docs/6: the tape of dy/dx for y = tanh(w·x)" >/dev/null
XGRAD_DOCS_IMAGES="$out" build/release/tests/xgrad_tests "docs/7: the tape of one residual block*" >/dev/null
XGRAD_DOCS_IMAGES="$out" build/release/tests/xgrad_tests "docs/8: two LSTM steps*" >/dev/null
for tape in tanh_grad_tape residual_tape lstm_unroll; do
  dot -Tsvg "$out/$tape.dot" -o "$out/$tape.svg"
  dot -Tpng -Gdpi=80 "$out/$tape.dot" -o "$out/$tape.png"
done
build/release/examples/pinn --plot "$out/pinn.svg" > "$out/pinn_run.txt"
echo "wrote $out/xor_tape.svg, $out/xor_tape.png, $out/xor_loss.svg, $out/autoencoder.png, $out/autoencoder_loss.svg,"
echo "  $out/tanh_grad_tape.svg, $out/tanh_grad_tape.png, $out/pinn.svg, $out/residual_tape.svg, $out/residual_tape.png,"
echo "  $out/lstm_unroll.svg, $out/lstm_unroll.png"
