#!/usr/bin/env bash
# Every C++ file is laid out as .clang-format says (Debian 12's clang-format 14):
#   format_check.sh SOURCE_DIR
# A file that fails is named with clang-format's first complaint; fix with clang-format -i FILE.
set -euo pipefail
cd "$1"
if ! command -v clang-format >/dev/null; then
  echo "format check: clang-format is not installed (apt-get install clang-format)" >&2
  exit 1
fi
if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
else
  mapfile -t files < <(find core nn optim data viz distributed examples tests bench xgrad.hpp \( -name '*.cpp' -o -name '*.hpp' \) | sort)
fi
bad=0
for f in "${files[@]}"; do
  if ! out=$(clang-format --dry-run --Werror "$f" 2>&1); then
    echo "$out" | head -3
    bad=$((bad + 1))
  fi
done
echo "format check: ${#files[@]} files, $bad not formatted"
[ "$bad" -eq 0 ]
