#!/usr/bin/env bash
# Breaks copies of openapi.yaml in known ways and checks that `cargo build` fails with a
# readable message naming the problem, not a panic backtrace from inside progenitor.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Reuses the workspace target dir: dependencies are already built there.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

# A member's manifest, outside the workspace: its inherited fields written out, no dev-dependencies.
detach() {
  # The [dev-dependencies] and [[bench]] tables are dropped (each up to the next table).
  awk '/^\[/ { skip = ($0 == "[dev-dependencies]" || $0 == "[[bench]]") } !skip' "$1" \
    | sed -e '/^\[workspace\]/,/^$/d' -e 's/\.workspace = true/ = "2024"/' \
    | sed -e 's/^rust-version = "2024"/rust-version = "1.88"/' -e 's/^license = "2024"/license = "MIT OR Apache-2.0"/' \
          -e 's/^repository = "2024"/repository = "https:\/\/example.invalid"/'
}

expect_failure() { # name, sed expression applied to the spec, text the error must contain
  local name=$1 edit=$2 expected=$3
  rm -rf "$work/crate" && mkdir -p "$work/crate"
  cp -r "$root/build.rs" "$root/codegen" "$root/src" "$root/README.md" "$work/crate/"
  # credits-types (a path dependency) generates from the same spec: its links copied as files.
  cp -rL "$root/types" "$work/crate/types"
  detach "$root/Cargo.toml" > "$work/crate/Cargo.toml"
  detach "$root/types/Cargo.toml" > "$work/crate/types/Cargo.toml"
  cp "$root/Cargo.lock" "$work/crate/"
  sed -e "$edit" "$root/openapi.yaml" > "$work/crate/openapi.yaml"
  cp "$work/crate/openapi.yaml" "$work/crate/types/openapi.yaml"
  if output=$(cd "$work/crate" && cargo build --offline --quiet 2>&1); then
    echo "FAIL $name: the build succeeded"; return 1
  fi
  if ! grep -qF -- "$expected" <<<"$output" || grep -q "panicked at" <<<"$output"; then
    echo "FAIL $name: the error does not say \"$expected\" plainly:"; echo "$output" | tail -20; return 1
  fi
  echo "ok   $name: $(grep -F -- "$expected" <<<"$output" | head -1 | sed 's/^ *//')"
}

expect_failure "missing operationId" 's/operationId: list_plans/x-was-operation-id: list_plans/' "GET /v1/plans: no operationId"
expect_failure "missing retry flag" '0,/x-credits-retry-safe: false/s//x-other: false/' "create_account (POST /v1/accounts/create): \`x-credits-retry-safe\` must be true or false"
expect_failure "default response" 's|"5XX": { $ref: "#/components/responses/Error" }|default: { $ref: "#/components/responses/Error" }|' "a \`default\` response is not supported"
expect_failure "not YAML" '1s/^/: : :\n/' "is not a valid OpenAPI 3.0 document"
expect_failure "\$ref to nothing" 's|schema: { $ref: "#/components/schemas/Balance" }|schema: { $ref: "#/components/schemas/Balanse" }|' "get_balance (GET /v1/accounts/balance): \`\$ref: #/components/schemas/Balanse\` (in the operation) points to nothing"
expect_failure "\$ref to nothing, inside a schema" 's|items: { $ref: "#/components/schemas/Account" }|items: { $ref: "#/components/schemas/Acount" }|' "list_accounts (GET /v1/accounts): \`\$ref: #/components/schemas/Acount\` (in #/components/schemas/ListAccountsResponse) points to nothing"
expect_failure "undeclared path parameter" 's|^  /v1/accounts/get:|  /v1/accounts/{accountId}/get:|' "get_account (GET /v1/accounts/{accountId}/get): \`{accountId}\` in the path is not declared as a parameter"
expect_failure "open enum not marked" '0,/^      x-credits-open-enum: true$/{/^      x-credits-open-enum: true$/d}' "schema PlanStartMode: listed in OPEN_ENUMS (codegen/settings.rs) but not marked"
echo "build errors are readable"
