#!/usr/bin/env bash
# How fast /admin/logs answers on a million request logs (SQLite): fills a fresh database
# with N rows spread over 30 days (5 models, 4 providers, 20 client keys, 2% errors), starts
# `serve` on it and times each listing a few times. Usage: scripts/bench-logs.sh [N]
# Uses the debug or release binary in $CARGO_TARGET_DIR (default target/); build it first.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/llm-orchestrator"
[ -x "$bin" ] || bin="$target/debug/llm-orchestrator"
[ -x "$bin" ] || { echo "build llm-orchestrator first (cargo build --release)" >&2; exit 2; }
dir="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
key="bench-admin-key-0123456789"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cd "$dir"
env -i PATH="$PATH" "$bin" migrate run >/dev/null
echo "filling $n rows..." >&2
python3 - "$n" <<'PY'
import sqlite3, sys, random, datetime
n = int(sys.argv[1]); random.seed(1)
c = sqlite3.connect("data/llm_orchestrator.db")
now = datetime.datetime.utcnow(); span = 30 * 86400
rows = []
def flush():
    c.executemany("""INSERT INTO request_logs (request_id, created_at, client_key_id, client_ip,
      protocol, endpoint, model, provider_id, provider_name, upstream_model, route_id, attempts,
      attempt_detail, status_code, error_class, error_message, latency_ms, ttft_ms, prompt_tokens,
      completion_tokens, cached_tokens, tokens_estimated, cost, stream)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows)
    rows.clear()
for i in range(n):
    t = now - datetime.timedelta(seconds=span * (n - i) / n)
    err = random.random() < 0.02
    p = random.randrange(1, 5)
    rows.append((f"req{i:08d}", t.strftime("%Y-%m-%d %H:%M:%S.%f"), random.randrange(1, 21), "10.0.0.1",
                 "openai", "/v1/chat/completions", f"model-{random.randrange(5)}", p, f"p{p}", "up",
                 p, 1, "[]", 502 if err else 200, "upstream_failed" if err else None, None,
                 random.randrange(50, 3000), None, 100, 50, 0, 0, 0.001, 0))
    if len(rows) == 10000:
        flush()
flush(); c.commit()
PY
env -i PATH="$PATH" ADMIN_KEY="$key" LOG_RETENTION_DAYS=0 HEALTH_CHECK_ENABLED=false \
  "$bin" serve --host 127.0.0.1 --port "$port" >serve.log 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" serve.log && break; sleep 0.1; done
first=$(curl -s -H "X-Admin-Key: $key" "http://127.0.0.1:$port/admin/logs?limit=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["data"][0]["id"])')
deep=$((first / 2))
echo "| query (limit 50) | median ms of 5 |"
echo "|---|---|"
for q in "" "model=model-3" "provider_id=2" "client_key_id=7" "status=error" "status=200" \
         "error_class=upstream_failed" "since=1h" "since=7d&until=6d" "model=model-3&status=error" \
         "cursor=$deep" "model=model-1&cursor=$deep"; do
  times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "X-Admin-Key: $key" "http://127.0.0.1:$port/admin/logs?limit=50&$q")")
  done
  med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  printf '| `%s` | %.1f |\n' "${q:-(none)}" "$(python3 -c "print($med*1000)")"
done
