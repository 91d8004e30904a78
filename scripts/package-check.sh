#!/usr/bin/env bash
# Proves the published crates are self-contained: what `cargo publish` would upload builds,
# tests and runs its examples with nothing from this repository next to it.
#
# 0. The publish order exists: credits-types depends on nothing of ours, credits-sandbox on
#    credits-types, credits-sdk on credits-types (and, for its tests, on credits-sandbox).
#    No cycle, even through dev-dependencies: crates.io needs every dependency of a crate,
#    dev-dependencies included, published before it.
# 1. `cargo package` packages credits-types, credits-sandbox and credits-sdk and verifies
#    each (builds it from its .crate). Packaged together, cargo resolves their dependencies on
#    each other to the fresh .crate files through a temporary local registry, so no
#    `--no-verify` is needed although none of them is on crates.io yet.
#    The CLI (`cli/`) is `publish = false`: its build script reads the workspace's
#    `openapi.yaml`, which its own package would not hold, so it is not packaged.
# 2. Checks what each .crate ships: the licenses, the README, the CHANGELOG; none of `.ci/`,
#    `scripts/`, `redocly.yaml`, `sandbox/` or `cli/` in the SDK.
# 3. Unpacks the three .crate files in a scratch directory, points the SDK's `credits-sandbox`
#    and `credits-types` at the unpacked ones with `[patch.crates-io]` (what crates.io would
#    serve once they are published), and, offline, builds every target of the SDK (lib, tests, examples,
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
types="credits-types-$(version credits-types)"

echo "--> publish order: no cycle among the published crates, dev-dependencies included"
cargo metadata --format-version 1 | python3 -c '
import json, sys
meta = json.load(sys.stdin)
published = {p["name"]: p for p in meta["packages"] if p["name"] in ("credits-types", "credits-sandbox", "credits-sdk")}
edges = {name: sorted({d["name"] for d in p["dependencies"] if d["name"] in published and d["name"] != name})
         for name, p in published.items()}
order, state = [], {}
def visit(name, path):
    if state.get(name) == "done": return
    if state.get(name) == "open": sys.exit("FAIL dependency cycle: " + " -> ".join(path + [name]))
    state[name] = "open"
    for dep in edges[name]: visit(dep, path + [name])
    state[name] = "done"; order.append(name)
for name in sorted(published): visit(name, [])
print("ok   publish order: " + ", ".join(order))
'

echo "--> cargo package (credits-types, credits-sandbox, credits-sdk), each verified"
# --allow-dirty: CI may run on a tree with uncommitted changes (a local run); the package is
# built from the files as they are.
# Cargo keeps what it extracted from that temporary registry under CARGO_HOME, by version:
# a second run on the same machine would build the sandbox against the first run's
# credits-types. Local registries' directories start with `-` (crates.io's name their host).
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/credits-{types,sandbox,sdk}-*
cargo package --quiet --allow-dirty -p credits-types -p credits-sandbox -p credits-sdk

echo "--> contents"
list() { tar -tzf "$CARGO_TARGET_DIR/package/$1.crate" | sed "s|^$1/||"; }
fail=0
for crate in "$sdk" "$sandbox" "$types"; do
  for needed in Cargo.toml Cargo.lock README.md LICENSE-MIT LICENSE-APACHE; do
    list "$crate" | grep -qx "$needed" || { echo "FAIL $crate lacks $needed"; fail=1; }
  done
done
for needed in CHANGELOG.md build.rs codegen/settings.rs openapi.yaml src/lib.rs examples/quickstart.rs; do
  list "$sdk" | grep -qx "$needed" || { echo "FAIL $sdk lacks $needed"; fail=1; }
done
# credits-types' spec and generator are links to the workspace's: the package holds the files.
for needed in build.rs codegen/settings.rs codegen/generate.rs codegen/postprocess.rs openapi.yaml src/lib.rs; do
  list "$types" | grep -qx "$needed" || { echo "FAIL $types lacks $needed"; fail=1; }
done
if ! cmp -s openapi.yaml <(tar -xzOf "$CARGO_TARGET_DIR/package/$types.crate" "$types/openapi.yaml"); then
  echo "FAIL $types ships another openapi.yaml than the SDK's"; fail=1
fi
if list "$sdk" | grep -E '^(\.ci/|scripts/|redocly\.yaml|sandbox/|cli/|types/|target/)'; then
  echo "FAIL $sdk ships files it does not need (above)"; fail=1
fi
[ "$fail" = 0 ] || exit 1
echo "ok   $sdk: $(list "$sdk" | wc -l) files; $sandbox: $(list "$sandbox" | wc -l) files; $types: $(list "$types" | wc -l) files"

echo "--> the unpacked SDK builds, tests and runs against the unpacked sandbox, offline"
tar -xzf "$CARGO_TARGET_DIR/package/$sdk.crate" -C "$work"
tar -xzf "$CARGO_TARGET_DIR/package/$sandbox.crate" -C "$work"
tar -xzf "$CARGO_TARGET_DIR/package/$types.crate" -C "$work"
printf '\n[patch.crates-io]\ncredits-sandbox = { path = "../%s" }\ncredits-types = { path = "../%s" }\n' \
  "$sandbox" "$types" >> "$work/$sdk/Cargo.toml"
(
  cd "$work/$sdk"
  cargo test --offline --quiet --all-targets --no-run
  cargo test --offline --quiet --test send_static --test request_shapes --test facade
  cargo run --offline --quiet --example quickstart > /dev/null
)
echo "the packages are self-contained"
