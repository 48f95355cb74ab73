#!/usr/bin/env bash
# What one proxy hop costs: the same OpenAI chat requests sent straight to a fast mock upstream
# (`direct`), through a plain nginx reverse proxy (`nginx`, the reference), and through the
# gateway with logging off (`gateway`: log.level=warn, request_log.enabled=false) and on
# (`gateway+logging`: the defaults — access log at info to a file, one request log row per
# request in SQLite; with --all-databases also `gateway+logging mariadb` and `... postgres`,
# request logs in a fresh database on the local servers scripts/services.sh starts). For each: p50/p99 latency at concurrency 1,
# requests/s at concurrency 64, streaming time to first token at concurrency 1 and streaming
# requests/s at concurrency 64; the gateway's RSS idle and peak under load (nginx: the sum over
# its processes). Everything runs on 127.0.0.1.
#
#   scripts/bench.sh              # full run: ~1 minute per row and round
#   scripts/bench.sh --quick      # smoke run: a few seconds per row
#   scripts/bench.sh --rounds 3   # every row 3 times, interleaved; cells are medians
#   scripts/bench.sh --rss        # only the gateway's idle RSS under config variants
#   scripts/bench.sh --all-databases   # add the request-log rows on MariaDB and PostgreSQL
#   scripts/bench.sh --floor      # add the stack's floor: examples/floor_proxy.rs (a bare
#                                 # actix-web proxy, reqwest or hyper client), c=64 only
#   scripts/bench.sh --compare OLD_BIN   # A/B: a `gateway` row for another build of the
#                                 # gateway (a copy of an earlier static binary), measured
#                                 # right after this build's in every round
#   scripts/bench.sh --no-logging # skip the request-log rows (with --compare: a quicker A/B)
#
# Builds the static release binary as shipped (scripts/build-static.sh), examples/bench_upstream.rs
# (the mock) and examples/loadgen.rs (load generator + report). Writes target/bench/results.{md,jsonl}
# (BENCH_OUT to change) and prints the table. Needs cargo, curl and nginx (installed with
# apt-get when missing and run as root). Knobs (environment): LOADGEN_THREADS (2),
# MOCK_THREADS (2), CHUNK_DELAY_MS (0, per SSE event of the mock), STREAM_CHUNKS (20),
# NGINX_WORKERS (2), GATEWAY_WORKERS (unset = the config default, one per CPU), BODY_BYTES (0:
# the request bodies grow to about this size with earlier conversation turns), QUIET_WAIT
# (120: before each case, wait up to this many seconds for the machine's CPU use to drop
# under QUIET_PCT, 15%; 0 to skip; other builds on a shared machine distort everything). LLMO_*
# variables in the environment reach the gateway (e.g. LLMO_SERVER__DOCS=off).
#
# The gateway rows need POST /v1/chat/completions; a gateway that answers anything but a
# complete chat.completion there is reported as "not measured" with the answer it gave (its
# idle RSS is still measured).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

quick=0 rounds=1 rss_only=0 build=1 all_dbs=0 floor=0 compare_bin= logging=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --rss) rss_only=1 ;;
    --no-build) build=0 ;;
    --all-databases) all_dbs=1 ;;
    --floor) floor=1 ;;
    --compare) compare_bin=${2:?--compare needs the path of another gateway binary}; shift ;;
    --no-logging) logging=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "bench.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# -- sizes ------------------------------------------------------------------------------------
if [ "$quick" = 1 ]; then
  n_c1=300 n_stream_c1=200 secs=2 warm_c1=50 warm_c64=640
else
  n_c1=20000 n_stream_c1=5000 secs=20 warm_c1=1000 warm_c64=6400
fi
loadgen_threads=${LOADGEN_THREADS:-2}
mock_threads=${MOCK_THREADS:-2}
chunk_delay=${CHUNK_DELAY_MS:-0}
stream_chunks=${STREAM_CHUNKS:-20}
nginx_workers=${NGINX_WORKERS:-2}
body_bytes=${BODY_BYTES:-0}

