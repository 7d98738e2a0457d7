#!/usr/bin/env bash
# npm start: installs what is missing, starts the local stack (Kafka, Redis, Prometheus,
# Alertmanager), a mail catcher with a web UI (MailDev, when SMTP_URL is not set) and the services
# (ingest, projector, exporter, notifier, archiver, replay API, ops board), every one a process of infra/supervisord.conf run by the run folder's supervisord (through
# scripts/stack.sh), sends a small sample of events, prints where everything is, and keeps
# running until Ctrl-C or `npm run stop`; a service that stops by itself is reported and ends it.
#
# Point it at existing infrastructure with KAFKA_BROKERS and REDIS_URL: when Kafka answers
# there, no local broker is started; a Redis that answers at REDIS_URL is always used as is.
# Everything it writes lives in the run folder STACK_RUN_DIR (default <repo>/.run): a second
# stack on the same machine needs its own run folder, ports and REDIS_NAMESPACE (README).
#
#   bash scripts/start.sh --reset-demo   (npm run demo:reset) deletes the loaded Bình Phước
#       2022 demo of this run folder (topics, consumer groups, Redis keys of its namespace,
#       event store file, marker) so that the next DEMO=binh-phuoc-2022 start loads it afresh
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
mode=start
case "${1:-}" in
  --help | -h)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    echo "Options via environment: STACK_RUN_DIR (<repo>/.run), INGEST_PORT (8080), EXPORTER_PORT (9464),"
    echo "PROJECTOR_PORT (9465), ARCHIVER_PORT (9466), NOTIFIER_PORT (8090), REPLAY_PORT (8091), BOARD_PORT (8088),"
    echo "SMTP_URL (unset: a local MailDev on MAIL_SMTP_PORT (1025), web UI on MAIL_WEB_PORT (1080)), the stack's"
    echo "ports (bash scripts/stack.sh --help), EVENTSTORE_URL (sqlite:<run folder>/eventstore/events.sqlite),"
    echo "PROJECTOR_NODE_FLAGS (--max-semi-space-size=64: Node flags of the projector process),"
    echo "PROJECTOR_GLIBC_TUNABLES (glibc.malloc.hugetlb=1: the projector's GLIBC_TUNABLES),"
    echo "DEMO: sample (default: a small sample dated over the ten days before today, wall clock;"
    echo "      the same events at every start of one day, so a restart does not count them twice),"
    echo "      binh-phuoc-2022 (the province's 1 May - 22 June 2022 history with the article's exact"
    echo "      figures, on its own topic and Redis namespace, every reader's clock pinned by CLOCK_AS_OF"
    echo "      at 22 June 2022 17:00, the instant the figures are computed at;"
    echo "      loaded once, then reused by every later start until --reset-demo),"
    echo "      none (no data sent);"
    echo "and every service variable listed by node services/<name>/dist/main.js --help."
    exit 0
    ;;
  --reset-demo) mode=reset-demo ;;
  '') ;;
  *) echo "start.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"
resolve_run_dir "$ROOT"
cd "$ROOT"
default_service_ports

SERVICES_DIR="$RUN/services"
LOGS="$RUN/logs"
START_PID="$SERVICES_DIR/start.pid"
mkdir -p "$SERVICES_DIR" "$LOGS"
if pid_running "$(cat "$START_PID" 2>/dev/null)"; then
  die "npm start already runs for the run folder $RUN (pid $(cat "$START_PID")); stop it first with npm run stop (same STACK_RUN_DIR)"
fi

# run_child CMD... : runs CMD in the background and waits, so that a stop signal is handled at once.
child=""
run_child() {
  local rc=0
  "$@" &
  child=$!
  wait "$child" || rc=$?
  child=""
  return "$rc"
}
started_now=()
if [ "$mode" = start ]; then
  # From here on `npm run stop` (SIGTERM), Ctrl-C, a failed start and a service that stops all
  # end in stop.sh, which stops the services and the stack components this run started
  # (recorded in stack-started as each comes up).
  echo $$ >"$START_PID"
  shutdown() {
    trap - INT TERM EXIT
    rm -f "$START_PID"
    if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
    bash "$SCRIPT_DIR/stop.sh"
  }
  on_exit() {
    local code=$?
    if [ "$code" -ne 0 ]; then echo "start failed (exit $code); stopping what it started" >&2; fi
    shutdown
    exit "$code"
  }
  trap 'shutdown; exit 0' INT TERM
  trap on_exit EXIT
