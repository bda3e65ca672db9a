# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this
# Shared settings for fetch/start/stop/status.sh (sourced, not executed).
KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"   # keep in sync with <kafka.version> in pom.xml
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_STATE="${IFREG_KAFKA_STATE:-${TMPDIR:-/tmp}/ifreg-kafka-$KAFKA_PORT}"
KAFKA_PID_FILE="$KAFKA_STATE/kafka.pid"
KAFKA_LOG="$KAFKA_STATE/kafka.log"
KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

# The pid in the pid file, if that process is still our broker (guards against pid reuse).
kafka_pid() {
  local pid
  pid="$(cat "$KAFKA_PID_FILE" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && ps -p "$pid" -o args= 2>/dev/null | grep -q 'kafka\.Kafka' && echo "$pid"
}

# Sends a Kafka ApiVersions v0 request (api_key 18, correlation id 7) with bash's /dev/tcp and
# expects correlation id 7 and error_code 0 back: proves the broker serves requests, not just
# that the port accepts connections. No client library needed.
kafka_ready() {
  local resp
  # shellcheck disable=SC2016  # $1 expands in the inner bash
  resp="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\x00\x00" >&3
    head -c 10 <&3 | od -An -tx1' _ "$KAFKA_PORT" 2>/dev/null)" || return 1
  [[ "$resp" == *" 00 00 00 07 00 00" ]]   # od: " <size x4> <corr id x4> <error x2>"
}
