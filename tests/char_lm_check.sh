#!/usr/bin/env bash
# Smoke test of the character language model as a user runs it:  char_lm_check.sh BUILD SOURCE [WORKDIR]
# BUILD is the char_lm executable or a build tree holding examples/char_lm; SOURCE the source tree.
# Each model trains for a few steps and must print a finite validation loss below ln 27 = 3.30
# (uniform guessing) and 20 words; a model saved with --save evaluates to the same loss with
# --load; the same seed gives the same words; a missing or useless word list exits with 2 naming
# the file. With torch, the PyTorch twin trains the same few steps on the same batches to a loss
# close to xgrad's, and loads xgrad's weights to the same loss. Exits 77 (skipped) without the word list.
set -euo pipefail
build=$1 src=$2
char_lm=$build
[ -x "$char_lm" ] && [ ! -d "$char_lm" ] || char_lm=$build/examples/char_lm
work=${3:-$(dirname "$char_lm")/char-lm-check}
mkdir -p "$work"
twin="$src/examples/pytorch/char_lm.py"
python=/usr/bin/python3 torch=no
if [ -x "$python" ] && "$python" -c "import torch" 2>/dev/null; then torch=yes; else echo "skipped the PyTorch twin: no torch for $python"; fi
export PYTHONPYCACHEPREFIX="$work/pycache"
fail() { echo "char_lm_check: $*" >&2; exit 1; }

# A word list that can't be read, or has too few words of a-z: exit 2, the file named.
status=0; "$char_lm" --words "$work/no-such-list" 2> "$work/missing.txt" || status=$?
[ $status -eq 2 ] || fail "a missing word list gave exit $status, not 2"
grep -q "word list '$work/no-such-list' cannot be read" "$work/missing.txt" || fail "no file name in: $(cat "$work/missing.txt")"
printf "Aaron's\nZ\xc3\xbcrich\n42\n" > "$work/no-words.txt"
status=0; "$char_lm" --words "$work/no-words.txt" 2> "$work/empty.txt" || status=$?
[ $status -eq 2 ] || fail "a list without words of a-z gave exit $status, not 2"
grep -q "word list '$work/no-words.txt' has 0 words of the letters a-z" "$work/empty.txt" || fail "$(cat "$work/empty.txt")"
"$char_lm" --model rnn 2> /dev/null && fail "--model rnn was accepted"

words=/usr/share/dict/american-english
if [ ! -f "$words" ]; then
  echo "skipped the training runs: $words is missing (apt-get install wamerican)"
  exit 77
fi
if [ $torch = yes ]; then  # every flag of the twin is a flag of the trainer
  cpp_flags=$("$char_lm" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
  for flag in $("$python" "$twin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    [ "$flag" = --help ] || grep -qx -- "$flag" <<< "$cpp_flags" || fail "examples/pytorch/char_lm.py has $flag, char_lm doesn't"
  done
fi

# Every 20th line of the list (about 3,700 words): evaluating on the full list's 14,700 would take
# most of the time.
awk 'NR % 20 == 0' "$words" > "$work/words.txt"
val_loss() { sed -n 's/^train loss [0-9.]*, val loss \([0-9.a-z]*\) (nats per character).*/\1/p' "$1"; }
# The words: the lines after the loss line (and the "saved" line), each letters and an optional note.
sampled() { sed -n '/^train loss/,$p' "$1" | grep -v '^train loss\|^saved the weights'; }
quick=(--words "$work/words.txt" --steps 25 --batch-size 32 --samples 20)
for model in mlp lstm transformer; do
  out=$work/$model.txt
  "$char_lm" --model $model "${quick[@]}" --save "$work/$model.safetensors" > "$out"
  grep -q "^model: $model, [0-9]* parameters" "$out" || fail "$model: no parameter count"
  grep -q "^Input shape" "$out" || fail "$model: no nn::summary table"
  loss=$(val_loss "$out")
  awk -v l="$loss" 'BEGIN { exit !(l + 0 == l && l > 0.5 && l < 3.2958) }' ||
    fail "$model: val loss '$loss' after 25 steps is not a finite number below ln 27 = 3.30"
  [ "$(sampled "$out" | wc -l)" -eq 20 ] || fail "$model: $(sampled "$out" | wc -l) words, not 20"
  sampled "$out" | grep -qvE '^[a-z]*(  \(new[^)]*\))?$' && fail "$model: not a word: $(sampled "$out" | grep -vE '^[a-z]*(  \(new[^)]*\))?$' | head -1)"
  echo "$model: val loss $loss after 25 steps; words: $(sampled "$out" | head -5 | cut -d' ' -f1 | tr '\n' ' ')"
  # The saved weights, loaded and not trained, evaluate to the same loss and sample the same words.
  "$char_lm" --model $model --words "$work/words.txt" --steps 0 --samples 20 --quiet --load "$work/$model.safetensors" > "$work/$model-load.txt"
  [ "$(val_loss "$work/$model-load.txt")" = "$loss" ] || fail "$model: --load gave val loss $(val_loss "$work/$model-load.txt"), not $loss"
  [ "$(sampled "$work/$model-load.txt")" = "$(sampled "$out")" ] || fail "$model: --load sampled other words"
  if [ $torch = yes ]; then
    # The twin on the same batches from its own initial weights: close, not equal.
    "$python" "$twin" --model $model "${quick[@]}" --quiet > "$work/$model-py.txt"
    py=$(val_loss "$work/$model-py.txt")
    awk -v a="$loss" -v b="$py" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 0.1 * b) }' ||
      fail "$model: val loss $loss, PyTorch's twin $py: more than 10% apart"
    # xgrad's weights in the twin: the same model, so the same loss to float rounding.
    "$python" "$twin" --model $model --words "$work/words.txt" --steps 0 --quiet --load "$work/$model.safetensors" > "$work/$model-py-load.txt"
    pyl=$(val_loss "$work/$model-py-load.txt")
    awk -v a="$loss" -v b="$pyl" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 2e-4) }' ||
      fail "$model: xgrad's weights give val loss $loss in xgrad, $pyl in PyTorch"
    echo "$model: PyTorch's twin: val loss $py after the same 25 steps; $pyl with xgrad's weights"
  fi
done

# Reproducible: the same seed, the same training and the same words.
"$char_lm" --model mlp "${quick[@]}" --quiet > "$work/again.txt"
[ "$(sampled "$work/again.txt")" = "$(sampled "$work/mlp.txt")" ] || fail "the same seed sampled other words"
"$char_lm" --model mlp "${quick[@]}" --quiet --seed 2 > "$work/seed2.txt"
[ "$(sampled "$work/seed2.txt")" != "$(sampled "$work/mlp.txt")" ] || fail "--seed 2 sampled the same words as --seed 1"
echo "char_lm OK"