else
  # --reset-demo stops again the components it started, whatever happens.
  stop_started() {
    local code=$? i
    for ((i = ${#started_now[@]} - 1; i >= 0; i--)); do bash scripts/stack.sh stop "${started_now[i]}"; done
    exit "$code"
  }
  trap stop_started EXIT
fi

run_child bash scripts/setup.sh
# shellcheck source=scripts/node-runtime.sh
. "$SCRIPT_DIR/node-runtime.sh"
use_project_node "$ROOT"

# The stack components: Kafka (unless KAFKA_BROKERS names a cluster that answers), Redis (unless
# one answers at REDIS_URL), Prometheus and Alertmanager. Those already up are started anyway (a
# no-op that re-renders the scrape targets and the webhook with this run's ports); only those
# this run started are recorded, for npm run stop. --reset-demo needs Kafka and Redis only, and
# stops again what it started.
detect_external_kafka "using it, no local broker" "using this stack's own broker instead"
# The stack components are the kind=stack processes of infra/supervisord.conf.
mapfile -t components < <(bash scripts/stack.sh names stack)
[ "$mode" = reset-demo ] && components=(kafka redis)
if [ "$external_kafka" = 1 ]; then mapfile -t components < <(printf '%s\n' "${components[@]}" | grep -vx kafka); fi
running_before=$(bash scripts/stack.sh status | awk '$4 ~ /^up/ {print $1}')
for component in "${components[@]}"; do
  if ! grep -qx "$component" <<<"$running_before"; then
    started_now+=("$component")
    if [ "$mode" = start ]; then echo "$component" >>"$SERVICES_DIR/stack-started"; fi
  fi
done
run_child bash scripts/stack.sh start "${components[@]}"
load_env_defaults "$RUN/stack.env"
if [ "$external_kafka" = 0 ]; then export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"; fi

if [ "$mode" = reset-demo ]; then DEMO=binh-phuoc-2022; fi
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
    export EVENTSTORE_URL=${EVENTSTORE_URL:-sqlite:$RUN/eventstore/demo-bp2022.sqlite}
    CLOCK_AS_OF=${CLOCK_AS_OF:-$(node -e "import('./shared/scenario/dist/generate.js').then((m) => process.stdout.write(m.CLOCK))")}
    export CLOCK_AS_OF
    ;;
  *) echo "DEMO must be sample, binh-phuoc-2022 or none, got '$DEMO'" >&2; exit 2 ;;
esac

if [ "$mode" = reset-demo ]; then
  node shared/scenario/dist/cli.js demo reset
  exit 0
fi

# The demo case is sent once: a marker written after a complete load, checked against the topic,
# the projection and the event store it names, lets every later start reuse it. Anything else
# (never loaded, half loaded, other settings, data gone) is deleted and loaded afresh.
DEMO_DIR="$RUN/demo"
demo_load=0
if [ "$DEMO" = binh-phuoc-2022 ]; then
  rc=0
  run_child node shared/scenario/dist/cli.js demo check || rc=$?
  case $rc in
    0) ;;
    1) run_child node shared/scenario/dist/cli.js demo reset; demo_load=1 ;;
    *) die "could not tell whether the demo is loaded (see above)" ;;
  esac
fi

# The replay API signs resume tokens; a secret made once here keeps tokens valid across restarts.
REPLAY_DIR="$RUN/replay"
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

# Notices people can read: without SMTP_URL, every notice goes to a local mail catcher (MailDev,
# from npm; the process `mail` of infra/supervisord.conf, started only then) whose web UI shows
# each one; its link opens the ops board's page of the unit.
processes=(services)
mail_ui=""
if [ -z "${SMTP_URL:-}" ]; then
  processes+=(mail)
  export SMTP_URL="smtp://127.0.0.1:$MAIL_SMTP_PORT"
  # MailDev serves its web UI at /index.html (its / answers 404).
  mail_ui="http://127.0.0.1:$MAIL_WEB_PORT/index.html"
