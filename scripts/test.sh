#!/usr/bin/env bash
# npm test: installs what is missing, starts what the tests need (Kafka, Prometheus,
# Alertmanager; Redis when none answers), runs type checks and every test tier, then stops
# exactly what it started. Ends with one line: "N passed, N failed, N skipped".
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
if [ "${1:-}" = "--help" ]; then
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
  echo "Variables: PROM_SCRAPE_INTERVAL (1s when this run starts Prometheus), and the stack's ports"
  echo "(KAFKA_PORT, PROMETHEUS_PORT, ALERTMANAGER_PORT, NOTIFIER_PORT, REDIS_URL; see scripts/stack.sh --help)."
  exit 0
fi

bash scripts/setup.sh
# shellcheck source=scripts/node-runtime.sh
. "$SCRIPT_DIR/node-runtime.sh"
use_project_node "$ROOT"

# Remember what was already running so that only what this run starts is stopped.
running_before=$(bash scripts/stack.sh status | awk '$4 ~ /^up/ {print $1}')
started=()
cleanup() {
  local code=$?
  for component in "${started[@]}"; do bash scripts/stack.sh stop "$component" >/dev/null 2>&1 || true; done
  exit "$code"
}
trap cleanup EXIT
for component in kafka redis prometheus alertmanager; do
  if ! grep -qx "$component" <<<"$running_before"; then
    PROM_SCRAPE_INTERVAL=${PROM_SCRAPE_INTERVAL:-1s} bash scripts/stack.sh start "$component"
    started+=("$component")
  fi
done

# Every test tier talks to the stack just started (or found running): its addresses from stack.env.
set -a
# shellcheck disable=SC1091
. "$ROOT/.run/stack.env"
set +a

export DVC_TEST_RESULTS_DIR="$ROOT/.run/test-results/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$DVC_TEST_RESULTS_DIR"
status=0
npx turbo run build typecheck --output-logs=errors-only || status=1
if [ "$status" -eq 0 ]; then
  npx turbo run test:unit --continue --output-logs=full || status=1
  # Integration and end-to-end tiers share one broker and one Redis: one package at a time.
  npx turbo run test:int --continue --concurrency=1 --output-logs=full || status=1
  npx turbo run test:e2e --continue --concurrency=1 --output-logs=full || status=1
fi

node scripts/test-summary.mjs "$DVC_TEST_RESULTS_DIR" || status=1
exit "$status"
