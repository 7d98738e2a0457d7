#!/usr/bin/env bash
# npm test: installs what is missing, starts what the tests need (Kafka unless KAFKA_BROKERS
# names a cluster that answers, Prometheus, Alertmanager; Redis when none answers at REDIS_URL;
# the local Redis Cluster, whose REDIS_CLUSTER_URL puts the cluster tier of the tests to work),
# runs type checks, the linter and dependency rules (npm run lint) and every test tier, then stops
# exactly what it started. Ends with "N passed, N failed, N skipped". Run folder: STACK_RUN_DIR.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
if [ "${1:-}" = "--help" ]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  echo "Variables: KAFKA_BROKERS (an answering cluster is used as is), STACK_RUN_DIR, PROM_SCRAPE_INTERVAL"
  echo "(1s when this run starts Prometheus), and the stack's ports (KAFKA_PORT, PROMETHEUS_PORT,"
  echo "ALERTMANAGER_PORT, NOTIFIER_PORT, REDIS_URL, REDIS_CLUSTER_PORT; see scripts/stack.sh --help), POSTGRES_URL (the"
  echo "PostgreSQL the event store's adapter is tested on; default the local server). A variable set in the"
  echo "environment wins over the stack's stack.env."
  exit 0
fi

# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"
resolve_run_dir "$ROOT"
# The ops board's browser tests drive Debian's Chromium through playwright-core (no browser is ever
# downloaded); npm start needs no browser, so only the tests install it.
ensure_cmd chromium chromium
bash scripts/setup.sh
# shellcheck source=scripts/node-runtime.sh
. "$SCRIPT_DIR/node-runtime.sh"
use_project_node "$ROOT"

detect_external_kafka "the tests use it, no local broker is started" "the tests use this stack's own broker"

# Remember what was already running so that only what this run starts is stopped.
running_before=$(bash scripts/stack.sh status | awk '$4 ~ /^up/ {print $1}')
# npm start's services hold the ports the end-to-end tests start their own on (the notifier on
# NOTIFIER_PORT, where this stack's Alertmanager posts), and they would read and mail the alerts
# of the tests' units: the tests run beside npm start's stack parts, not beside its services.
services_up=$(grep -xF -f <(bash scripts/stack.sh names services) <<<"$running_before" | tr '\n' ' ' || true)
[ -z "$services_up" ] ||
  die "npm start is running in $RUN (services up: ${services_up% }); its services would answer in place of the ones the end-to-end tests start (the notifier on NOTIFIER_PORT). Stop it first with 'npm run stop'"

started=()
cleanup() {
  local code=$?
  if [ "${#started[@]}" -gt 0 ]; then bash scripts/stack.sh stop "${started[@]}" >/dev/null 2>&1 || true; fi
  exit "$code"
}
trap cleanup EXIT
# The stack components are the kind=stack processes of infra/supervisord.conf, and the six
# nodes of the local Redis Cluster (kind=redis-cluster): the Redis tests and the pipeline,
# rebuild and fault tests run on it as well as on the single Redis.
for component in $(bash scripts/stack.sh names stack redis-cluster); do
  if [ "$component" = kafka ] && [ "$external_kafka" = 1 ]; then continue; fi
  if ! grep -qx "$component" <<<"$running_before"; then started+=("$component"); fi
done
# When this run starts the stack from nothing, its Prometheus and Alertmanager keep their data in
# folders of their own, fresh each run: the tests' series (their units, exporters that come and
# go, the stack's own service ports with nothing on them) and Alertmanager's log of the
# notifications it sent would otherwise be npm start's history afterwards (its trend charts, and
# a real alert not sent as 'already notified'). Exported for the whole run: the tests that stop
# and start stack parts (a Redis Cluster node) must start them with the same settings. Beside
# stack parts npm start left running, the run folder's supervisord keeps npm start's settings.
if [ -z "$(bash scripts/stack.sh status | awk '$4 ~ /^up/ && !/external/ { print $1 }')" ]; then
  rm -rf "${RUN:?}/test-stack"
  export STACK_DATA_SUBDIR=test-stack
fi
if [ "${#started[@]}" -gt 0 ]; then PROM_SCRAPE_INTERVAL=${PROM_SCRAPE_INTERVAL:-1s} bash scripts/stack.sh start "${started[@]}"; fi

# Every test tier talks to the stack just started (or found running): its addresses from
# stack.env, for each variable not set in the environment.
load_env_defaults "$RUN/stack.env"
if [ "$external_kafka" = 0 ]; then export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-19092}"; fi

# The event store's PostgreSQL adapter is tested on the machine's PostgreSQL (POSTGRES_URL); a
# Debian cluster that is installed but stopped is started (and left running: it is the machine's).
export POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ensure_cmd pg_isready postgresql-client
if ! pg_isready -q -t 5 -d "$POSTGRES_URL"; then
  if command -v pg_lsclusters >/dev/null 2>&1; then
    while read -r version cluster _; do
      log "postgres: starting the $version/$cluster cluster"
      pg_ctlcluster "$version" "$cluster" start || true
    done < <(pg_lsclusters -h)
  fi
  pg_isready -q -t 15 -d "$POSTGRES_URL" ||
    die "postgres: nothing answers at POSTGRES_URL=$POSTGRES_URL; start PostgreSQL or set POSTGRES_URL to a server the tests may create schemas in"
fi

export DVC_TEST_RESULTS_DIR="$RUN/test-results/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$DVC_TEST_RESULTS_DIR"
status=0
npx turbo run build typecheck --output-logs=errors-only || status=1
# The linter and the dependency rules (ARCHITECTURE.md#checks) read the built packages' exports.
if [ "$status" -eq 0 ]; then npm run --silent lint || status=1; fi
if [ "$status" -eq 0 ]; then
  npx turbo run test:unit --continue --output-logs=full || status=1
  # Integration and end-to-end tiers share one broker and one Redis: one package at a time.
  npx turbo run test:int --continue --concurrency=1 --output-logs=full || status=1
  npx turbo run test:e2e --continue --concurrency=1 --output-logs=full || status=1
fi

node scripts/test-summary.mjs "$DVC_TEST_RESULTS_DIR" || status=1
exit "$status"
