#!/usr/bin/env bash
# Runs a program on 2 ranks under a wall-clock limit, so a hang fails the test instead of CI:
#   mpirun_check.sh pass|fail LIMIT_SECONDS REGEX PROGRAM [ARGS...]
# pass: the job must exit 0; fail: it must exit non-zero. Either way it must end within LIMIT
# seconds and its output (both ranks', stdout and stderr, as one text: . matches a newline)
# must match the extended regex REGEX.
set -uo pipefail
expect=$1 limit=$2 regex=$3
shift 3
root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
start=$(date +%s%N)
out=$(timeout --kill-after=5 "$limit" mpirun --oversubscribe "${root[@]}" -np 2 "$@" 2>&1)
status=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$out"
echo "mpirun_check: exit status $status after ${elapsed} ms (limit ${limit} s)"
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
  echo "mpirun_check: FAILED: the job was still running after ${limit} s (a hang)"
  exit 1
fi
if [ "$expect" = pass ] && [ $status -ne 0 ]; then echo "mpirun_check: FAILED: expected exit status 0"; exit 1; fi
if [ "$expect" = fail ] && [ $status -eq 0 ]; then echo "mpirun_check: FAILED: expected the job to fail"; exit 1; fi
if ! grep -Ezq -- "$regex" <<<"$out"; then echo "mpirun_check: FAILED: no line matches: $regex"; exit 1; fi
echo "mpirun_check: ok"
