#!/usr/bin/env bash
# Fetches the Kafka broker's jars (KAFKA_VERSION, default 4.4.0; 3.9.x still works) from Maven
# Central into KAFKA_LIBS_DIR (default <repo>/.run/kafka/libs-<version>), once per version: the
# broker of infra/supervisord.conf runs from them. Installs Maven when it is missing. Several stacks share the folder.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"
if [ "${1:-}" = --help ]; then
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
LIBS=${KAFKA_LIBS_DIR:-$ROOT/.run/kafka/libs-$KAFKA_VERSION}
[ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] && exit 0
ensure_cmd mvn maven
mkdir -p "$(dirname "$LIBS")"
log "kafka: fetching Kafka $KAFKA_VERSION jars with Maven into $LIBS (first run only)"
tmp="$LIBS.tmp.$$" mvn_log="$LIBS.mvn.log" t0=$SECONDS
rm -rf "$tmp"
if ! mvn -B -q -f "$ROOT/infra/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
  show_log_tail "$mvn_log" 40
  rm -rf "$tmp"
  die "kafka: mvn dependency:copy-dependencies failed (full log: $mvn_log)"
fi
[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || { rm -rf "$tmp"; die "kafka: Maven did not produce kafka_2.13-$KAFKA_VERSION.jar"; }
rm -rf "$LIBS"
mv "$tmp" "$LIBS"
log "kafka: jars fetched in $((SECONDS - t0))s"
