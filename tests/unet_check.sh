#!/usr/bin/env bash
# Smoke test of examples/unet_denoise.cpp as a user runs it, on the first 512 images:
#   unet_check.sh UNET_DENOISE WORKDIR
# It must learn (the denoised test images beat the noisy ones even after one short epoch), write
# its files, evaluate the saved weights to the same PSNR, and, with torch, its PyTorch twin must
# read those weights and compute the same PSNR on the same noisy test images. Exit 77 (skipped)
# without Fashion-MNIST.
set -euo pipefail
unet=$1 work=$2
mkdir -p "$work"
src=$(cd "$(dirname "$0")/.." && pwd)
data=/usr/share/datasets/fashion-mnist
[ -d "$data" ] || { echo "skipped: $data is missing"; exit 77; }

if "$unet" --data "$work/no-such-folder" 2> "$work/missing.txt"; then exit 1; fi
grep -q "dataset-fashion-mnist" "$work/missing.txt"

# One epoch of 16 steps of 32 images: enough to beat the noise.
"$unet" --limit 512 --epochs 1 --batch-size 32 --quiet --metrics "$work/unet.csv" --plot "$work/unet.svg" \
  --png "$work/unet.png" --images 12 --save "$work/unet.safetensors" | tee "$work/train.txt"
[ "$(head -1 "$work/unet.csv")" = "epoch,train mse,test mse,test PSNR noisy (dB),test PSNR denoised (dB)" ]
[ "$(wc -l < "$work/unet.csv")" -eq 2 ]
grep -q "<polyline" "$work/unet.svg"
[ "$(head -c 8 "$work/unet.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
# 12 images, 10 to a row: two groups of three rows (noisy, denoised, clean), 280 x 168 pixels.
[ "$(head -c 24 "$work/unet.png" | tail -c 8 | od -An -tx1 | tr -d ' \n')" = "00000118000000a8" ]
grep -q "^epoch 1: train mse [0-9.]*, test mse [0-9.]*, test PSNR noisy [0-9.]* dB, denoised [0-9.]* dB" "$work/train.txt"

# "test PSNR (mean over 512 images, sigma 0.3): noisy 10.462 dB, denoised 12.345 dB" -> "10.462 12.345"
psnr() { sed -n 's/^test PSNR (mean over 512 images, sigma 0.3): noisy \([0-9.]*\) dB, denoised \([0-9.]*\) dB$/\1 \2/p' "$1"; }
read -r noisy denoised <<< "$(psnr "$work/train.txt")"
[ -n "$denoised" ] || { echo "unet_denoise printed no final PSNR line" >&2; exit 1; }
# Unclamped Gaussian noise of sigma 0.3: -20·log10(0.3) = 10.46 dB, up to sampling.
awk -v n="$noisy" 'BEGIN { exit !(n > 10.3 && n < 10.6) }' || { echo "noisy PSNR $noisy dB, expected about 10.46" >&2; exit 1; }
awk -v n="$noisy" -v d="$denoised" 'BEGIN { exit !(d > n + 0.5) }' ||
  { echo "denoised PSNR $denoised dB doesn't beat the noisy $noisy dB" >&2; exit 1; }

# The saved weights, evaluated again: the same line, to the last digit.
"$unet" --limit 512 --eval-only --quiet --load "$work/unet.safetensors" --png "$work/eval.png" --images 12 | tee "$work/eval.txt"
[ "$(psnr "$work/train.txt")" = "$(psnr "$work/eval.txt")" ]
cmp -s "$work/unet.png" "$work/eval.png"
if "$unet" --limit 512 --eval-only --channels 4 --load "$work/unet.safetensors" 2> "$work/bad-load.txt"; then exit 1; fi
grep -q "size mismatch for inc.conv1.weight" "$work/bad-load.txt"

python=/usr/bin/python3
if [ -x "$python" ] && "$python" -c "import torch" 2>/dev/null; then
  export PYTHONPYCACHEPREFIX="$work/pycache"
  twin="$src/examples/pytorch/unet_denoise.py"
  # Every flag of the twin is a flag of the trainer (which has --plot too).
  cpp_flags=$("$unet" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
  for flag in $("$python" "$twin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    [ "$flag" = --help ] || grep -qx -- "$flag" <<< "$cpp_flags" || { echo "$twin has $flag, unet_denoise doesn't" >&2; exit 1; }
  done
  # The twin draws the same test noise and loads the C++ weights by their names: the same noisy
  # PSNR to the last digit (the same images), the denoised one within 0.01 dB (float rounding).
  "$python" "$twin" --limit 512 --eval-only --quiet --load "$work/unet.safetensors" --png "$work/eval_py.png" |
    tee "$work/eval_py.txt"
  read -r noisy_py denoised_py <<< "$(psnr "$work/eval_py.txt")"
  [ "$noisy_py" = "$noisy" ] || { echo "the twin's noisy PSNR $noisy_py dB, unet_denoise's $noisy dB" >&2; exit 1; }
  awk -v a="$denoised" -v b="$denoised_py" 'BEGIN { d = a - b; exit !(d < 0.01 && d > -0.01) }' ||
    { echo "the twin's denoised PSNR $denoised_py dB, unet_denoise's $denoised dB" >&2; exit 1; }
  # Training, step for step: from the same weights, on one batch of 64 images, with noise of sigma
  # 1e-30 (x + 1e-30·n is x in float, so both see the same batch whatever their generators draw),
  # 40 Adam steps (the loss falls from 0.072 to 0.021) must give the same losses: forward, backward
  # (ConvTranspose2d, cat, max pooling) and Adam agree. Only float rounding separates them.
  same_batch=(--limit 64 --batch-size 64 --epochs 40 --sigma 1e-30 --quiet --png /dev/null
              --load "$work/unet.safetensors")
  "$unet" "${same_batch[@]}" --metrics "$work/steps.csv" > /dev/null
  "$python" "$twin" "${same_batch[@]}" --metrics "$work/steps_py.csv" > /dev/null
  paste -d, "$work/steps.csv" "$work/steps_py.csv" | awk -F, 'NR > 1 {
      d = $2 / $7 - 1; if (d > 1e-3 || d < -1e-3) { print "step " $1 ": train mse " $2 " here, " $7 " in the twin"; bad = 1 } }
      END { exit bad }' >&2
else
  echo "skipped the PyTorch twin: no torch for $python"
fi
echo "unet_denoise OK"
