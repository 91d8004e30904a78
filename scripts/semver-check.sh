#!/usr/bin/env bash
# Compares the public API of credits-sdk and credits-types with the last release, using
# cargo-semver-checks.
#
# The baseline is the newest tag `v<version>` reachable from HEAD (credits-sdk is not on
# crates.io, so the baseline is built from git), or SEMVER_BASELINE_REV if set. Without one,
# there is nothing to compare with: the check says so and passes.
#
# A breaking change fails the check unless the "Unreleased" section of CHANGELOG.md
# announces it with the word "Breaking": breaking changes are allowed, unannounced ones are
# not. (The version in Cargo.toml is bumped when the release is cut; cargo-semver-checks then
# agrees on its own.)
#
# Usage: scripts/semver-check.sh [install root]
# cargo-semver-checks is installed under the install root (default ~/.cache/credits-sdk-ci/cargo)
# the first time a baseline exists: compiling it takes 20-40 minutes on 2 busy cores, so it is
# neither installed nor run before the first release tag. Its version follows the
# toolchain's rustdoc JSON format: bump it with the toolchain.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
install_root="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/credits-sdk-ci/cargo}"
tool="$install_root/bin/cargo-semver-checks"

baseline="${SEMVER_BASELINE_REV:-$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null || true)}"
if [ -z "$baseline" ]; then
  echo "no baseline yet: no release tag (v*) is reachable from HEAD; nothing to compare (passes)"
  exit 0
fi

if [ ! -x "$tool" ]; then
  echo "installing cargo-semver-checks into $install_root"
  cargo install --locked --quiet --root "$install_root" cargo-semver-checks@0.51.0
fi

unreleased=$(awk '/^## \[Unreleased\]/ {on = 1; next} /^## / {on = 0} on' CHANGELOG.md)
echo "baseline: $baseline ($(git rev-parse --short "$baseline^{commit}"))"
set +e
# The default features only (no public item depends on the TLS feature): all of them at once
# would compile OpenSSL, aws-lc and ring together. credits-types holds the generated types and
# the money values the SDK re-exports: its API is the SDK's too.
output=$("$tool" semver-checks --package credits-sdk --package credits-types --default-features \
  --baseline-rev "$baseline" 2>&1)
status=$?
set -e
echo "$output" | grep -vE '^ +(Compiling|Checking|Documenting|Building|Finished|Parsing|Parsed|Cloning)' || true
if [ "$status" = 0 ]; then
  echo "no semver violation against $baseline"
  exit 0
fi
if ! grep -qE 'semver requires new (major|minor) version' <<<"$output"; then
  echo "FAIL: cargo-semver-checks could not compare the APIs (see above)"
  exit 1
fi
if grep -q 'Breaking' <<<"$unreleased"; then
  echo "breaking changes against $baseline, announced in CHANGELOG.md (Unreleased says \"Breaking\"):"
  echo "the release must bump the minor version (0.x) or the major version (>= 1)"
  exit 0
fi
echo "FAIL: breaking changes against $baseline that CHANGELOG.md does not announce."
echo "Undo them, or describe them in the \"Unreleased\" section with the word \"Breaking\"."
exit 1
