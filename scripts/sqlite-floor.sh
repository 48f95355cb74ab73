#!/usr/bin/env bash
# What one request-log row costs SQLite itself, as a floor under the gateway's logging cost:
# scripts/sqlite_floor.c (a prepared single-row INSERT in C, batches of 500, WAL,
# synchronous=NORMAL) compiled with the SQLite amalgamation the gateway bundles
# (libsqlite3-sys), run on a database migrated by the gateway's own binary — with the
# request_logs indexes as migrated, then without its 5 secondary indexes. Prints CPU µs per
# row (and of it kernel time) and wall µs per row.
#
#   scripts/sqlite-floor.sh [ROWS]     # default 400000; needs gcc and a built binary
#
# Uses the release or debug binary in $CARGO_TARGET_DIR (default target/). See README ›
# Benchmarks for what the numbers mean for request logging's share of throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-400000}
target=${CARGO_TARGET_DIR:-target}
bin=
for b in "$target/x86_64-unknown-linux-gnu/release/llm-orchestrator" "$target/release/llm-orchestrator" "$target/debug/llm-orchestrator"; do
  [ -x "$b" ] && { bin=$b; break; }
done
[ -n "$bin" ] || { echo "build llm-orchestrator first (cargo build --release)" >&2; exit 2; }
command -v gcc >/dev/null || { echo "gcc is required" >&2; exit 2; }
manifest=$(cargo metadata --locked --format-version 1 2>/dev/null | python3 -c \
  "import json,sys; print(next(p['manifest_path'] for p in json.load(sys.stdin)['packages'] if p['name']=='libsqlite3-sys'))")
amalgamation=$(dirname "$manifest")/sqlite3
[ -f "$amalgamation/sqlite3.c" ] || { echo "no bundled SQLite at $amalgamation" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Multi-thread mode without memory statistics, as the gateway builds SQLite (db/pool.rs).
gcc -O2 -DSQLITE_THREADSAFE=2 -DSQLITE_DEFAULT_MEMSTATUS=0 -I"$amalgamation" \
  -o "$tmp/sqlite_floor" scripts/sqlite_floor.c "$amalgamation/sqlite3.c" -lpthread -ldl -lm
echo "SQLite $(grep -m1 '#define SQLITE_VERSION ' "$amalgamation/sqlite3.h" | awk '{print $3}' | tr -d '"'), $rows rows per run, database on $(df -T "$tmp" | awk 'NR==2{print $2}') ($tmp)"
for variant in indexed bare; do
  db=$tmp/$variant.db
  env -i PATH="$PATH" DATABASE_URL="sqlite:///$db" "$bin" migrate run >/dev/null
  if [ "$variant" = bare ]; then "$tmp/sqlite_floor" "$db" "$rows" drop; else "$tmp/sqlite_floor" "$db" "$rows"; fi
done
