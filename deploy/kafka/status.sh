#!/usr/bin/env bash
# Exit 0 and print the bootstrap address if the broker from start.sh is up and answering, else exit 1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if pid="$(kafka_pid)" && kafka_ready; then
  echo "kafka running (pid $pid, log $KAFKA_LOG)" >&2; echo "$KAFKA_BOOTSTRAP"
elif pid="$(kafka_pid)"; then
  echo "kafka process $pid alive but not answering on $KAFKA_BOOTSTRAP" >&2; exit 1
else
  echo "kafka not running" >&2; exit 1
fi
