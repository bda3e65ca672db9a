#!/usr/bin/env bash
# Stops the broker started by start.sh (SIGTERM = clean controlled shutdown, SIGKILL after
# KAFKA_STOP_TIMEOUT s) and deletes its storage. Idempotent: nothing running is not an error.
# The log is kept in $KAFKA_STATE/kafka.log for post-mortems (overwritten by the next start).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeout_s="${KAFKA_STOP_TIMEOUT:-30}"

if pid="$(kafka_pid)"; then
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout_s))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kafka (pid $pid) ignored SIGTERM for ${timeout_s}s, killing" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  echo "kafka stopped (pid $pid)" >&2
else
  echo "kafka not running" >&2
fi
rm -rf "$KAFKA_STATE/data" "$KAFKA_STATE/server.properties" "$KAFKA_STATE/start.lock" "$KAFKA_PID_FILE"
