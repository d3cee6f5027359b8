#!/usr/bin/env bash
# Smoke tests of the example trainers as a user runs them: check.sh XOR MNIST_MLP WORKDIR
set -euo pipefail
xor=$1 mlp=$2 work=$3
mkdir -p "$work"

"$xor" --steps 1500 --tape --dot "$work/tape.dot" --metrics "$work/xor.csv" --plot "$work/xor.svg" | tee "$work/xor.txt" | tail -3
grep -q "4 of 4 right" "$work/xor.txt"
grep -q "#3 linear  *#2 \[4, 8\], 2.weight \[1, 8\], 2.bias \[1\] -> \[4, 1\]" "$work/xor.txt"
grep -q 'label="0.weight' "$work/tape.dot"
[ "$(head -1 "$work/xor.csv")" = "step,loss" ] && [ "$(wc -l < "$work/xor.csv")" -eq 9 ]
grep -q "<polyline" "$work/xor.svg"
if command -v dot >/dev/null; then dot -Tsvg "$work/tape.dot" -o "$work/tape.svg"; else echo "skipped dot -Tsvg: graphviz not installed"; fi

"$mlp" --help | grep -q -- "--hidden"
if "$mlp" --data "$work/no-such-folder" 2> "$work/missing.txt"; then exit 1; fi
grep -q "dataset-fashion-mnist" "$work/missing.txt"

data=/usr/share/datasets/fashion-mnist
if [ -d "$data" ]; then
  "$mlp" --epochs 1 --hidden 64 --batch-size 128 --quiet --save "$work/mlp.safetensors" \
    --metrics "$work/mlp.csv" --plot "$work/mlp.svg" | tee "$work/train.txt"
  [ "$(head -1 "$work/mlp.csv")" = "epoch,train loss,test loss,test accuracy (%)" ]
  grep -q "<polyline" "$work/mlp.svg"
  trained=$(grep "final test accuracy" "$work/train.txt")
  "$mlp" --eval-only --hidden 64 --quiet --load "$work/mlp.safetensors" | tee "$work/eval.txt"
  [ "$trained" = "$(grep "final test accuracy" "$work/eval.txt")" ]
  acc=$(sed -n 's/final test accuracy: \([0-9]*\)\..*/\1/p' "$work/train.txt")
  [ "$acc" -ge 78 ]
  if "$mlp" --eval-only --hidden 32 --load "$work/mlp.safetensors" 2> "$work/bad-load.txt"; then exit 1; fi
  grep -q "has shape \[64, 784\] in the file, the model expects \[32, 784\]" "$work/bad-load.txt"
else
  echo "skipped the training run: $data is missing"
fi
echo "examples OK"
