#!/usr/bin/env bash
# What an edit of openapi.yaml changes, compared with another git ref:
#   1. the HTTP contract, with openapi-diff (npm, installed here on first use): breaking and
#      non-breaking differences, one line each;
#   2. the Rust API the SDK generates from it: both versions' generated code (OUT_DIR/codegen.rs and,
#      for credits-types, OUT_DIR/types.rs, written by each version's own build scripts) reduced to its public items (types, fields,
#      variants, methods), then diffed: a removed or changed item breaks callers, an added
#      field breaks code that builds that struct with a literal, an added item does not.
#
# Usage: scripts/spec-diff.sh [--fail-on-breaking] [REF]
#   REF defaults to the merge base with origin/main, or HEAD~1 when there is none (the working
#   tree is compared with it). Without a ref to compare with, it says so and exits 0.
#   --fail-on-breaking exits 1 when either report finds a breaking change.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fail_on_breaking=false
ref=""
for arg in "$@"; do
  case "$arg" in
    --fail-on-breaking) fail_on_breaking=true ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) ref=$arg ;;
  esac
done

if [ -z "$ref" ]; then
  if git rev-parse --verify -q origin/main >/dev/null && base=$(git merge-base HEAD origin/main 2>/dev/null) \
     && [ "$base" != "$(git rev-parse HEAD)" ]; then
    ref=$base
  elif git rev-parse --verify -q HEAD~1 >/dev/null; then
    ref=HEAD~1
  else
    echo "spec-diff: no earlier commit to compare with; skipped"; exit 0
  fi
fi
if ! git rev-parse --verify -q "$ref^{commit}" >/dev/null; then
  echo "spec-diff: $ref is not a commit of this repository" >&2; exit 2
fi
short=$(git rev-parse --short "$ref")
if git diff --quiet "$ref" -- openapi.yaml build.rs codegen/ types/build.rs; then
  echo "spec-diff: openapi.yaml, build.rs, types/build.rs and codegen/ are unchanged since $ref ($short); nothing to report"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tools="${XDG_CACHE_HOME:-$HOME/.cache}/credits-sdk-ci"
openapi_diff_version=0.24.1
mkdir -p "$tools/openapi-diff"
if [ "$(cat "$tools/openapi-diff/.version" 2>/dev/null)" != "$openapi_diff_version" ]; then
  npm install --prefix "$tools/openapi-diff" --no-audit --no-fund --loglevel=error "openapi-diff@$openapi_diff_version" >&2
  echo "$openapi_diff_version" > "$tools/openapi-diff/.version"
fi

# The other version's whole tree (its own build.rs and codegen/ generate its code).
mkdir -p "$work/old"
git archive "$ref" | tar -x -m -C "$work/old"
breaking=0

echo "== HTTP contract: openapi.yaml at $ref ($short) -> working tree (openapi-diff $openapi_diff_version)"
set +e
"$tools/openapi-diff/node_modules/.bin/openapi-diff" "$work/old/openapi.yaml" openapi.yaml > "$work/http.txt" 2>&1
http_status=$?
set -e
python3 - "$work/http.txt" <<'PY' || breaking=1
import json, sys
text = open(sys.argv[1]).read()
start = text.find('{')
if start < 0:
    print(text.strip()); sys.exit(0)
try:
    result = json.loads(text[start:])
except ValueError:
    print(text.strip()); sys.exit(0)
def where(d):
    details = d.get('destinationSpecEntityDetails') or d.get('sourceSpecEntityDetails') or []
    return ', '.join(x.get('location', '?') for x in details) or '?'
found = False
for kind, label in [('breakingDifferences', 'BREAKING'), ('unclassifiedDifferences', 'unclassified'),
                    ('nonBreakingDifferences', 'non-breaking')]:
    for d in result.get(kind) or []:
        found = True
        print(f"  {label:<13} {d.get('code', d.get('entity', '?'))} ({d.get('action', '?')}) at {where(d)}")
if not found:
    print('  no difference in the HTTP contract (descriptions and examples are not compared)')
sys.exit(1 if result.get('breakingDifferences') else 0)
PY
if [ "$http_status" -gt 1 ]; then echo "openapi-diff failed:" >&2; cat "$work/http.txt" >&2; exit 2; fi

