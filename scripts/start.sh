#!/usr/bin/env bash
# npm start: installs what is missing, starts the local stack (Kafka, Redis, Prometheus,
# Alertmanager) and the services (ingest, projector, exporter, notifier, archiver, replay API),
# sends a small sample of events, prints where everything is, and keeps running until Ctrl-C or
# `npm run stop`.
#
# Point it at existing infrastructure with KAFKA_BROKERS and REDIS_URL: when Kafka answers
# there, no local broker is started; a Redis that answers at REDIS_URL is always used as is.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
if [ "${1:-}" = "--help" ]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  echo "Options via environment: INGEST_PORT (8080), EXPORTER_PORT (9464), PROJECTOR_PORT (9465),"
  echo "ARCHIVER_PORT (9466), REPLAY_PORT (8091), EVENTSTORE_URL (sqlite:.run/eventstore/events.sqlite),"
  echo "PROJECTOR_NODE_FLAGS (--max-semi-space-size=64: Node flags of the projector process),"
  echo "DEMO: sample (default: a small sample dated over the last ten days, wall clock),"
  echo "      binh-phuoc-2022 (the province's 1 May - 22 June 2022 history with the article's exact"
  echo "      figures, on its own topic and Redis namespace, every reader's clock pinned by CLOCK_AS_OF"
  echo "      at 22 June 2022 17:00, the instant the figures are computed at),"
  echo "      none (no data sent);"
  echo "and every service variable listed by node services/<name>/dist/main.js --help."
  exit 0
fi
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

bash scripts/setup.sh
# shellcheck source=scripts/node-runtime.sh
. "$SCRIPT_DIR/node-runtime.sh"
use_project_node "$ROOT"

SERVICES_DIR="$ROOT/.run/services"
mkdir -p "$SERVICES_DIR" "$ROOT/.run/logs"

running_before=$(bash scripts/stack.sh status | awk '$4 ~ /^up/ {print $1}')
external_kafka=0
if [ -n "${KAFKA_BROKERS:-}" ] && kcat -b "$KAFKA_BROKERS" -L -m 3 >/dev/null 2>&1; then external_kafka=1; fi
for component in kafka redis prometheus alertmanager; do
  if [ "$component" = kafka ] && [ "$external_kafka" = 1 ]; then continue; fi
  if ! grep -qx "$component" <<<"$running_before"; then
    bash scripts/stack.sh start "$component"
    echo "$component" >>"$SERVICES_DIR/stack-started"
  fi
done
# shellcheck disable=SC1091
set -a; . "$ROOT/.run/stack.env"; set +a
if [ "$external_kafka" = 0 ]; then export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-19092}"; fi

DEMO=${DEMO:-sample}
case "$DEMO" in
  sample | none) ;;
  binh-phuoc-2022)
    # The historical demo lives beside live data: its own topic, group and namespace, and
    # windows that end on 22 June 2022 instead of today: the exporter, notifier and CLI are
    # pinned at the instant the scenario's figures are computed at (its CLOCK), so no event,
    # however dated, moves their "now".
    export EVENTS_TOPIC=${EVENTS_TOPIC:-dvc.demo.bp2022.events} DLQ_TOPIC=${DLQ_TOPIC:-dvc.demo.bp2022.dlq}
    export REDIS_NAMESPACE=${REDIS_NAMESPACE:-dvc-demo-bp2022} PROJECTOR_GROUP=${PROJECTOR_GROUP:-dvc-demo-bp2022}
    export ARCHIVER_GROUP=${ARCHIVER_GROUP:-dvc-demo-bp2022-archiver}
    export EVENTSTORE_URL=${EVENTSTORE_URL:-sqlite:$ROOT/.run/eventstore/demo-bp2022.sqlite}
    CLOCK_AS_OF=${CLOCK_AS_OF:-$(node -e "import('./scripts/scenario/generate.mjs').then((m) => process.stdout.write(m.CLOCK))")}
    export CLOCK_AS_OF
    ;;
  *) echo "DEMO must be sample, binh-phuoc-2022 or none, got '$DEMO'" >&2; exit 2 ;;
esac

SERVICES="projector archiver exporter ingest notifier replay-api"
start_service() {
  local name=$1
  local pidfile="$SERVICES_DIR/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "$name already running (pid $(cat "$pidfile"))"
    return
  fi
  # The projector allocates a batch's states and commands at a high rate: a larger young
  # generation cuts its garbage-collection time (about 15 % less CPU per event, measured by
  # scripts/bench/apply-inprocess.mjs). PROJECTOR_NODE_FLAGS= turns it off.
  local flags=()
  if [ "$name" = projector ]; then read -r -a flags <<<"${PROJECTOR_NODE_FLAGS---max-semi-space-size=64}"; fi
  node "${flags[@]}" "services/$name/dist/main.js" >>"$ROOT/.run/logs/$name.log" 2>&1 &
  echo $! >"$pidfile"
}
# The replay API signs resume tokens; a secret made once here keeps tokens valid across restarts.
REPLAY_DIR="$ROOT/.run/replay"
mkdir -p "$REPLAY_DIR"
if [ -z "${REPLAY_TOKEN_SECRETS:-}" ]; then
  if [ ! -s "$REPLAY_DIR/token-secret" ]; then
    (umask 077 && node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))' >"$REPLAY_DIR/token-secret")
  fi
  REPLAY_TOKEN_SECRETS=$(cat "$REPLAY_DIR/token-secret")
  export REPLAY_TOKEN_SECRETS
