#!/usr/bin/env bash
# Projector benchmark: npm run bench [-- OPTIONS]
#
# Installs dependencies when node_modules is missing (npm ci), builds every package
# (npx turbo run build), starts Kafka and Redis through scripts/stack.sh, runs
# scripts/bench/projector.mjs with OPTIONS, then stops only what it started: a Kafka
# (or Redis) that was already up, starting, or external is left as it was.
#
# Report: bench/results/projector-<date>.md (git-ignored), also printed on stdout.
# Options (all passed to scripts/bench/projector.mjs):
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"
cd "$ROOT"

for arg in "$@"; do
  case $arg in
    -h|--help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      echo
      exec node "$SCRIPT_DIR/bench/projector.mjs" --help
      ;;
  esac
done

# component NAME : "PID STATE" of NAME from `stack.sh status` (PID is - when stack.sh
# does not manage it), e.g. "- down", "8023 up", "- up (external ..., not managed)".
component() {
  local out
  out=$(bash "$SCRIPT_DIR/stack.sh" status) || die "bench: bash scripts/stack.sh status failed"
  awk -v c="$1" '$1 == c && !done { $1 = ""; $3 = ""; sub(/^ +/, ""); sub(/  +/, " "); print; done = 1 }' <<<"$out"
}

if [ ! -d node_modules ]; then
  log "bench: node_modules missing, running npm ci"
  npm ci
fi
log "bench: building (npx turbo run build)"
npx turbo run build --output-logs=errors-only

# Only a component that was plainly down, and that stack.sh then started (it has a pid
# file now), is ours to stop.
kafka_before=$(component kafka)
redis_before=$(component redis)
started=()

stop_started() {
  local rc=$? c
  trap - EXIT INT TERM
  for c in "${started[@]}"; do
    log "bench: stopping $c (started by this benchmark)"
    bash "$SCRIPT_DIR/stack.sh" stop "$c" || warn "bench: could not stop $c"
  done
  exit "$rc"
}
trap stop_started EXIT
trap 'exit 130' INT TERM

bash "$SCRIPT_DIR/stack.sh" start kafka
if [ "$kafka_before" = "- down" ] && [ "$(component kafka | cut -d' ' -f1)" != - ]; then started+=(kafka); fi
bash "$SCRIPT_DIR/stack.sh" start redis
if [ "$redis_before" = "- down" ] && [ "$(component redis | cut -d' ' -f1)" != - ]; then started+=(redis); fi
[ ${#started[@]} -eq 0 ] || log "bench: started ${started[*]}; will stop it at the end"

node "$SCRIPT_DIR/bench/projector.mjs" "$@"