# -- tools --------------------------------------------------------------------------------------
for t in cargo curl; do command -v "$t" >/dev/null || die "$t is required"; done
if [ "$rss_only" = 0 ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "nginx is missing: apt-get install nginx-light"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null \
      || die "could not install nginx; install it (apt-get install nginx-light) and retry"
  else
    die "nginx is required for the reference row: apt-get install nginx-light (or nginx)"
  fi
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

target_dir=${CARGO_TARGET_DIR:-$repo/target}
if [ "$build" = 1 ]; then
  # The binary that ships (static, linked in packaging/link-order.txt's order), then the
  # examples on their own: built together, the binary would get the examples' dev-dependency
  # features (tokio's test-util).
  log "scripts/build-static.sh; cargo build --release --example bench_upstream --example loadgen --example floor_proxy"
  bash "$repo/scripts/build-static.sh" >&2
  cargo build --locked --release --example bench_upstream --example loadgen --example floor_proxy
fi
bin=$target_dir/x86_64-unknown-linux-gnu/release/llm-orchestrator
mock_bin=$target_dir/release/examples/bench_upstream
loadgen=$target_dir/release/examples/loadgen
floor_bin=$target_dir/release/examples/floor_proxy
[ "$floor" = 1 ] || floor_bin=$loadgen # not needed: skip its check
if [ -n "$compare_bin" ]; then
  [ -x "$compare_bin" ] || die "--compare $compare_bin: not an executable"
  compare_bin=$(cd "$(dirname "$compare_bin")" && echo "$PWD/$(basename "$compare_bin")")
fi
for f in "$bin" "$mock_bin" "$loadgen" "$floor_bin"; do [ -x "$f" ] || die "$f is missing (build it or drop --no-build)"; done

out=${BENCH_OUT:-$repo/target/bench}
mkdir -p "$out"
tmp=$(mktemp -d -t llmo-bench.XXXXXX)

# -- process bookkeeping: everything started here is stopped on exit ------------------------
pids=()
stop_pid() { # stops one of our children and forgets it (its pid may be reused later)
  local pid=$1 p rest=()
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || rest+=("$p"); done
  pids=("${rest[@]}")
}
# Databases created on the local MariaDB / PostgreSQL for --all-databases, dropped at exit.
bench_db=llmo_bench_$$
mysql_db= pg_db=
drop_databases() {
  [ -n "$mysql_db" ] && mariadb -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS $bench_db" 2>/dev/null || true
  [ -n "$pg_db" ] && psql -q "postgres://postgres@127.0.0.1:5432/postgres" -c "DROP DATABASE IF EXISTS $bench_db" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  drop_databases
  if [ "$rc" != 0 ] && [ -d "$tmp" ]; then
    mkdir -p "$out/logs" && cp "$tmp"/*.log "$out/logs/" 2>/dev/null || true
    echo "bench.sh: failed (exit $rc); logs copied to $out/logs" >&2
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until `cmd...` succeeds, up to $1 seconds.
wait_for() {
  local secs=$1; shift
  for _ in $(seq 1 $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

kib() { # VmRSS / VmHWM of a pid, in KiB
  local key=$2 k v _
  while read -r k v _; do [ "$k" = "$key:" ] && { echo "$v"; return; }; done <"/proc/$1/status"
  echo 0
}

children() { cat /proc/"$1"/task/*/children 2>/dev/null || true; }

rss_sum() { # VmRSS of a pid and its children, KiB
  local total=0 p
  for p in "$1" $(children "$1"); do total=$((total + $(kib "$p" VmRSS))); done
  echo "$total"
}

# Samples rss_sum of $1 every 100 ms into $2 (the maximum) until $2.stop exists.
sample_rss() {
  local pid=$1 file=$2 max=0 v
  while [ ! -e "$file.stop" ] && kill -0 "$pid" 2>/dev/null; do
    v=$(rss_sum "$pid")
    [ "$v" -gt "$max" ] && { max=$v; echo "$max" >"$file"; }
    sleep 0.1
  done
}

# -- the mock upstream ------------------------------------------------------------------------
start_mock() {
  "$mock_bin" --port 0 --threads "$mock_threads" --chunks "$stream_chunks" \
    --chunk-delay-ms "$chunk_delay" >"$tmp/mock.log" 2>&1 &
  mock_pid=$!; pids+=("$mock_pid")
  wait_for 10 grep -q "listening on" "$tmp/mock.log" || { cat "$tmp/mock.log"; die "the mock upstream did not start"; }
  mock_addr=$(sed -n 's/^listening on //p' "$tmp/mock.log" | head -n1)
  log "mock upstream on $mock_addr (threads $mock_threads, $stream_chunks chunks/stream, delay ${chunk_delay} ms)"
}

# -- nginx --------------------------------------------------------------------------------------
start_nginx() {
  local port conf=$tmp/nginx/nginx.conf temps=""
  port=$("$loadgen" free-port)
  mkdir -p "$tmp/nginx/logs"
  for m in fastcgi uwsgi scgi; do
    "$nginx_bin" -V 2>&1 | grep -q -- "--http-$m-temp-path" && temps+="    ${m}_temp_path $tmp/nginx/$m;"$'\n'
  done
  cat >"$conf" <<EOF
worker_processes $nginx_workers;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
$temps    keepalive_requests 1000000;
    keepalive_timeout 300s;
    upstream mock {
        server $mock_addr;
        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_read_timeout 600s;
        }
    }
}
EOF
  "$nginx_bin" -p "$tmp/nginx" -c "$conf" -e "$tmp/nginx.log" &
  nginx_pid=$!; pids+=("$nginx_pid")
  nginx_url=http://127.0.0.1:$port
  wait_for 10 curl -sf -H "Authorization: Bearer sk-bench" "$nginx_url/v1/models" \
    || { cat "$tmp/nginx.log"; die "nginx did not start (config: $conf)"; }
  log "nginx $("$nginx_bin" -v 2>&1 | sed 's/.*\///') on $nginx_url ($nginx_workers workers)"
}

