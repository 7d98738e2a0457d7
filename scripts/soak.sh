#!/usr/bin/env bash
# Soak run of the fault suite (tests/src/system, see its README): the same scenarios with the
# streams and the number of faults scaled up (projector SIGKILLs, group members leaving and
# joining, ingest restarts, private broker restarts), each ending with every exported number
# checked against the reference model. Not part of npm test.
#
#   bash scripts/soak.sh [--help] [SCENARIO...]   SCENARIO: projector-sigkill, rebalance,
#                                                 ingest-restart, broker-restart (default all)
#
# Needs the stack running (npm start, or bash scripts/stack.sh start); builds every package
# first (scripts/setup.sh: the pinned Node.js, dependencies, build). Logs of the services: <run folder>/logs/tests/.
# Variables: SOAK_SCALE (8: streams and fault counts multiplied by it), FAULT_SEED (a number:
# replays a run's history and fault points; each scenario prints the seed it used).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"
cd "$ROOT"

SCENARIOS=(projector-sigkill rebalance ingest-restart broker-restart)
paths=()
for arg in "$@"; do
  case $arg in
    -h|--help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *)
      [[ " ${SCENARIOS[*]} " == *" $arg "* ]] || die "unknown scenario '$arg' (expected one of: ${SCENARIOS[*]})"
      paths+=("src/system/$arg.e2e.spec.ts")
      ;;
  esac
done
if [ "${#paths[@]}" -eq 0 ]; then
  for scenario in "${SCENARIOS[@]}"; do paths+=("src/system/$scenario.e2e.spec.ts"); done
fi

SOAK_SCALE=${SOAK_SCALE:-8}
[[ "$SOAK_SCALE" =~ ^[1-9][0-9]*$ ]] || die "SOAK_SCALE must be a whole number >= 1, got '$SOAK_SCALE'"
[ -z "${FAULT_SEED:-}" ] || [[ "$FAULT_SEED" =~ ^[0-9]+$ ]] || die "FAULT_SEED must be a whole number, got '$FAULT_SEED'"

bash "$SCRIPT_DIR/stack.sh" status | awk '$1 == "kafka" && $4 == "up" { ok = 1 } END { exit !ok }' \
  || die "Kafka is not running: start the stack first (npm start, or bash scripts/stack.sh start)"
resolve_run_dir "$ROOT"
load_env_defaults "$RUN/stack.env"

log "soak: setting up (pinned Node.js, dependencies, build)"
bash "$SCRIPT_DIR/setup.sh"
# shellcheck source=scripts/node-runtime.sh
. "$SCRIPT_DIR/node-runtime.sh"
use_project_node "$ROOT"
log "soak: fault suite at scale $SOAK_SCALE${FAULT_SEED:+, seed $FAULT_SEED}: ${paths[*]}"
cd "$ROOT/tests"
SOAK=1 SOAK_SCALE=$SOAK_SCALE NODE_OPTIONS=--experimental-vm-modules \
  npx jest --runInBand --testTimeout=$((300000 * SOAK_SCALE)) "${paths[@]}"
