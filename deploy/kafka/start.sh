#!/usr/bin/env bash
# Starts a single-node KRaft Kafka (broker+controller in one JVM) on 127.0.0.1 for dev/tests/CI,
# with throw-away storage under $KAFKA_STATE. Idempotent: returns at once if it is already up.
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_NUM_PARTITIONS (3),
#      KAFKA_AUTO_CREATE_TOPICS (false), KAFKA_START_TIMEOUT (60 s), KAFKA_HEAP_OPTS, IFREG_KAFKA_STATE.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeout_s="${KAFKA_START_TIMEOUT:-60}"

# Failures print the ERROR lines (the cause is usually buried before a config dump), then the tail.
show_log() { { grep -E ' ERROR |^Caused by' "$KAFKA_LOG" | head -n 20; tail -n 5 "$KAFKA_LOG"; echo "(full log: $KAFKA_LOG)"; } >&2; }

# Serialize concurrent starts (e.g. parallel test targets) so only one broker is launched.
mkdir -p "$KAFKA_STATE"
exec 9> "$KAFKA_STATE/start.lock"
if command -v flock > /dev/null && ! flock -w "$timeout_s" 9; then
  echo "another start.sh held $KAFKA_STATE/start.lock for ${timeout_s}s" >&2; exit 1
fi

if pid="$(kafka_pid)"; then
  echo "kafka already running (pid $pid), waiting until ready" >&2
else
  # Refuse to start if something else owns the port: we'd otherwise "find" a foreign broker.
  if (exec 3<> "/dev/tcp/127.0.0.1/$KAFKA_PORT") 2> /dev/null; then
    echo "port $KAFKA_PORT is in use by a process this script did not start" >&2; exit 1
  fi
  cp_file="$("$KAFKA_DIR/fetch.sh")"
  rm -rf "$KAFKA_STATE/data"   # leftovers of a crashed run: always start from empty storage
  mkdir -p "$KAFKA_STATE/data"
  props="$KAFKA_STATE/server.properties"
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_STATE/data
num.partitions=${KAFKA_NUM_PARTITIONS:-3}
# Off by default: services must create their topics explicitly (as in production), so a
# missing createTopics shows up in tests instead of silently getting a default topic.
auto.create.topics.enable=${KAFKA_AUTO_CREATE_TOPICS:-false}
# One node: internal topics cannot have the default replication factor of 3.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests join consumer groups constantly: don't wait 3 s for more members.
group.initial.rebalance.delay.ms=0
PROPS

  cp="$(cat "$cp_file")"
  read -ra heap <<< "${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"   # modest: CI machines are small
  jvm=(java "${heap[@]}" -XX:+UseG1GC -Djava.awt.headless=true
       -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -cp "$cp")
  # Random cluster id (22 chars of base64url, as Kafka's Uuid) without paying a JVM start for it.
  # Not starting with "-" (1 in 64 did): the tool's argument parser takes it for an option and
  # formatting fails, as Kafka's own Uuid.randomUuid() avoids too.
  cluster_id="-"
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  done
  # (C1 only: this JVM lives ~1 s, so skipping the optimizing JIT makes it start faster.)
  "${jvm[@]}" -XX:TieredStopAtLevel=1 kafka.tools.StorageTool format -t "$cluster_id" -c "$props" > "$KAFKA_LOG" 2>&1 \
    || { echo "formatting storage failed" >&2; show_log; exit 1; }
  # setsid+nohup: the broker must outlive this script and the terminal/CI step that ran it;
  # 9>&- so it does not inherit (and hold forever) the start lock.
  setsid nohup "${jvm[@]}" kafka.Kafka "$props" >> "$KAFKA_LOG" 2>&1 < /dev/null 9>&- &
  echo $! > "$KAFKA_PID_FILE"
  pid="$(cat "$KAFKA_PID_FILE")"
fi

# Ready = log says the server started (KRaft: after the broker is unfenced) AND it answers a request.
deadline=$((SECONDS + timeout_s))
until grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null && kafka_ready; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "kafka exited during startup" >&2; show_log; exit 1
  fi
  if (( SECONDS >= deadline )); then
    echo "kafka not ready after ${timeout_s}s (pid $pid)" >&2; show_log; exit 1
  fi
  sleep 0.2
done
echo "kafka $KAFKA_VERSION ready (pid $pid, log $KAFKA_LOG)" >&2
echo "$KAFKA_BOOTSTRAP"
