#!/usr/bin/env bash
# Reports what regeneration costs: a cold `cargo build` of the SDK crate (all dependencies,
# build.rs, progenitor, the generated client), then, for each run, the rebuild after touching
# openapi.yaml (build.rs reruns progenitor; the crate recompiles) and after a real spec edit (a
# new optional field in the `Balance` schema, a different one each run; openapi.yaml is put
# back afterwards).
# Usage: scripts/regen-cost.sh [runs]   (default 3 rebuild runs; the cold build runs once)
#   With CARGO_TARGET_DIR set, that target directory is reused and the cold build is skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${1:-3}
cp openapi.yaml "$root/.openapi.yaml.regen-cost"
restore() { mv -f "$root/.openapi.yaml.regen-cost" "$root/openapi.yaml"; }
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  target=$CARGO_TARGET_DIR
  trap restore EXIT
  reuse=true
else
  target=$(mktemp -d)
  trap 'restore; rm -rf "$target"' EXIT
  export CARGO_TARGET_DIR="$target"
  reuse=false
fi

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
if $reuse; then
  cargo build --quiet -p credits-sdk
  echo "cold build: skipped (reusing $target)"
else
  cold=$(seconds cargo build --quiet -p credits-sdk)
  echo "cold build (dependencies included): ${cold}s"
fi
for i in $(seq 1 "$runs"); do
  touch openapi.yaml
  echo "rebuild after touching openapi.yaml, run $i: $(seconds cargo build --quiet -p credits-sdk)s"
done
for i in $(seq 1 "$runs"); do
  # A new optional property of Balance: a changed generated struct, as a real API change gives.
  sed -e "/^    Balance:/,/^    AccountPlan:/s|^        available: { \$ref: \"#/components/schemas/Credits\" }$|&\n        regenCost$i:\n          description: A field added by scripts/regen-cost.sh.\n          type: string|" \
    "$root/.openapi.yaml.regen-cost" > openapi.yaml
  grep -q "regenCost$i:" openapi.yaml || { echo "the spec edit did not apply" >&2; exit 1; }
  echo "rebuild after adding a field to Balance, run $i: $(seconds cargo build --quiet -p credits-sdk)s"
done
restore
cp openapi.yaml "$root/.openapi.yaml.regen-cost"
cargo build --quiet -p credits-sdk
lines=$(wc -l < "$(ls -t "$target"/debug/build/credits-sdk-*/out/codegen.rs | head -1)")
echo "generated code: $lines lines"
echo "machine: $(nproc) cores, $(rustc --version)"