# -- the gateway ------------------------------------------------------------------------------
admin_key=bench-admin-key-$RANDOM$RANDOM$RANDOM
master_key=$(head -c 32 /dev/urandom | base64)
gw_db=$tmp/gateway.db

# start_gateway NAME LOG_LEVEL [VAR=VALUE...]: a clean environment (only PATH, HOME, LLMO_*
# from ours, and the arguments), working directory $tmp so no ./config.toml or ./.env applies.
start_gateway() {
  local name=$1 level=$2; shift 2
  local port; port=$("$loadgen" free-port)
  local -a env=(PATH="$PATH" HOME="${HOME:-/root}")
  while IFS='=' read -r k v; do env+=("$k=$v"); done < <(env | grep '^LLMO_' || true)
  env+=(ADMIN_KEY="$admin_key" MASTER_KEY="$master_key" DATABASE_URL="sqlite:///$gw_db"
        LOG_LEVEL="$level" HEALTH_CHECK_ENABLED=false LLMO_METRICS__ENABLED=true)
  [ -n "${GATEWAY_WORKERS:-}" ] && env+=(LLMO_SERVER__WORKERS="$GATEWAY_WORKERS")
  env+=("$@")
  : >"$tmp/config.toml"
  (cd "$tmp" && exec env -i "${env[@]}" "$bin" --config "$tmp/config.toml" serve --host 127.0.0.1 --port "$port") \
    >"$tmp/gateway-$name.log" 2>&1 &
  gw_pid=$!; pids+=("$gw_pid")
  gw_url=http://127.0.0.1:$port
  wait_for 30 curl -sf "$gw_url/health" || { cat "$tmp/gateway-$name.log"; die "the gateway did not start"; }
}

admin() { # METHOD PATH JSON -> body on stdout; fails on a non-2xx answer
  local code
  code=$(curl -s -o "$tmp/admin.out" -w '%{http_code}' -X "$1" "$gw_url$2" \
    -H "X-Admin-Key: $admin_key" -H 'content-type: application/json' --data "$3")
  [[ "$code" == 2* ]] || die "admin $1 $2 answered $code: $(cat "$tmp/admin.out")"
  cat "$tmp/admin.out"
}

