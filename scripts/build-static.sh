#!/usr/bin/env bash
# Builds the release binary as one static executable (glibc with +crt-static, rustls on ring,
# bundled SQLite, pure-Rust MySQL/PostgreSQL drivers) and proves it: `ldd` must not call it a
# dynamic executable, and the binary must start and answer on its own.
#
#   scripts/build-static.sh            # -> target/x86_64-unknown-linux-gnu/release/llm-orchestrator
#
# The explicit --target matters: without it RUSTFLAGS would also hit proc-macros, which cannot
# be built static. Takes several minutes on 2 cores; CI does not run it.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"
start=$(date +%s)
cargo build --locked --release --target "$target" --bin llm-orchestrator
bin="${CARGO_TARGET_DIR:-target}/$target/release/llm-orchestrator"
echo "built in $(( $(date +%s) - start ))s: $bin ($(du -h "$bin" | cut -f1))"

ldd_out=$(ldd "$bin" 2>&1 || true)
case "$ldd_out" in
  *"not a dynamic executable"*|*"statically linked"*) echo "ldd: $ldd_out" ;;
  *) echo "ldd says the binary is dynamic:"; echo "$ldd_out"; exit 1 ;;
esac
command -v file >/dev/null && file "$bin"

# Smoke test: the static binary migrates a fresh SQLite database and answers /health.
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
( cd "$tmp" && exec env -i PATH=/usr/bin:/bin ADMIN_KEY=static-smoke-key-0123456789 \
    "$bin" serve --host 127.0.0.1 --port 0 >"$tmp/log" 2>&1 ) & pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/log" && break; sleep 0.1; done
addr=$(grep -o 'listening on [0-9.:]*' "$tmp/log" | head -n1 | awk '{print $3}')
[ -n "$addr" ] || { cat "$tmp/log"; exit 1; }
"$bin" health --url "http://$addr"
echo "serve RSS, idle on SQLite: $(awk '/VmRSS/{print $2" "$3}' /proc/$pid/status)"
# The functions the server runs are linked first (build.rs, packaging/link-order.txt); a list
# from another build or version is not an error, only the memory saving is lost.
if command -v nm >/dev/null && command -v python3 >/dev/null; then
  LINK_ORDER_BIN=$bin bash scripts/link-order.sh --check \
    || echo "warning: rerun scripts/link-order.sh (idle RSS is several MiB higher without it)"
fi
kill -TERM $pid; wait $pid   # exits 0 after a graceful stop
echo "static binary OK"