# The public items of a generated codegen.rs, one line each, e.g.
#   struct types::Balance / field types::Balance.available: crate::Credits / fn Client.get_balance
items() {
  python3 - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split('\n')
module, owner, depth_owner, depth = [], None, None, 0
for line in lines:
    s = line.strip()
    m = re.match(r'pub mod (\w+) \{', s)
    if m:
        module.append((m.group(1), depth))
    prefix = '::'.join(name for name, _ in module)
    prefix = prefix + '::' if prefix else ''
    m = re.match(r'pub (struct|enum) (\w+)', s)
    if m:
        print(f"{m.group(1)} {prefix}{m.group(2)}")
        owner, depth_owner = f"{prefix}{m.group(2)}", depth
        if s.endswith(';'):
            owner = None
    m = re.match(r'impl(?:<[^>]*>)? (\w+)(?:<[^>]*>)? \{', s)
    if m:
        owner, depth_owner = f"{prefix}{m.group(1)}", depth
    if owner and depth == depth_owner + 1:
        f = re.match(r'pub (\w+): (.+),$', s)
        if f:
            print(f"field {owner}.{f.group(1)}: {f.group(2)}")
        v = re.match(r'(\w+)(\(.*\))?,$', s)
        if v and not s.startswith('pub') and not s.startswith('#'):
            print(f"variant {owner}::{v.group(1)}{v.group(2) or ''}")
        fn = re.match(r'pub (?:async )?fn (\w+)(.*)', s)
        if fn:
            print(f"fn {owner}.{fn.group(1)}{fn.group(2).split(' where')[0].rstrip(' {')}")
    depth += line.count('{') - line.count('}')
    while module and depth <= module[-1][1]:
        module.pop()
    if owner and depth <= depth_owner:
        owner = None
PY
}

# Runs a package's own build script with OUT_DIR=DIR: cargo builds the script (`cargo check`,
# dependencies reused), then it is run by hand, so that the two versions never share an
# OUT_DIR or a cached run.
run_build_script() { # tree, package, package directory, dir
  local tree=$1 package=$2 package_dir=$3 dir=$4 script
  # Both trees share the target directory, where a build script's fingerprint names its
  # sources relative to the package: without this, the tree checked second could be judged
  # fresh and reuse the other tree's build script (its codegen/ is older than that binary).
  touch "$package_dir/build.rs" "$tree"/codegen/*.rs
  script=$( (cd "$tree" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" cargo check --quiet -p "$package" --message-format=json 2>/dev/null) \
    | python3 -c '
import json, sys
out = ""
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    t = m.get("target") or {}
    if m.get("reason") == "compiler-artifact" and "custom-build" in t.get("kind", []) and "#" + sys.argv[1] + "@" in m.get("package_id", ""):
        out = (m.get("filenames") or [""])[0]
print(out)' "$package")
  if [ -z "$script" ] || ! (cd "$package_dir" && OUT_DIR="$dir" "$script" >/dev/null 2>"$dir/stderr"); then
    echo "  could not generate the code of $package in $tree:" >&2; cat "$dir/stderr" >&2 2>/dev/null; exit 2
  fi
}

# Generates a tree's code into DIR/generated.rs: the SDK's client (codegen.rs) and, in trees
# where the types live in `credits-types` (types/), its types (types.rs); older trees generate
# both into codegen.rs.
generate() { # tree, dir
  local tree=$1 dir=$2
  mkdir -p "$dir"
  run_build_script "$tree" credits-sdk "$tree" "$dir"
  cp "$dir/codegen.rs" "$dir/generated.rs"
  if [ -f "$tree/types/Cargo.toml" ]; then
    run_build_script "$tree" credits-types "$tree/types" "$dir"
    cat "$dir/types.rs" >> "$dir/generated.rs"
  fi
}

echo
echo "== Rust API: the generated client at $ref ($short) -> working tree"
generate "$work/old" "$work/old-out"
items "$work/old-out/generated.rs" | sort -u > "$work/old.items"
generate "$root" "$work/new-out"
items "$work/new-out/generated.rs" | sort -u > "$work/new.items"
python3 - "$work/old.items" "$work/new.items" <<'PY' || breaking=1
import sys
old = set(open(sys.argv[1]).read().split('\n')) - {''}
new = set(open(sys.argv[2]).read().split('\n')) - {''}
def key(item):  # the item's name without its type, so that a changed type pairs up
    return item.split(': ')[0].split('(')[0]
old_by, new_by = {key(i): i for i in old}, {key(i): i for i in new}
breaking = False
out = []
for k in sorted(set(old_by) | set(new_by)):
    a, b = old_by.get(k), new_by.get(k)
    if a == b:
        continue
    if a and b:
        out.append(f"  BREAKING      changed: {a}  ->  {b.split(': ', 1)[-1] if ': ' in b else b}"); breaking = True
    elif a:
        out.append(f"  BREAKING      removed: {a}"); breaking = True
    elif b.startswith('field ') and 'struct ' + b[len('field '):].split('.')[0] not in old:
        out.append(f"  non-breaking  added: {b} (a new struct)")
    elif b.startswith('field '):
        owner = b[len('field '):].split('.')[0]
        out.append(f"  BREAKING for struct literals of {owner}: added {b}"); breaking = True
    elif b.startswith('variant '):
        out.append(f"  BREAKING for exhaustive matches: added {b}"); breaking = True
    else:
        out.append(f"  non-breaking  added: {b}")
print('\n'.join(out) if out else '  no change in the generated public items')
sys.exit(1 if breaking else 0)
PY
echo
if [ "$breaking" = 1 ]; then
  echo "spec-diff: breaking changes (see above)"
  if $fail_on_breaking; then exit 1; fi
else
  echo "spec-diff: no breaking change"
fi
