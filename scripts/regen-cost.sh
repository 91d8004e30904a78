#!/usr/bin/env bash
# Reports what regeneration costs: a cold `cargo build` of the SDK crate (all dependencies,
# build.rs, progenitor, the generated client), then the rebuild after touching openapi.yaml
# (build.rs reruns progenitor; the crate recompiles; dependencies are reused).
# Usage: scripts/regen-cost.sh [runs]   (default 3 rebuild runs; the cold build runs once)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${1:-3}
target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT
export CARGO_TARGET_DIR="$target"

# Runs a command quietly and prints its wall time in seconds, e.g. 12.3.
seconds() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  local ms=$(((end - start) / 1000000))
  printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100))
}

cargo fetch --quiet
cold=$(seconds cargo build --quiet -p credits-sdk)
echo "cold build (dependencies included): ${cold}s"
for i in $(seq 1 "$runs"); do
  touch openapi.yaml
  echo "rebuild after touching openapi.yaml, run $i: $(seconds cargo build --quiet -p credits-sdk)s"
done
lines=$(wc -l < "$(ls -t "$target"/debug/build/credits-sdk-*/out/codegen.rs | head -1)")
echo "generated code: $lines lines"
echo "machine: $(nproc) cores, $(rustc --version)"
