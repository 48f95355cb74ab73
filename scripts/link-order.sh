#!/usr/bin/env bash
# Regenerates packaging/link-order.txt: the functions a release build runs while it starts,
# is provisioned through the admin API, serves client requests (OpenAI chat plain and
# streamed, Anthropic messages, Gemini generateContent, models), is scraped and stops —
# hottest first. build.rs hands the file to the linker (lld's --symbol-ordering-file) for
# release builds, so that code sits together at the start of .text.
#
# Why: the kernel maps file pages around every page fault (fault-around, 64 KiB), and the
# code a server runs at start-up is spread over the whole 20 MiB of .text, so nearly all of it
# ended up resident (and in RSS) although ~4 MiB of functions ever run. Packed together, idle
# RSS drops by that difference; the hot request path also shares fewer pages and iTLB entries.
#
# Symbol names carry hashes of the build's settings (profile, target, RUSTFLAGS), so the file
# is made from, and matches, the binary that ships: scripts/build-static.sh's. Other release
# builds get part of the effect (the standard library's and SQLite's functions). Code edits
# rename some functions too (ThinLTO suffixes local ones with a hash of their module: one
# changed line in store.rs cost 331 of 5 359 names, 2 MiB of idle RSS). Rerun this before a
# release and after a toolchain, dependency or profile change (a stale file only loses part of
# the effect: unknown names are skipped); build-static.sh says when it is stale.
# `scripts/bench.sh` (which measures the static binary) shows what it buys.
#
#   scripts/link-order.sh            # static build, train under valgrind (seconds), write the
#                                    # file, then rebuild and check
#   scripts/link-order.sh --no-build # train the static binary already built, write the file
#   scripts/link-order.sh --check    # how many listed functions the built binary has, and
#                                    # whether they lead its .text (exit 1 when stale)
#
# Needs valgrind, curl, python3, nm. CARGO_TARGET_DIR is honoured; LINK_ORDER_BIN names another
# binary for --check (scripts/build-static.sh checks the static one this way).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
build=1 check=0
case "${1:-}" in
  --no-build) build=0 ;;
  --check) build=0 check=1 ;;
  "") ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "link-order.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
die() { echo "link-order.sh: $*" >&2; exit 1; }
for t in python3 nm; do command -v "$t" >/dev/null || die "$t is required"; done

target_dir=${CARGO_TARGET_DIR:-$repo/target}
if [ "$build" = 1 ]; then
  bash scripts/build-static.sh
  cargo build --locked --release --example bench_upstream --example loadgen
fi
bin=${LINK_ORDER_BIN:-$target_dir/x86_64-unknown-linux-gnu/release/llm-orchestrator}
mock_bin=$target_dir/release/examples/bench_upstream
loadgen=$target_dir/release/examples/loadgen
[ -x "$bin" ] || die "$bin is missing"
nm "$bin" >/dev/null 2>&1 && [ "$(nm "$bin" 2>/dev/null | head -c 1 | wc -c)" = 1 ] \
  || die "$bin has no symbol table (the release profile must keep symbols: strip = \"debuginfo\")"

order_file=$repo/packaging/link-order.txt
if [ "$check" = 1 ]; then
  [ -s "$order_file" ] || die "$order_file is missing"
  # Listed names the binary has, and how many of them sit in the first stretch of .text as
  # long as their total size (they should all be there when the linker used the file).
  nm -S --defined-only "$bin" | python3 -c '
import sys
order = [l.strip() for l in open(sys.argv[1]) if l.strip()]
syms = {}
for line in sys.stdin:
    p = line.split()
    if len(p) == 4 and p[2] in "tTwW":
        syms[p[3]] = (int(p[0], 16), int(p[1], 16))
have = [n for n in order if n in syms]
start = min(a for a, _ in syms.values())
span = sum(syms[n][1] for n in have) + 65536 * 4
front = sum(1 for n in have if syms[n][0] < start + span)
print(f"{len(have)} of {len(order)} listed functions are in the binary; {front} of them lead its .text")
sys.exit(0 if len(have) >= 0.9 * len(order) and front >= 0.9 * len(have) else 1)
' "$order_file" || die "the list is stale or was not used: rerun scripts/link-order.sh"
  exit 0
fi

