#!/usr/bin/env bash
# Checks the sandbox's live ledger page in a real browser: runs the quickstart example against
# the sandbox binary, moves the clock a month (a plan renewal), loads /_sandbox/ in headless
# Chromium, checks that every account's balance, reserved and available, the ledger count and
# the usage total shown equal what the API answers, that the webhook delivery log shown (to a
# receiver the script runs) equals `GET /_sandbox/webhooks`, and saves a screenshot.
# Usage: scripts/browser-check.sh
# Environment: CARGO_TARGET_DIR, SCREENSHOT (default $CARGO_TARGET_DIR/browser-check/ledger.png),
# CHROMIUM (default: chromium on PATH; installed with apt-get when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target_dir=${CARGO_TARGET_DIR:-$root/target}
screenshot=${SCREENSHOT:-$target_dir/browser-check/ledger.png}
mkdir -p "$(dirname "$screenshot")"

chromium=${CHROMIUM:-$(command -v chromium || true)}
if [[ -z "$chromium" ]]; then
  echo "installing chromium (Debian package)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  chromium=$(command -v chromium)
fi

cargo build --quiet -p credits-sandbox --bin credits-sandbox
cargo build --quiet -p credits-sdk --example quickstart
binary="$target_dir/debug/credits-sandbox"

# shellcheck source=scripts/sandbox-lib.sh
source "$root/scripts/sandbox-lib.sh"
port=$(free_port)
key="sk_sandbox_browser_check"
base="http://127.0.0.1:$port"
work=$(mktemp -d)
# A webhook receiver answering 204 to every delivery, so that the delivery log settles.
hook_port=$(free_port)
python3 - "$hook_port" <<'PY' &
import http.server, sys
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204); self.end_headers()
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # the sandbox sends up to 32 at once
Server(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
PY
receiver_pid=$!
start_sandbox "$binary" "$work" --addr "127.0.0.1:$port" --api-key "$key" --clock-start 2025-01-15T09:00:00Z \
  --webhook "http://127.0.0.1:$hook_port/webhooks"
# shellcheck disable=SC2064 # expand now: the trap must see these values
trap "kill $receiver_pid $sandbox_pid 2>/dev/null || true; wait $sandbox_pid 2>/dev/null || true; rm -rf '$work'" EXIT

echo "== quickstart against $base"
CREDITS_API_KEY="$key" CREDITS_BASE_URL="$base" "$target_dir/debug/examples/quickstart"
# A hold left pending, then a month later: the hold has expired and the plan renewed.
account=$(curl -sf -H "X-API-Key: $key" "$base/v1/accounts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accounts"][0]["id"])')
curl -sf -H "X-API-Key: $key" -H 'content-type: application/json' \
  -d "{\"accountId\": \"$account\", \"amount\": 250, \"expiresInSeconds\": 3600}" "$base/v1/reservations/create" >/dev/null
curl -sf -H 'content-type: application/json' -d '{"advanceSeconds": 2678400}' "$base/_sandbox/clock"
echo
curl -sf -H "X-API-Key: $key" -H 'content-type: application/json' \
  -d "{\"accountId\": \"$account\", \"amount\": 100.5, \"operation\": \"held while the page loads\"}" "$base/v1/reservations/create" >/dev/null

