#!/usr/bin/env bash
# Instructions per reserve + confirm pair executed by the client process, per variant of the
# cross-process benchmark (hand-written reqwest, generated builders, facade), counted by
# valgrind's callgrind: a figure that does not move with the machine's load, to read beside the
# CPU-time ratios of `cargo bench --bench cross_process`. User-space instructions only (no
# kernel time, no cache misses); the sandbox process runs natively.
# Each variant runs twice (PAIRS=50 and PAIRS=250 per round; 1 measured round at 1, 16 and 64
# tasks after a warm-up round); the difference, divided by the pairs it adds, leaves out the
# start-up work both runs share.
# Usage: scripts/bench-instructions.sh   (needs valgrind)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
bin=$(cargo bench --bench cross_process --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*cross_process[^"]*\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "could not build the cross_process benchmark" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 3 task settings x 2 rounds (warm-up included) x (250 - 50) pairs
added=$((3 * 2 * 200))
printf '%-13s %14s %8s\n' variant "instr/pair" "x hand"
hand=
for variant in 0 1 2; do
  for pairs in 50 250; do
    ONLY=$variant ROUNDS=1 PAIRS=$pairs valgrind --tool=callgrind --callgrind-out-file="$work/out.$variant.$pairs" \
      "$bin" --bench >"$work/log.$variant.$pairs" 2>&1
  done
  small=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/log.$variant.50")
  large=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/log.$variant.250")
  per_pair=$(( (large - small) / added ))
  hand=${hand:-$per_pair}
  name=$(echo "hand-written builders facade" | cut -d' ' -f$((variant + 1)))
  printf '%-13s %14d %8s\n' "$name" "$per_pair" "$(awk -v a="$per_pair" -v b="$hand" 'BEGIN { printf "%.3f", a / b }')"
done
