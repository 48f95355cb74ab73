#!/usr/bin/env bash
# The test command (README and .ci/run both call this): starts the local MariaDB, PostgreSQL
# and Redis if needed, points the tests at them, and runs the whole suite. With these URLs set,
# a backend test that cannot reach its database fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
export LLMO_TEST_MYSQL_URL="${LLMO_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
export LLMO_TEST_POSTGRES_URL="${LLMO_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export LLMO_TEST_REDIS_URL="${LLMO_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
exec cargo test --locked "$@"