# Every event delivered before the page loads, so that page and API show the same log.
for _ in $(seq 1 100); do
  waiting=$(curl -sf -H "X-API-Key: $key" "$base/_sandbox/webhooks" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pending"])')
  [[ "$waiting" == 0 ]] && break
  sleep 0.1
done
[[ "$waiting" == 0 ]] || { echo "$waiting webhook deliveries still waiting"; exit 1; }

browse() {
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$(mktemp -d -p "$work")" \
    --virtual-time-budget=8000 "$@" "$base/_sandbox/?project=0" 2>>"$work/chromium.log"
}
echo "== loading $base/_sandbox/ in $("$chromium" --version 2>/dev/null | tail -1)"
browse --dump-dom >"$work/page.html"
browse --window-size=1440,1100 --screenshot="$screenshot" >/dev/null

python3 - "$work/page.html" "$base" "$key" <<'PY'
import json, sys, urllib.request
from decimal import Decimal
from html.parser import HTMLParser

page, base, key = sys.argv[1:4]

def api(path):
    request = urllib.request.Request(base + path, headers={"X-API-Key": key})
    with urllib.request.urlopen(request) as response:
        # Numbers exactly: never through a float.
        return json.loads(response.read(), parse_float=Decimal, parse_int=Decimal)

class Cells(HTMLParser):
    """Collects (section, row data-id, data-field) -> text, and the loaded flag."""
    def __init__(self):
        super().__init__()
        self.section = None; self.row = None; self.field = None; self.cells = {}; self.loaded = False; self.ids = {}
    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body" and attrs.get("data-loaded") == "true":
            self.loaded = True
        if tag == "div" and attrs.get("id") in ("accounts", "ledger", "reservations", "usage", "webhooks"):
            self.section = attrs["id"]
        if tag == "tr":
            self.row = attrs.get("data-id")
        if tag in ("td", "strong", "span") and attrs.get("data-field"):
            self.field = attrs["data-field"]; self.text = ""
        if tag == "span" and attrs.get("id") == "ledger-count":
            self.field = "ledger-count"; self.text = ""
    def handle_data(self, data):
        if self.field is not None:
            self.text += data
    def handle_endtag(self, tag):
        if self.field is not None and tag in ("td", "strong", "span"):
            self.cells[(self.section, self.row, self.field)] = self.text.strip(); self.field = None

cells = Cells()
cells.feed(open(page, encoding="utf-8").read())
assert cells.loaded, "the page did not load its data (body[data-loaded] is missing)"
accounts = api("/v1/accounts")["accounts"]
assert accounts, "the quickstart created no account"
checked = 0
for account in accounts:
    balance = api("/v1/accounts/balance?accountId=" + account["id"])
    for field in ("balance", "reserved", "available"):
        shown = cells.cells.get(("accounts", account["id"], field))
        assert shown is not None, f"{account['id']} {field} is not on the page"
        assert Decimal(shown) == balance[field], f"{account['id']} {field}: page {shown}, API {balance[field]}"
        checked += 1
    print(f"  {account['id']}: balance {balance['balance']}, reserved {balance['reserved']}, available {balance['available']} (page agrees)")
assert any(Decimal(cells.cells[("accounts", a["id"], "reserved")]) > 0 for a in accounts), "a hold should be shown"
total = api("/v1/transactions?limit=1")["pagination"]["totalCount"]
ledger = cells.cells.get((None, None, "ledger-count"), "") or next(v for k, v in cells.cells.items() if k[2] == "ledger-count")
assert ledger.endswith(f" of {total}"), f"ledger count: page '{ledger}', API {total}"
summary = api("/v1/usage?summary=true")["summary"]
shown_total = next(v for k, v in cells.cells.items() if k[2] == "usage-total")
assert Decimal(shown_total) == summary["totalCostUsd"], f"usage total: page {shown_total}, API {summary['totalCostUsd']}"
print(f"  ledger: {total} entries; usage total {summary['totalCostUsd']} USD (page agrees)")
RECENT = 50  # the page shows the newest 50 deliveries (sandbox/src/store/view.rs)
hooks = api("/_sandbox/webhooks")
shown = [row for (section, row, field) in cells.cells if section == "webhooks" and field == "eventType"]
assert hooks["pending"] == 0 and hooks["deliveries"], f"expected settled deliveries: {hooks['pending']} waiting, {len(hooks['deliveries'])} logged"
assert shown and len(shown) == min(len(hooks["deliveries"]), RECENT), f"webhook rows: page {len(shown)}, API {len(hooks['deliveries'])}"
for delivery in hooks["deliveries"][:len(shown)]:
    row = delivery["eventId"]
    for field in ("eventType", "attempts", "lastStatus", "state"):
        page_value = cells.cells.get(("webhooks", row, field))
        assert page_value == str(delivery[field]), f"delivery {row} {field}: page {page_value}, API {delivery[field]}"
unanswered = [d for d in hooks["deliveries"] if d["state"] != "delivered" or d["lastStatus"] != "HTTP 204"]
assert not unanswered, f"every delivery should be answered 204: {unanswered[:3]}"
types = sorted({d["eventType"] for d in hooks["deliveries"]})
print(f"  webhooks: {len(shown)} deliveries shown ({', '.join(types)}), each as the API lists it")
print(f"page check passed: {checked} account figures, the ledger count, the usage total and the webhook log equal the API's")
PY
python3 - "$screenshot" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert width >= 1000 and height >= 700 and len(data) > 20000, f"suspicious screenshot {width}x{height}, {len(data)} bytes"
print(f"screenshot: {sys.argv[1]} ({width}x{height}, {len(data)} bytes)")
PY