# The catalog the gateway rows need: provider -> mock, model bench-model routed to the mock's
# bench-upstream, and a client key. Idempotent across restarts (the DB persists).
client_key=
declare -A client_keys=()
provision() { # DB-NAME: once per database (each keeps its catalog across rounds)
  client_key=${client_keys[$1]:-}
  [ -n "$client_key" ] && return 0
  admin POST /admin/providers "{\"name\":\"bench-mock\",\"kind\":\"openai\",\"base_url\":\"http://$mock_addr/v1\",\"keys\":[{\"label\":\"k1\",\"key\":\"sk-bench-upstream-key\"}]}" >/dev/null
  admin POST /admin/models '{"name":"bench-model"}' >/dev/null
  admin POST /admin/routes '{"model":"bench-model","provider":"bench-mock","upstream_model":"bench-upstream"}' >/dev/null
  client_key=$(admin POST /admin/client-keys '{"name":"bench"}' | grep -o '"key":"[^"]*"' | head -n1 | cut -d'"' -f4)
  [ -n "$client_key" ] || die "no client key in the admin API's answer: $(cat "$tmp/admin.out")"
  client_keys[$1]=$client_key
  log "provisioned: provider bench-mock -> http://$mock_addr/v1, model bench-model -> bench-upstream, client key ${client_key:0:12}…"
}

# Does URL answer a chat completion, plain and streamed? Prints the reason when not.
probe_chat() {
  local url=$1 key=$2 model=$3 code
  code=$(curl -s -o "$tmp/probe.out" -w '%{http_code}' -X POST "$url/v1/chat/completions" \
    -H "Authorization: Bearer $key" -H 'content-type: application/json' \
    --data "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" || echo 000)
  if [ "$code" != 200 ] || ! grep -q '"choices"' "$tmp/probe.out"; then
    echo "POST /v1/chat/completions answered $code: $(head -c 200 "$tmp/probe.out")"; return 1
  fi
  code=$(curl -sN -o "$tmp/probe.out" -w '%{http_code}' -X POST "$url/v1/chat/completions" \
    -H "Authorization: Bearer $key" -H 'content-type: application/json' \
    --data "{\"model\":\"$model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" || echo 000)
  if [ "$code" != 200 ] || ! grep -q 'data: \[DONE\]' "$tmp/probe.out"; then
    echo "POST /v1/chat/completions with stream:true answered $code: $(head -c 200 "$tmp/probe.out")"; return 1
  fi
}

results=$out/results.jsonl

# Waits (up to $quiet_wait s) until the machine is idle: other work on a shared machine
# (someone's build) distorts every number. The report shows how much other work ran anyway.
cpu_busy_pct() { # busy % of all CPUs over the next second
  local a b
  read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ </proc/stat; sleep 1
  read -r _ b1 b2 b3 b4 b5 b6 b7 b8 _ </proc/stat
  a=$((a1 + a2 + a3 + a6 + a7 + a8)); b=$((b1 + b2 + b3 + b6 + b7 + b8))
  local total=$(( (b + b4 + b5) - (a + a4 + a5) ))
  echo $(( total > 0 ? 100 * (b - a) / total : 0 ))
}
wait_quiet() {
  local waited=0 busy
  [ "$quiet_wait" = 0 ] && return 0
  while busy=$(cpu_busy_pct); [ "$busy" -gt "$quiet_pct" ]; do
    [ "$waited" != 0 ] || log "the machine is busy (${busy}% CPU); waiting up to ${quiet_wait}s for it to calm down"
    waited=$((waited + 1))
    if [ "$waited" -ge "$quiet_wait" ]; then log "still busy (${busy}%); measuring anyway"; return 0; fi
  done
  return 0
}
quiet_wait=${QUIET_WAIT:-120} quiet_pct=${QUIET_PCT:-15}

