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

# Up: answers on its socket (as root, which any fresh install lets in) or over TCP.
mariadb_up() { mariadb-admin -uroot ping || mariadb-admin -h 127.0.0.1 -uroot ping; }
if ! mariadb_up >/dev/null 2>&1; then
  echo "starting mariadb"
  mkdir -p /run/mysqld && chown mysql: /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  wait_until 60 mariadb_up
fi
# A fresh Debian install lets root in through the Unix socket only; the tests log in over TCP
# as root without a password.
if ! mariadb -h 127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1; then
  echo "mariadb: allowing root from 127.0.0.1 without a password (test machine)"
  mariadb -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"
fi
echo "mariadb: $(mariadb -h 127.0.0.1 -uroot -N -e 'select version()')"

# Debian's cluster layout: /etc/postgresql/<version>/main (empty when PostgreSQL is not from
# Debian's packages; then it must already be running and accepting the tests).
pg_version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "starting postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
  wait_until 60 pg_isready -h 127.0.0.1 -p 5432
fi
# A fresh Debian install asks TCP clients for a password; the tests log in as postgres without
# one. First matching pg_hba line wins, so trust for 127.0.0.1 goes on top.
if ! psql -w -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  echo "postgresql: trusting 127.0.0.1 (test machine)"
  hba=/etc/postgresql/$pg_version/main/pg_hba.conf
  sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main reload
  wait_until 30 psql -w -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1'
fi
echo "postgresql: $(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'show server_version')"
