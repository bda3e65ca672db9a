#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL answers on 127.0.0.1:5432 (the PostgreSQL event-store
# specs use it; IFREG_REQUIRE_POSTGRES=1 makes them fail instead of skipping without it).
# Idempotent: a server that is already up is left alone. Starts the first Debian cluster
# (pg_ctlcluster, from postgresql-common) otherwise, waits until it accepts connections
# (bounded) and prints its version.
set -euo pipefail

host=127.0.0.1
port=5432
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! pg_isready -q -h "$host" -p "$port"; then
  version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2> /dev/null | sort -V | head -1)
  if [ -z "$version" ]; then
    echo "no PostgreSQL cluster under /etc/postgresql" >&2
    exit 1
  fi
  echo "PostgreSQL $version/main is not accepting connections on $host:$port: starting it"
  # --skip-systemctl-redirect: start the cluster directly on machines without systemd.
  # A cluster still starting up answers "already running": the wait below settles it.
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do
    pg_isready -q -h "$host" -p "$port" && break
    sleep 0.5
  done
  if ! pg_isready -h "$host" -p "$port"; then
    echo "PostgreSQL did not accept connections on $host:$port within 30 s" >&2
    exit 1
  fi
fi
psql -h "$host" -p "$port" -U postgres -d postgres -Atc 'SELECT version()'