fi
# A first API key for the local integrator, printed once (only its hash is kept).
replay_key=""
if [ ! -s "${REPLAY_KEYS_FILE:-$REPLAY_DIR/keys.json}" ]; then
  replay_key=$(node services/cli/dist/main.js keys create --id local --units '*' --types '*' --rate 600)
fi

# Prometheus scrapes the history services too (file-based discovery).
if [ -n "${PROM_TARGETS_DIR:-}" ] && [ -d "$PROM_TARGETS_DIR" ]; then
  cat >"$PROM_TARGETS_DIR/.history.json.tmp" <<TARGETS
[
  { "targets": ["127.0.0.1:${ARCHIVER_PORT:-9466}"], "labels": { "job": "dvc-services", "service": "archiver" } },
  { "targets": ["127.0.0.1:${REPLAY_PORT:-8091}"], "labels": { "job": "dvc-services", "service": "replay-api" } }
]
TARGETS
  mv -f "$PROM_TARGETS_DIR/.history.json.tmp" "$PROM_TARGETS_DIR/history.json"
fi

for name in $SERVICES; do start_service "$name"; done

wait_ready() {
  local name=$1 url=$2
  for _ in $(seq 1 120); do
    if curl -fsS "$url" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat "$SERVICES_DIR/$name.pid")" 2>/dev/null; then
      echo "$name exited; last lines of .run/logs/$name.log:" >&2
      tail -n 30 "$ROOT/.run/logs/$name.log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "$name not ready after 60 s; see .run/logs/$name.log" >&2
  return 1
}
wait_ready ingest "http://127.0.0.1:${INGEST_PORT:-8080}/readyz"
wait_ready projector "http://127.0.0.1:${PROJECTOR_PORT:-9465}/readyz"
wait_ready exporter "http://127.0.0.1:${EXPORTER_PORT:-9464}/readyz"
wait_ready notifier "http://127.0.0.1:${NOTIFIER_PORT:-8090}/healthz"
wait_ready archiver "http://127.0.0.1:${ARCHIVER_PORT:-9466}/readyz"
wait_ready replay-api "http://127.0.0.1:${REPLAY_PORT:-8091}/readyz"

case "$DEMO" in
  sample) node scripts/sample-events.mjs --ingest "http://127.0.0.1:${INGEST_PORT:-8080}" ;;
  binh-phuoc-2022) node scripts/scenario/binh-phuoc-2022.mjs --ingest "http://127.0.0.1:${INGEST_PORT:-8080}" ;;
esac

cat <<INFO

dvc is running on Node.js $(node -v)$([ "${DVC_NODE_SOURCE:-}" = fetched ] && echo " (the project's pinned runtime, .run/runtime/)")
  ingest API      http://127.0.0.1:${INGEST_PORT:-8080}/v1/events   (POST CloudEvents; /healthz, /readyz, /metrics)
  metrics         http://127.0.0.1:${EXPORTER_PORT:-9464}/metrics
  projector       http://127.0.0.1:${PROJECTOR_PORT:-9465}/metrics
  notifier        http://127.0.0.1:${NOTIFIER_PORT:-8090}/v1/notices   (Alertmanager webhook; mail via SMTP_URL)
  archiver        http://127.0.0.1:${ARCHIVER_PORT:-9466}/metrics   (every event into ${EVENTSTORE_URL:-the event store under .run/eventstore/})
  replay API      http://127.0.0.1:${REPLAY_PORT:-8091}/v1/events   (NDJSON history for integrators; /v1/openapi.json)
  operator CLI    node services/cli/dist/main.js --help   (rebuild, replay, dlq, keys, namespaces)
  Prometheus      ${PROMETHEUS_URL:-http://127.0.0.1:9090}
  Alertmanager    ${ALERTMANAGER_URL:-http://127.0.0.1:9093}
  Kafka           ${KAFKA_BROKERS}
  Redis           ${REDIS_URL}
  logs            .run/logs/
Stop with Ctrl-C or 'npm run stop'.
INFO
if [ -n "$replay_key" ]; then
  echo "Replay API key 'local' (shown once; only its hash is stored):"
  echo "  $replay_key"
  echo "  curl -H 'Authorization: Bearer $replay_key' 'http://127.0.0.1:${REPLAY_PORT:-8091}/v1/events?limit=5'"
fi

if [ "$DEMO" = binh-phuoc-2022 ]; then
  echo "The demo's clock is pinned at $CLOCK_AS_OF. The operator CLI on the demo:"
  echo "  REDIS_NAMESPACE=$REDIS_NAMESPACE EVENTS_TOPIC=$EVENTS_TOPIC DLQ_TOPIC=$DLQ_TOPIC ARCHIVER_GROUP=$ARCHIVER_GROUP EVENTSTORE_URL=$EVENTSTORE_URL CLOCK_AS_OF=$CLOCK_AS_OF node services/cli/dist/main.js namespaces"
fi

trap 'bash "$SCRIPT_DIR/stop.sh"; exit 0' INT TERM
while :; do
  for name in $SERVICES; do
    if ! kill -0 "$(cat "$SERVICES_DIR/$name.pid")" 2>/dev/null; then
      echo "$name stopped; see .run/logs/$name.log" >&2
      bash "$SCRIPT_DIR/stop.sh"
      exit 1
    fi
  done
  sleep 2
done
