#!/usr/bin/env bash
# Proves the published crates are self-contained: what `cargo publish` would upload builds,
# tests and runs its examples with nothing from this repository next to it.
#
# 1. `cargo package` packages credits-sandbox, then credits-sdk, and verifies each (builds
#    it from its .crate). Packaged together, cargo resolves the SDK's dev-dependency
#    `credits-sandbox = { path, version }` to the sandbox's fresh .crate through a temporary
#    local registry, so no `--no-verify` is needed although the sandbox is not on crates.io.
#    The CLI (`cli/`) is `publish = false`: its build script reads the workspace's
#    `openapi.yaml`, which its own package would not hold, so it is not packaged.
# 2. Checks what each .crate ships: the licenses, the README, the CHANGELOG; none of `.ci/`,
#    `scripts/`, `redocly.yaml`, `sandbox/` or `cli/` in the SDK.
# 3. Unpacks both .crate files in a scratch directory, points the SDK's `credits-sandbox`
#    at the unpacked sandbox with `[patch.crates-io]` (what crates.io would serve once both
#    are published), and, offline, builds every target of the SDK (lib, tests, examples,
#    benches in the test profile), runs the compile-time and request-shape tests, the facade
#    tests against the packaged sandbox, and the quickstart example.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Reuses the workspace target dir: the dependencies are already built there.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version() { cargo metadata --no-deps --format-version 1 \
  | python3 -c "import json,sys; print(next(p['version'] for p in json.load(sys.stdin)['packages'] if p['name']=='$1'))"; }
sdk="credits-sdk-$(version credits-sdk)"
sandbox="credits-sandbox-$(version credits-sandbox)"

echo "--> cargo package (credits-sandbox, then credits-sdk against it), each verified"
# --allow-dirty: CI may run on a tree with uncommitted changes (a local run); the package is
# built from the files as they are.
cargo package --quiet --allow-dirty -p credits-sandbox -p credits-sdk

echo "--> contents"
list() { tar -tzf "$CARGO_TARGET_DIR/package/$1.crate" | sed "s|^$1/||"; }
fail=0
for crate in "$sdk" "$sandbox"; do
  for needed in Cargo.toml Cargo.lock README.md LICENSE-MIT LICENSE-APACHE; do
    list "$crate" | grep -qx "$needed" || { echo "FAIL $crate lacks $needed"; fail=1; }
  done
done
for needed in CHANGELOG.md build.rs codegen/settings.rs openapi.yaml src/lib.rs examples/quickstart.rs; do
  list "$sdk" | grep -qx "$needed" || { echo "FAIL $sdk lacks $needed"; fail=1; }
done
if list "$sdk" | grep -E '^(\.ci/|scripts/|redocly\.yaml|sandbox/|cli/|target/)'; then
  echo "FAIL $sdk ships files it does not need (above)"; fail=1
fi
[ "$fail" = 0 ] || exit 1
echo "ok   $sdk: $(list "$sdk" | wc -l) files; $sandbox: $(list "$sandbox" | wc -l) files"

echo "--> the unpacked SDK builds, tests and runs against the unpacked sandbox, offline"
tar -xzf "$CARGO_TARGET_DIR/package/$sdk.crate" -C "$work"
tar -xzf "$CARGO_TARGET_DIR/package/$sandbox.crate" -C "$work"
printf '\n[patch.crates-io]\ncredits-sandbox = { path = "../%s" }\n' "$sandbox" >> "$work/$sdk/Cargo.toml"
(
  cd "$work/$sdk"
  cargo test --offline --quiet --all-targets --no-run
  cargo test --offline --quiet --test send_static --test request_shapes --test facade
  cargo run --offline --quiet --example quickstart > /dev/null
)
echo "the packages are self-contained"