fi
export DASHBOARD_URL=${DASHBOARD_URL:-http://127.0.0.1:$BOARD_PORT/#/don-vi/{unit}}
# A first key of the ops board (role board, every unit), printed once (only its hash is kept).
board_key=""
if ! node services/cli/dist/main.js keys list --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.exit(JSON.parse(s||"[]").some((k)=>k.id==="board")?0:1))'; then
  board_key=$(node services/cli/dist/main.js keys create --id board --units '*' --types '*' --rate 6000 --role board)
fi

# The local producer key (role producer, every unit): the ingest takes no event without a key.
# The sample and the demo send it on every start, so its text is kept (owner only) in the run
# folder; it is printed once, when it is made. A lost file or a revoked key makes a new one.
INGEST_DIR="$RUN/ingest"
mkdir -p "$INGEST_DIR"
keys_file="${INGEST_KEYS_FILE:-$REPLAY_DIR/keys.json}"
has_key() {
  node services/cli/dist/main.js keys list --json --file "$keys_file" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.exit(JSON.parse(s||"[]").some((k)=>k.id===process.argv[1])?0:1))' "$1"
}
producer_key=""
if [ ! -s "$INGEST_DIR/producer-key" ] || ! has_key local-producer; then
  if has_key local-producer; then node services/cli/dist/main.js keys revoke --id local-producer --file "$keys_file" 2>/dev/null; fi
  producer_key=$(node services/cli/dist/main.js keys create --id local-producer --role producer --units '*' --types '*' --rate 6000 --file "$keys_file")
  (umask 077 && printf '%s\n' "$producer_key" >"$INGEST_DIR/producer-key")
fi
ingest_key=$(cat "$INGEST_DIR/producer-key")
# The projector and the archiver accept on the events topic only the messages of a producer key of
# this same file (the header dvc-producer-key the ingest writes): PRODUCER_KEYS_FILE, unless set
# (PRODUCER_KEYS_FILE=off turns the check off).
export INGEST_KEYS_FILE="$keys_file"
export PRODUCER_KEYS_FILE="${PRODUCER_KEYS_FILE:-$keys_file}"

# The services read this environment (infra/supervisord.conf): the ports, the stack's addresses,
# the demo's topic, namespace and clock, the replay secret, the pinned Node.js on PATH.
(umask 077 && export -p | grep -vE '^declare -x (OLDPWD|PWD|SHLVL|_)=' >"$SERVICES_DIR/env")
run_child bash scripts/stack.sh start "${processes[@]}"

case "$DEMO" in
  sample) INGEST_KEY="$ingest_key" run_child node shared/scenario/dist/cli.js sample --ingest "http://127.0.0.1:$INGEST_PORT" ;;
  binh-phuoc-2022)
    if [ "$demo_load" = 1 ]; then
      mkdir -p "$DEMO_DIR"
      rm -f "$DEMO_DIR/receipt.json"
      INGEST_KEY="$ingest_key" run_child node shared/scenario/dist/cli.js binh-phuoc-2022 --ingest "http://127.0.0.1:$INGEST_PORT" --receipt "$DEMO_DIR/receipt.json"
      # Not fatal: without a marker the next start loads the case afresh.
      run_child node shared/scenario/dist/cli.js demo mark --receipt "$DEMO_DIR/receipt.json" || warn "the demo is not marked as loaded; the next start loads it again"
    fi
    ;;
esac

stop_command="npm run stop"
[ "$RUN" = "$ROOT/.run" ] || stop_command="STACK_RUN_DIR=$RUN npm run stop"
cat <<INFO