# One loadgen run, its JSON line appended to $results. In the background with `wait`, so an
# interrupt is handled at once rather than after the run.
lg() {
  wait_quiet
  "$loadgen" run --threads "$loadgen_threads" --history "$body_bytes" "$@" >"$tmp/run.json" &
  local p=$!; pids+=("$p")
  wait "$p" || die "loadgen failed: $*"
  stop_pid "$p"
  tee -a "$results" <"$tmp/run.json" >&2
}

# measure LABEL URL KEY MODEL [PROXY_PIDS]: the four load cases; CPU per request of the
# mock and of the proxy (comma-separated pids) is recorded too.
measure() {
  local label=$1 base=$2 key=$3 model=$4 proxy=${5:-}
  local -a common=(--url "$base/v1/chat/completions" --key "$key" --model "$model" --label "$label"
                   --watch "mock=$mock_pid")
  [ -n "$proxy" ] && common+=(--watch "proxy=$proxy")
  log "$label: c=1 latency ($n_c1 requests)"
  lg "${common[@]}" --case c1 -c 1 -n "$n_c1" --warmup "$warm_c1"
  log "$label: c=64 throughput (${secs}s)"
  lg "${common[@]}" --case c64 -c 64 --duration "$secs" --warmup "$warm_c64"
  log "$label: streaming TTFT, c=1 ($n_stream_c1 streams)"
  lg "${common[@]}" --case stream_c1 --stream -c 1 -n "$n_stream_c1" --warmup "$warm_c1"
  log "$label: streaming throughput, c=64 (${secs}s)"
  lg "${common[@]}" --case stream_c64 --stream -c 64 --duration "$secs" --warmup "$warm_c64"
}

# measure_with_rss LABEL PID URL KEY MODEL: measure while sampling RSS; record idle and peak.
measure_with_rss() {
  local label=$1 pid=$2; shift 2
  local idle hwm peak
  sleep 1
  idle=$(rss_sum "$pid")
  rm -f "$tmp/rss" "$tmp/rss.stop"
  sample_rss "$pid" "$tmp/rss" & local sampler=$!; pids+=("$sampler")
  local proxy; proxy=$(echo "$pid" $(children "$pid") | tr ' ' ',')
  measure "$label" "$@" "$proxy"
  touch "$tmp/rss.stop"; stop_pid "$sampler"
  peak=$(cat "$tmp/rss" 2>/dev/null || echo 0)
  hwm=$(kib "$pid" VmHWM)
  echo "{\"label\":\"$label\",\"case\":\"rss\",\"idle_kib\":$idle,\"peak_kib\":$peak,\"hwm_kib\":$hwm}" | tee -a "$results" >&2
}

