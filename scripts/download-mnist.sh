#!/usr/bin/env bash
# Downloads the MNIST digits (four IDX .gz files) into DIR (default data/mnist) and checks the
# md5 of each decompressed file against the published values. Needs internet, curl or wget.
# Then: build/release/examples/mnist_mlp --data DIR
set -euo pipefail
dir=${1:-data/mnist}
base=${MNIST_MIRROR:-https://ossci-datasets.s3.amazonaws.com/mnist}
declare -A md5=(
  [train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
  [train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
  [t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
  [t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)
mkdir -p "$dir"
for name in "${!md5[@]}"; do
  file="$dir/$name.gz"
  if [ ! -f "$file" ]; then
    echo "downloading $name.gz"
    if command -v curl >/dev/null; then curl -fsSL -o "$file.part" "$base/$name.gz"
    else wget -q -O "$file.part" "$base/$name.gz"; fi
    mv "$file.part" "$file"
  fi
  got=$(gzip -dc "$file" | md5sum | cut -d' ' -f1)
  if [ "$got" != "${md5[$name]}" ]; then
    echo "download-mnist: $file decompresses to md5 $got, expected ${md5[$name]}; deleting it" >&2
    rm -f "$file"
    exit 1
  fi
  echo "ok  $file"
done
echo "MNIST is in $dir: run mnist_mlp --data $dir"
