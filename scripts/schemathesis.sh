#!/usr/bin/env bash
# Fuzzes the sandbox against openapi.yaml with schemathesis (all operations, default checks)
# and fails on any finding. Usage: scripts/schemathesis.sh
# Environment: SPEC (default openapi.yaml), MAX_EXAMPLES (default 50), CARGO_TARGET_DIR,
# SCHEMATHESIS_VENV (default $CARGO_TARGET_DIR/schemathesis-venv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
spec=$(realpath "${SPEC:-openapi.yaml}")
max_examples=${MAX_EXAMPLES:-50}
target_dir=${CARGO_TARGET_DIR:-$root/target}
venv=${SCHEMATHESIS_VENV:-$target_dir/schemathesis-venv}
version=4.32.5

if [[ ! -x "$venv/bin/schemathesis" ]] || [[ "$("$venv/bin/schemathesis" --version)" != *"$version"* ]]; then
  echo "installing schemathesis $version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

cargo build --quiet -p credits-sandbox --bin credits-sandbox
binary="$target_dir/debug/credits-sandbox"

# shellcheck source=scripts/sandbox-lib.sh
source "$root/scripts/sandbox-lib.sh"
port=$(free_port)
key="sk_sandbox_schemathesis"
work=$(mktemp -d)
start_sandbox "$binary" "$work" --addr "127.0.0.1:$port" --api-key "$key" --seed

# The spec states rules JSON Schema cannot carry (exactly one of accountId/externalId, a
# customer usage record needs transactionId, actualAmount <= the reserved amount, enough
# available credits, cachedTokens <= inputTokens, a model priced for the usage type), so some
# schema-valid requests are rightly refused with 400 invalid_request or 402
# insufficient_credits. Those two statuses are added to what the "schema-valid request
# accepted" check (ST202) expects; every other check runs with its defaults. The stateful
# phase follows the spec's `links` for up to 30 steps a scenario (its default of 10 reached
# 4 links), so a grant, a reservation, its confirmation and a usage record run on real ids.
config="$work/schemathesis.toml"
cat >"$config" <<'TOML'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "402", "403", "404", "409", "429"]

[phases.stateful]
max-steps = 30
TOML

# Run from the scratch directory so schemathesis's own files (.schemathesis/) stay out of the repo.
cd "$work"
"$venv/bin/schemathesis" --config-file "$config" run "$spec" \
  --url "http://127.0.0.1:$port" \
  --header "X-API-Key: $key" \
  --max-examples "$max_examples" \
  --seed 1 \
  --workers 2 \
  --no-color
