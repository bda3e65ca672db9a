#!/usr/bin/env bash
# Runs a command with ifreg's pinned Node first on PATH, installing it on first use.
# Usage: tools/node/run.sh [24|22] <command...>   e.g. tools/node/run.sh 24 npm ci
set -euo pipefail
major=24
case "${1:-}" in 2[0-9]) major="$1"; shift ;; esac
if [ "$#" = 0 ]; then
  echo "usage: tools/node/run.sh [24|22] <command...>" >&2
  exit 2
fi
bin="$("$(dirname "$0")/install.sh" "$major")"
export PATH="$bin:$PATH"
exec "$@"
