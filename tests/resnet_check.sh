#!/usr/bin/env bash
# Smoke test of the ResNet trainer as a user runs it, on a few batches:  resnet_check.sh RESNET WORKDIR
# It trains and writes its files; --eval-only --load gives the same accuracy; with torch, the
# PyTorch twin (examples/pytorch/resnet.py) takes no flag the trainer lacks, and weights saved by
# either one load into the other and give the same accuracy. Exits 77 (skipped) without Fashion-MNIST.
set -euo pipefail
resnet=$1 work=$2
mkdir -p "$work"
src=$(cd "$(dirname "$0")/.." && pwd)
twin="$src/examples/pytorch/resnet.py"
python=/usr/bin/python3 torch=no
if [ -x "$python" ] && "$python" -c "import torch" 2>/dev/null; then torch=yes; else echo "skipped the PyTorch twin: no torch for $python"; fi
export PYTHONPYCACHEPREFIX="$work/pycache"

"$resnet" --help | grep -q -- "--blocks"
if [ $torch = yes ]; then  # every flag of the twin is a flag of the trainer (which also has --plot)
  cpp_flags=$("$resnet" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
  for flag in $("$python" "$twin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    [ "$flag" = --help ] || grep -qx -- "$flag" <<< "$cpp_flags" || { echo "examples/pytorch/resnet.py has $flag, resnet doesn't" >&2; exit 1; }
  done
fi
if "$resnet" --blocks 1 1 2> "$work/bad-flags.txt"; then exit 1; fi
grep -q -- "--blocks" "$work/bad-flags.txt"

data=/usr/share/datasets/fashion-mnist
if [ ! -d "$data" ]; then
  echo "skipped the training runs: $data is missing"
  exit 77
fi
quick=(--limit 512 --batch-size 64)  # 8 training steps, 512 test images
# The per-class report and confusion matrix (printed without --quiet) down to the final accuracy:
# 100 counts that two runs of the same weights must agree on.
report() { sed -n '/^per-class accuracy/,/^final test accuracy/p' "$1"; }
"$resnet" "${quick[@]}" --epochs 1 --metrics "$work/resnet.csv" --plot "$work/resnet.svg" \
  --save "$work/resnet.safetensors" > "$work/train.txt"
report "$work/train.txt"
[ "$(head -1 "$work/resnet.csv")" = "epoch,train loss,test loss,test accuracy (%)" ]
[ "$(wc -l < "$work/resnet.csv")" -eq 2 ]
grep -q "<polyline" "$work/resnet.svg"
grep -q "(layer2) Sequential *\[64, 32, 14, 14\]" "$work/train.txt"  # nn::summary's table
grep "^epoch 1: train loss .*, test accuracy [0-9.]*%" "$work/train.txt"
loss=$(sed -n 's/^epoch 1: train loss \([0-9.]*\),.*/\1/p' "$work/train.txt")
awk -v l="$loss" 'BEGIN { exit !(l < 2.3) }' || { echo "resnet: train loss $loss after 8 steps, no better than chance (2.30)" >&2; exit 1; }
[ "$(report "$work/train.txt" | wc -l)" -eq 14 ]
"$resnet" "${quick[@]}" --eval-only --load "$work/resnet.safetensors" > "$work/eval.txt"
[ "$(report "$work/train.txt")" = "$(report "$work/eval.txt")" ]
"$resnet" "${quick[@]}" --quiet --eval-only --load "$work/resnet.safetensors" | grep -q "final test accuracy"

# A file of another shape is refused, naming the tensor and both shapes.
if "$resnet" "${quick[@]}" --eval-only --channels 8 16 32 --load "$work/resnet.safetensors" 2> "$work/bad-load.txt"; then exit 1; fi
grep -q "size mismatch for conv1.weight: copying a param with shape \[16, 1, 3, 3\] from checkpoint, the shape in current model is \[8, 1, 3, 3\]" "$work/bad-load.txt"

if [ $torch = yes ]; then  # the same names and the same forward in both: the same predictions, both ways
  "$python" "$twin" "${quick[@]}" --eval-only --load "$work/resnet.safetensors" > "$work/eval_py.txt"
  [ "$(report "$work/train.txt")" = "$(report "$work/eval_py.txt")" ]
  "$python" "$twin" "${quick[@]}" --epochs 1 --save "$work/resnet_py.safetensors" > "$work/train_py.txt"
  "$resnet" "${quick[@]}" --eval-only --load "$work/resnet_py.safetensors" > "$work/eval_from_py.txt"
  [ "$(report "$work/train_py.txt")" = "$(report "$work/eval_from_py.txt")" ]
  grep "final test accuracy" "$work/train_py.txt"
fi
echo "resnet OK"