for t in valgrind curl; do command -v "$t" >/dev/null || die "$t is required"; done
for f in "$mock_bin" "$loadgen"; do [ -x "$f" ] || die "$f is missing"; done
tmp=$(mktemp -d -t llmo-order.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$mock_bin" --port 0 --threads 1 --chunks 5 >"$tmp/mock.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on" "$tmp/mock.log" && break; sleep 0.1; done
mock_addr=$(sed -n 's/^listening on //p' "$tmp/mock.log" | head -n1)
[ -n "$mock_addr" ] || die "the mock upstream did not start: $(cat "$tmp/mock.log")"

port=$("$loadgen" free-port)
url=http://127.0.0.1:$port
admin_key=order-admin-$RANDOM$RANDOM
: >"$tmp/config.toml"
(cd "$tmp" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" ADMIN_KEY="$admin_key" \
  MASTER_KEY="$(head -c 32 /dev/urandom | base64)" DATABASE_URL="sqlite://$tmp/gw.db" \
  HEALTH_CHECK_ENABLED=false LLMO_METRICS__ENABLED=true \
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$tmp/cg.out" \
  "$bin" --config "$tmp/config.toml" serve --host 127.0.0.1 --port "$port") >"$tmp/gateway.log" 2>&1 &
gw=$!
pids+=("$gw")
for _ in $(seq 600); do curl -sf "$url/health" >/dev/null && break; sleep 0.2; done
curl -sf "$url/health" >/dev/null || die "the gateway did not start under valgrind: $(tail -5 "$tmp/gateway.log")"

admin() {
  curl -sf -X "$1" "$url$2" -H "X-Admin-Key: $admin_key" -H 'content-type: application/json' \
    ${3:+--data "$3"} || die "admin $1 $2 failed"
}
admin POST /admin/providers "{\"name\":\"mock\",\"kind\":\"openai\",\"base_url\":\"http://$mock_addr/v1\",\"keys\":[{\"label\":\"k1\",\"key\":\"sk-upstream\"}]}" >/dev/null
admin POST /admin/models '{"name":"m"}' >/dev/null
admin POST /admin/routes '{"model":"m","provider":"mock","upstream_model":"bench-upstream"}' >/dev/null
key=$(admin POST /admin/client-keys '{"name":"order"}' | grep -o '"key":"[^"]*"' | head -n1 | cut -d'"' -f4)
[ -n "$key" ] || die "no client key"
client() { # PATH JSON: fails unless 200
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url$1" -H "Authorization: Bearer $key" \
    -H "x-api-key: $key" -H "x-goog-api-key: $key" -H 'content-type: application/json' ${2:+--data "$2"})
  [ "$code" = 200 ] || die "$1 answered $code"
}
msg='"messages":[{"role":"user","content":"hi"}]'
for _ in $(seq 30); do
  client /v1/chat/completions "{\"model\":\"m\",$msg}"
  client /v1/chat/completions "{\"model\":\"m\",\"stream\":true,$msg}"
done
for _ in $(seq 5); do
  client /v1/messages "{\"model\":\"m\",\"max_tokens\":16,$msg}"
  client /v1/messages "{\"model\":\"m\",\"max_tokens\":16,\"stream\":true,$msg}"
  client /v1beta/models/m:generateContent '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}'
  client /v1/models
done
sleep 2 # the request-log writer's interval
admin GET /metrics >/dev/null
admin GET /admin/health >/dev/null
admin GET /admin/logs >/dev/null
admin GET /admin/stats >/dev/null
kill -TERM "$gw"
for _ in $(seq 300); do kill -0 "$gw" 2>/dev/null || break; sleep 0.2; done
[ -s "$tmp/cg.out" ] || die "callgrind wrote no profile: $(tail -5 "$tmp/gateway.log")"

nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ {print $3}' >"$tmp/text-symbols"
python3 - "$tmp/cg.out" "$tmp/text-symbols" "$order_file" <<'EOF'
# Self cost per function from callgrind's (name-compressed) output; the functions of the
# binary's .text that ran, hottest first.
import re, sys
profile, symbols, out = sys.argv[1:]
text = set(open(symbols).read().split())
names, cost, fn, skip = {}, {}, None, False
for line in open(profile):
    m = re.match(r'(c?fn)=\((\d+)\)(?: (.*))?', line)
    if m:
        kind, ident, name = m.groups()
        if name:
            names[ident] = name.strip()
        if kind == 'fn':
            fn = ident
            cost.setdefault(fn, 0)
        continue
    if line.startswith('calls='):
        skip = True  # the next cost line is the call's inclusive cost
        continue
    if fn is not None and line[:1] and (line[:1].isdigit() or line[:1] in '+-*'):
        parts = line.split()
        if len(parts) >= 2 and not skip:
            cost[fn] += int(parts[1])
        skip = False
ran = {}
for ident, c in cost.items():
    name = names.get(ident)
    if name in text:
        ran[name] = ran.get(name, 0) + c
# Functions only ever called (never profiled as fn=) still ran: cfn names in .text.
for name in names.values():
    if name in text:
        ran.setdefault(name, 0)
order = sorted(ran, key=lambda n: (-ran[n], n))
with open(out, 'w') as f:
    f.write('\n'.join(order) + '\n')
print(f"link-order.sh: {len(order)} functions written to {out}")
EOF
if [ "$build" = 1 ]; then
  # Link again with the new list (only the final crate is rebuilt) and check it was used.
  bash scripts/build-static.sh
  bash "$0" --check
fi
