#!/usr/bin/env bash
# Makes sure the local MariaDB, PostgreSQL and Redis the tests use are running, starting any
# that is not (as root, the way this machine's services are started), and waits until each
# answers. Source it or run it; it prints one line per service.
set -euo pipefail

wait_until() { # wait_until SECONDS CMD...: retry CMD until it succeeds or time runs out
  local limit=$1; shift
  for _ in $(seq 1 $((limit * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  "$@"
}

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_until 30 redis-cli -h 127.0.0.1 -p 6379 ping
fi
echo "redis: $(redis-cli -h 127.0.0.1 -p 6379 ping)"

if ! mariadb-admin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; then
  echo "starting mariadb"
  mkdir -p /run/mysqld && chown mysql: /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_until 60 mariadb-admin -h 127.0.0.1 -uroot ping
fi
echo "mariadb: $(mariadb -h 127.0.0.1 -uroot -N -e 'select version()')"

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "starting postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
  wait_until 60 pg_isready -h 127.0.0.1 -p 5432
fi
echo "postgresql: $(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'show server_version')"