dvc is running on Node.js $(node -v)$([ "${DVC_NODE_SOURCE:-}" = fetched ] && echo " (the project's pinned runtime, .run/runtime/)") (run folder $RUN)
  ops board       http://127.0.0.1:$BOARD_PORT/   (Vietnamese: province overview, ranking, worklists, meeting report; /v1/openapi.json; a unit head's key, which the unit's notices link to: node services/cli/dist/main.js keys create --role board --id NAME --units UNIT --types '*' --rate 600)
  notices (mail)  ${mail_ui:-sent to $SMTP_URL}
  ingest API      http://127.0.0.1:$INGEST_PORT/v1/events   (POST CloudEvents; /healthz, /readyz, /metrics)
  metrics         http://127.0.0.1:$EXPORTER_PORT/metrics
  projector       http://127.0.0.1:$PROJECTOR_PORT/metrics
  notifier        http://127.0.0.1:$NOTIFIER_PORT/v1/notices   (Alertmanager webhook; mail via $SMTP_URL; reading the notices needs an operator key: node services/cli/dist/main.js keys create --role operator --id NAME --units '*' --types '*' --rate 600)
  archiver        http://127.0.0.1:$ARCHIVER_PORT/metrics   (every event into ${EVENTSTORE_URL:-the event store under $RUN/eventstore/})
  replay API      http://127.0.0.1:$REPLAY_PORT/v1/events   (NDJSON history for integrators; /v1/openapi.json)
  operator CLI    node services/cli/dist/main.js --help   (rebuild, replay, dlq, keys, namespaces)
  Prometheus      $PROMETHEUS_URL
  Alertmanager    $ALERTMANAGER_URL
  Kafka           $KAFKA_BROKERS
  Redis           $REDIS_URL   (namespace ${REDIS_NAMESPACE:-dvc})
  logs            $LOGS/
Stop with Ctrl-C or '$stop_command'.
INFO
if [ -n "$replay_key" ]; then
  echo "Replay API key 'local' (shown once; only its hash is stored):"
  echo "  $replay_key"
  echo "  curl -H 'Authorization: Bearer $replay_key' 'http://127.0.0.1:$REPLAY_PORT/v1/events?limit=5'"
fi

if [ -n "$producer_key" ]; then
  echo "Producer key 'local-producer' (role producer, every unit; shown once; the sample and the demo send it from $INGEST_DIR/producer-key):"
  echo "  $producer_key"
  echo "  curl -X POST -H 'Authorization: Bearer $producer_key' -H 'content-type: application/cloudevents+json' -d @event.json http://127.0.0.1:$INGEST_PORT/v1/events"
  echo "  A portal gets a key of its own: node services/cli/dist/main.js keys create --role producer --id portal-dongxoai --units dn.dongxoai --types '*' --rate 600"
fi

if [ -n "$board_key" ]; then
  echo "Ops board key 'board' (shown once; paste it into the board's page; only its hash is stored):"
  echo "  $board_key"
fi

if [ "$DEMO" = binh-phuoc-2022 ]; then
  echo "The demo's clock is pinned at $CLOCK_AS_OF. The operator CLI on the demo:"
  echo "  REDIS_NAMESPACE=$REDIS_NAMESPACE EVENTS_TOPIC=$EVENTS_TOPIC DLQ_TOPIC=$DLQ_TOPIC ARCHIVER_GROUP=$ARCHIVER_GROUP EVENTSTORE_URL=$EVENTSTORE_URL CLOCK_AS_OF=$CLOCK_AS_OF node services/cli/dist/main.js namespaces"
fi
# Until stopped: a service (or the mail catcher) that stops by itself (crash, kill: EXITED,
# FATAL, BACKOFF) is reported and stops the rest. One an operator stopped (scripts/stack.sh stop
# NAME, supervisorctl stop: STOPPED) or is restarting (STOPPING, STARTING) is theirs: said once,
# the rest runs on.
mapfile -t services < <(bash scripts/stack.sh names "${processes[@]}")
declare -A stopped_by_hand=()
while :; do
  status=$(supervisorctl -c infra/supervisord.conf status "${services[@]}" 2>/dev/null || true)
  crashed=$(awk '$2 != "RUNNING" && $2 != "STOPPED" && $2 != "STOPPING" && $2 != "STARTING"' <<<"$status")
  if [ -n "$crashed" ]; then
    echo "$crashed" | awk -v logs="$LOGS" '{ name = $1; $1 = ""; print name " stopped by itself:" $0 "; see " logs "/" name ".log" }' >&2
    trap - EXIT
    shutdown
    exit 1
  fi
  while read -r name state _; do
    [ -n "$name" ] || continue
    if [ "$state" = STOPPED ] && [ -z "${stopped_by_hand[$name]:-}" ]; then
      echo "$name was stopped by hand; the rest runs on. '${stop_command%npm run stop}bash scripts/stack.sh start $name' starts it again; '$stop_command' stops everything." >&2
      stopped_by_hand[$name]=1
    elif [ "$state" = RUNNING ]; then
      unset "stopped_by_hand[$name]"
    fi
  done <<<"$status"
  run_child sleep 2
done
