#!/usr/bin/env bash
# Resolves the pinned Kafka broker jars from Maven Central into the normal ~/.m2 repository and
# prints the path of a file holding the broker's Java classpath. Cached: a second run costs no mvn.
# Extra arguments go to mvn (e.g. -Dmaven.repo.local=/some/repo).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The cache key includes a hash of pom.xml so editing the pom (e.g. adding a jar) refetches.
pom_hash="$(sha256sum "$KAFKA_DIR/pom.xml" | cut -c1-12)"
cp_file="${XDG_CACHE_HOME:-$HOME/.cache}/ifreg-kafka/$KAFKA_VERSION/classpath-$pom_hash.txt"

# Cached classpath is only trusted if every jar in it is still on disk (~/.m2 may have been wiped).
cached_ok() {
  [[ -s "$cp_file" ]] || return 1
  local jar
  while IFS= read -r -d: jar || [[ -n "$jar" ]]; do [[ -f "$jar" ]] || return 1; done < "$cp_file"
}

if ! cached_ok; then
  mkdir -p "$(dirname "$cp_file")"
  echo "fetching Kafka $KAFKA_VERSION from Maven Central..." >&2
  mvn -B -q -f "$KAFKA_DIR/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:build-classpath -Dmdep.outputFile="$cp_file.tmp" "$@" >&2
  mv "$cp_file.tmp" "$cp_file"   # atomic: a failed fetch never leaves a half-written classpath
fi
echo "$cp_file"