gateway_row() { # LABEL LOG_LEVEL DB-NAME [VAR=VALUE...]
  local label=$1 level=$2 db=$3 reason
  shift 3
  start_gateway "$label" "$level" "$@"
  provision "$db"
  log "$label: gateway $gw_url (LOG_LEVEL=$level), pid $gw_pid"
  if reason=$(probe_chat "$gw_url" "$client_key" bench-model); then
    measure_with_rss "$label" "$gw_pid" "$gw_url" "$client_key" bench-model
  else
    log "$label: NOT MEASURED: $reason"
    sleep 1
    local idle; idle=$(kib "$gw_pid" VmRSS)
    local quoted; quoted=$(printf '%s' "$reason" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')
    echo "{\"label\":\"$label\",\"case\":\"skip\",\"reason\":\"$quoted\"}" | tee -a "$results" >&2
    echo "{\"label\":\"$label\",\"case\":\"rss\",\"idle_kib\":$idle,\"peak_kib\":null,\"hwm_kib\":$(kib "$gw_pid" VmHWM)}" | tee -a "$results" >&2
  fi
  stop_pid "$gw_pid"
}

floor_row() { # LABEL CLIENT: examples/floor_proxy.rs on actix-web with CLIENT, c=64 only
  local label=$1 client=$2 port pid
  port=$("$loadgen" free-port)
  "$floor_bin" --upstream "http://$mock_addr" --server actix --client "$client" \
    --workers "${GATEWAY_WORKERS:-$(nproc)}" --port "$port" >"$tmp/floor-$client.log" 2>&1 &
  pid=$!; pids+=("$pid")
  wait_for 10 grep -q "listening on" "$tmp/floor-$client.log" || { cat "$tmp/floor-$client.log"; die "floor_proxy did not start"; }
  log "$label: c=64 throughput (${secs}s)"
  lg --url "http://127.0.0.1:$port/v1/chat/completions" --key sk-bench --model bench-upstream \
    --label "$label" --watch "mock=$mock_pid" --watch "proxy=$pid" \
    --case c64 -c 64 --duration "$secs" --warmup "$warm_c64"
  stop_pid "$pid"
}

machine_facts() {
  local cpu commit
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
  commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
  git -C "$repo" diff --quiet HEAD -- 2>/dev/null || commit="$commit (+ uncommitted changes)"
  echo "- commit: \`$commit\` ($(git -C "$repo" rev-parse --abbrev-ref HEAD 2>/dev/null || echo ?)), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
  echo "- load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# -- --rss: the gateway's idle RSS under config variants ------------------------------------
if [ "$rss_only" = 1 ]; then
  one_cert=$tmp/one-cert.pem
  # A CA store of one certificate: what the upstream client costs without the system's ~150.
  awk '/BEGIN CERT/{n++} n==1{print} /END CERT/ && n==1{exit}' /etc/ssl/certs/ca-certificates.crt >"$one_cert" 2>/dev/null || true
  [ -s "$one_cert" ] || one_cert=
  variants=(
    "default (docs on, one worker per CPU)|"
    "server.docs=off|LLMO_SERVER__DOCS=off"
    "APP_ENV=production (docs auto -> off; the Dockerfile's setting)|APP_ENV=production"
    "server.workers=1|LLMO_SERVER__WORKERS=1"
    "server.workers=8|LLMO_SERVER__WORKERS=8"
    "docs off, workers=1|LLMO_SERVER__DOCS=off LLMO_SERVER__WORKERS=1"
    "docs off, workers=8|LLMO_SERVER__DOCS=off LLMO_SERVER__WORKERS=8"
    "CA store of 1 certificate (SSL_CERT_FILE)|SSL_CERT_FILE=$one_cert"
    "docs off, workers=1, 1 CA certificate|LLMO_SERVER__DOCS=off LLMO_SERVER__WORKERS=1 SSL_CERT_FILE=$one_cert"
    "MALLOC_ARENA_MAX=1 (one glibc malloc arena)|MALLOC_ARENA_MAX=1"
    "workers=8, MALLOC_ARENA_MAX=1|LLMO_SERVER__WORKERS=8 MALLOC_ARENA_MAX=1"
    "docs off, workers=1, MALLOC_ARENA_MAX=1|LLMO_SERVER__DOCS=off LLMO_SERVER__WORKERS=1 MALLOC_ARENA_MAX=1"
  )
  reps=3; [ "$quick" = 1 ] && reps=1
  {
    echo "# gateway idle RSS by configuration"
    echo
    machine_facts
    echo "- static release build (\`$bin\`), SQLite in a temp dir, environment cleared (as scripts/build-static.sh); VmRSS 1 s after the first /health; median of $reps starts"
    echo
    echo "| configuration | VmRSS MiB | of it anonymous (heap, stacks) | of it file-backed (binary, libraries) | threads |"
    echo "|---|---|---|---|---|"
  } >"$out/rss.md"
  for v in "${variants[@]}"; do
    name=${v%%|*}; vars=${v#*|}
    [[ "$vars" == *"SSL_CERT_FILE=" || "$vars" == *"SSL_CERT_FILE= "* ]] && { log "skipped: $name (no CA bundle to cut from)"; continue; }
    rss=() anon=() file=()
    for _ in $(seq 1 "$reps"); do
      rm -f "$gw_db"*
      # shellcheck disable=SC2086
      start_gateway rss info $vars
      sleep 1
      rss+=("$(kib "$gw_pid" VmRSS)") anon+=("$(kib "$gw_pid" RssAnon)") file+=("$(kib "$gw_pid" RssFile)")
      threads=$(ls "/proc/$gw_pid/task" | wc -l)
      stop_pid "$gw_pid"
    done
    med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
    line=$(awk -v r="$(med "${rss[@]}")" -v a="$(med "${anon[@]}")" -v f="$(med "${file[@]}")" \
      -v n="$name" -v t="$threads" -v s="${rss[*]}" \
      'BEGIN{printf "| %s | %.1f (%s KiB) | %.1f | %.1f | %s |", n, r/1024, s, a/1024, f/1024, t}')
    echo "$line" | tee -a "$out/rss.md" >&2
  done
  echo
  cat "$out/rss.md"
  exit 0
fi

# -- the benchmark ------------------------------------------------------------------------------
if [ "$all_dbs" = 1 ]; then
  bash "$repo/scripts/services.sh" >&2
  mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE $bench_db" || die "cannot create $bench_db on MariaDB"
  mysql_db=$bench_db
  psql -q "postgres://postgres@127.0.0.1:5432/postgres" -c "CREATE DATABASE $bench_db" || die "cannot create $bench_db on PostgreSQL"
  pg_db=$bench_db
fi
: >"$results"
facts=$(machine_facts)
log "writing $out/results.{jsonl,md}"
start_mock
start_nginx
probe_chat "http://$mock_addr" sk-bench bench-upstream >/dev/null || die "the mock does not answer chat completions"

for round in $(seq 1 "$rounds"); do
  [ "$rounds" -gt 1 ] && log "round $round of $rounds"
  measure direct "http://$mock_addr" sk-bench bench-upstream
  measure_with_rss nginx "$nginx_pid" "$nginx_url" sk-bench bench-upstream
  if [ "$floor" = 1 ]; then
    floor_row "floor: actix-web + reqwest" reqwest
    floor_row "floor: actix-web + hyper" hyper
  fi
  gateway_row gateway warn sqlite LLMO_REQUEST_LOG__ENABLED=false
  if [ -n "$compare_bin" ]; then
    this_bin=$bin bin=$compare_bin
    gateway_row "gateway: $(basename "$compare_bin")" warn sqlite LLMO_REQUEST_LOG__ENABLED=false
    bin=$this_bin
  fi
  [ "$logging" = 1 ] && gateway_row gateway+logging info sqlite
  if [ "$all_dbs" = 1 ] && [ "$logging" = 1 ]; then
    gateway_row "gateway+logging mariadb" info mysql "DATABASE_URL=mysql://root@127.0.0.1:3306/$bench_db"
    gateway_row "gateway+logging postgres" info postgres "DATABASE_URL=postgres://postgres@127.0.0.1:5432/$bench_db"
  fi
done

{
  echo "# llm-orchestrator: what one proxy hop costs"
  echo
  echo "$facts"
  echo "- load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $([ "$quick" = 1 ] && echo "QUICK run (smoke test, not for the README)" || echo "full run"): c=1 $n_c1 requests, c=64 ${secs}s, streams $stream_chunks chunks + [DONE] (delay ${chunk_delay} ms), request bodies ~$body_bytes bytes (0: ~200), c=1 $n_stream_c1 streams; loadgen $loadgen_threads threads, mock $mock_threads threads, nginx $nginx_workers workers, gateway workers ${GATEWAY_WORKERS:-default}; $rounds round(s)"
  echo
  "$loadgen" report "$results"
  echo
  echo "Latency is request sent → last body byte, closed loop, one keep-alive connection per worker; TTFT is request sent → first body bytes (the first SSE event). \`gateway\`: LOG_LEVEL=warn, request logs off; \`gateway+logging\`: the defaults — LOG_LEVEL=info (access log to a file) and a request log row per request (SQLite, or the named database). RSS: VmRSS 1 s after start and provisioning, and its maximum sampled every 100 ms under load (nginx: master + workers summed)."
} >"$out/results.md"
echo
cat "$out/results.md"
