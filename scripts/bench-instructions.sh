#!/usr/bin/env bash
# Instructions, level-1 cache misses (instruction and data) and mispredicted branches per
# reserve + confirm pair of the client process,
# per variant of the cross-process benchmark (hand-written reqwest, generated builders,
# facade), counted by valgrind's cachegrind with its cache and branch simulations: figures that do not move
# with the machine's load, to read beside the CPU-time ratios of
# `cargo bench --bench cross_process`. User-space only (no kernel time); the cache is
# simulated for one core (no traffic between cores); the sandbox process runs natively.
# Each variant runs twice (PAIRS=50 and PAIRS=250 per round; 1 measured round at 1, 16 and 64
# tasks after a warm-up round); the difference, divided by the pairs it adds, leaves out the
# start-up work both runs share. The two runs of a variant go side by side.
# Usage: scripts/bench-instructions.sh   (needs valgrind; VARIANTS="0 2" for some of them; BIN=path)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
# BIN: a cross_process binary built before (another commit's, to compare), instead of this tree's.
bin=${BIN:-$(cargo bench --bench cross_process --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*cross_process[^"]*\)".*/\1/p' | tail -1)}
[ -x "$bin" ] || { echo "could not build the cross_process benchmark" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 3 task settings x 2 rounds (warm-up included) x (250 - 50) pairs
added=$((3 * 2 * 200))
# A summary total of cachegrind's log: `I` for instructions, `I1` and `D1` for cache misses,
# `Mispredicts` for branches.
total() { sed -n "s/.*== $2 *\(refs\|misses\|\): *\([0-9,]*\).*/\2/p" "$1" | head -1 | tr -d ,; }
printf '%-13s %12s %7s %14s %7s %14s %7s %16s %7s\n' variant "instr/pair" "x hand" "I1 miss/pair" "x hand" \
  "D1 miss/pair" "x hand" "mispredict/pair" "x hand"
hand_ir=
hand_i1=
hand_d1=
hand_br=
for variant in ${VARIANTS:-0 1 2}; do
  for pairs in 50 250; do
    ONLY=$variant ROUNDS=1 PAIRS=$pairs valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes \
      --cachegrind-out-file=/dev/null "$bin" --bench >"$work/log.$variant.$pairs" 2>&1 &
  done
  wait
  per_pair() { echo $(( ($(total "$work/log.$variant.250" "$1") - $(total "$work/log.$variant.50" "$1")) / added )); }
  ir=$(per_pair "I")
  i1=$(per_pair "I1")
  d1=$(per_pair "D1")
  br=$(per_pair "Mispredicts")
  hand_ir=${hand_ir:-$ir}
  hand_br=${hand_br:-$br}
  hand_i1=${hand_i1:-$i1}
  hand_d1=${hand_d1:-$d1}
  name=$(echo "hand-written builders facade" | cut -d' ' -f$((variant + 1)))
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
  printf '%-13s %12d %7s %14d %7s %14d %7s %16d %7s\n' "$name" "$ir" "$(ratio "$ir" "$hand_ir")" \
    "$i1" "$(ratio "$i1" "$hand_i1")" "$d1" "$(ratio "$d1" "$hand_d1")" "$br" "$(ratio "$br" "$hand_br")"
done
