#!/usr/bin/env bash
# Smoke tests of the example trainers as a user runs them:
#   examples_check.sh XOR MNIST_MLP MNIST_CNN AUTOENCODER PINN WORKDIR
set -euo pipefail
xor=$1 mlp=$2 cnn=$3 ae=$4 pinn=$5 work=$6
mkdir -p "$work"
src=$(cd "$(dirname "$0")/.." && pwd)

# Each trainer has its PyTorch twin; each names the other in its first comment; the twins parse
# (py_compile needs no torch). With torch installed, the twins run too.
for cpp in "$src"/examples/*.cpp; do
  name=$(basename "$cpp" .cpp); twin="$src/examples/pytorch/$name.py"
  [ -f "$twin" ] || { echo "examples/$name.cpp has no PyTorch twin examples/pytorch/$name.py" >&2; exit 1; }
  head -2 "$cpp" | grep -q "examples/pytorch/$name.py" || { echo "examples/$name.cpp: its first comment doesn't name examples/pytorch/$name.py" >&2; exit 1; }
  head -3 "$twin" | grep -q "examples/$name.cpp" || { echo "examples/pytorch/$name.py: its first comment doesn't name examples/$name.cpp" >&2; exit 1; }
done
head -3 "$src/examples/pytorch/common.py" | grep -q "examples/common.hpp"
python=/usr/bin/python3 torch=no
if [ -x "$python" ]; then
  PYTHONPYCACHEPREFIX="$work/pycache" "$python" -m py_compile "$src"/examples/pytorch/*.py
  if "$python" -c "import torch" 2>/dev/null; then torch=yes; else echo "skipped running the PyTorch twins: no torch for $python"; fi
else
  echo "skipped the PyTorch twins' syntax check: no $python"
fi
export PYTHONPYCACHEPREFIX="$work/pycache"
if [ $torch = yes ]; then
  # Every flag of a twin is a flag of its trainer (the trainers have a few more: --plot, xor's --tape ...).
  for pair in "xor:$xor" "mnist_mlp:$mlp" "mnist_cnn:$cnn" "autoencoder:$ae" "pinn:$pinn"; do
    name=${pair%%:*} exe=${pair#*:}
    cpp_flags=$("$exe" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
    for flag in $("$python" "$src/examples/pytorch/$name.py" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
      [ "$flag" = --help ] || grep -qx -- "$flag" <<< "$cpp_flags" || { echo "examples/pytorch/$name.py has $flag, $name doesn't" >&2; exit 1; }
    done
  done
  "$python" "$src/examples/pytorch/xor.py" > "$work/xor_py.txt"
  grep -q "4 of 4 right" "$work/xor_py.txt"
fi

"$xor" --steps 1500 --tape --dot "$work/tape.dot" --metrics "$work/xor.csv" --plot "$work/xor.svg" | tee "$work/xor.txt" | tail -3
grep -q "4 of 4 right" "$work/xor.txt"
grep -q "#3 linear  *#2 \[4, 8\], 2.weight \[1, 8\], 2.bias \[1\] -> \[4, 1\]" "$work/xor.txt"
grep -q 'label="0.weight' "$work/tape.dot"
[ "$(head -1 "$work/xor.csv")" = "step,loss" ] && [ "$(wc -l < "$work/xor.csv")" -eq 9 ]
grep -q "<polyline" "$work/xor.svg"
if command -v dot >/dev/null; then dot -Tsvg "$work/tape.dot" -o "$work/tape.svg"; else echo "skipped dot -Tsvg: graphviz not installed"; fi

# The PINN on a fifth of its steps: u'' through two create_graph passes must already fit sin(2πx).
"$pinn" --steps 600 --log-every 300 --metrics "$work/pinn.csv" --plot "$work/pinn.svg" | tee "$work/pinn.txt" | tail -1
err=$(sed -n 's/relative L2 error against sin(2πx): \(.*\)/\1/p' "$work/pinn.txt")
awk -v e="$err" 'BEGIN { exit !(e > 0 && e < 2e-3) }' || { echo "pinn: relative L2 error $err after 600 steps" >&2; exit 1; }
[ "$(head -1 "$work/pinn.csv")" = "step,loss" ]
grep -q "<polyline" "$work/pinn.svg"

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
  if [ $torch = yes ]; then  # the twin reads the same data and computes the same forward: the same accuracy
    "$python" "$src/examples/pytorch/mnist_mlp.py" --eval-only --hidden 64 --quiet --load "$work/mlp.safetensors" | tee "$work/eval_py.txt"
    [ "$trained" = "$(grep "final test accuracy" "$work/eval_py.txt")" ]
  fi
  if "$mlp" --eval-only --hidden 32 --load "$work/mlp.safetensors" 2> "$work/bad-load.txt"; then exit 1; fi
  grep -q "size mismatch for 1.weight: copying a param with shape \[64, 784\] from checkpoint, the shape in current model is \[32, 784\]" "$work/bad-load.txt"
  # The CNN and the autoencoder on a slice of the work: they must run, learn and write their files.
  "$cnn" --help | grep -q -- "--channels"
  "$cnn" --epochs 1 --channels 4 8 --hidden 32 --batch-size 256 --quiet | tee "$work/cnn.txt"
  cnn_acc=$(sed -n 's/final test accuracy: \([0-9]*\)\..*/\1/p' "$work/cnn.txt")
  [ "$cnn_acc" -ge 75 ]
  "$ae" --epochs 1 --batch-size 256 --quiet --png "$work/ae.png" --images 20 | tee "$work/ae.txt"
  grep -q "test mse" "$work/ae.txt"
  [ "$(head -c 8 "$work/ae.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
else
  echo "skipped the training runs: $data is missing"
fi
echo "examples OK"
