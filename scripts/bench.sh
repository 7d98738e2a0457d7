#!/usr/bin/env bash
# Benchmarks: npm run bench [-- OPTIONS]
#
# Sets up like npm test (scripts/setup.sh: the pinned Node.js of .nvmrc, dependencies, a build of
# every package), starts Kafka and Redis through scripts/stack.sh, runs the
# benchmark runners (scripts/bench/<name>.mjs) one after the other, then stops only what it
# started: a Kafka (or Redis) that was already up, starting, or external is left as it was.
# Each runner starts the services it measures as processes with topics, groups, a Redis
# namespace and store files of its own, and removes them afterwards.
#
# Runners, in the order they run:
#   projector   projector throughput on a pre-filled topic vs a bare consumer and Redis
#   ingest      accepted events/s and latency of POST /v1/events, batches of 100/500/1000
#   freshness   end-to-end freshness at 5,000 events/s, memory of every service under load
#   scrape      cost of one /metrics scrape with 1,000 units
#   rebuild     dvc rebuild from a pre-filled event store, and the raw store read rate
#   replay      replay API streaming the whole store as NDJSON (paged vs one request)
#   eventstore  SQLite and PostgreSQL event stores side by side: append, duplicates, read, parallel writers
#   sizing      a slice of a nation-sized directory: Redis memory, Kafka bytes, series, scrape and CPU per unit / event
#
# Options:
#   --only LIST       run only these runners, e.g. --only freshness,ingest
#   --quick           small sizes and one run each: proves the runners work, not for quoting
#   --runs N          runs per measurement for every runner (each figure is the median)
#   --output FILE     the combined report (default bench/results/<date>.md, git-ignored)
#   NAME:OPTION       an option for one runner only, e.g. projector:--instances=1,2
#                     freshness:--rate=2000 (see node scripts/bench/NAME.mjs --help)
#   -h, --help        this text
#
# The report is printed on stdout at the end; progress goes to stderr. A runner that fails is
# marked in the report; the others still run; the exit code is then 1.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"
cd "$ROOT"

RUNNERS=(projector ingest freshness scrape rebuild replay eventstore sizing)

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

is_runner() {
  local r
  for r in "${RUNNERS[@]}"; do [ "$r" = "$1" ] && return 0; done
  return 1
}

only=""
quick=0
runs=""
output=""
declare -A extra=()
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --only) [ $# -ge 2 ] || die "bench: --only needs a list, e.g. --only freshness,ingest"; only=$2; shift 2 ;;
    --only=*) only=${1#--only=}; shift ;;
    --quick) quick=1; shift ;;
    --runs) [ $# -ge 2 ] || die "bench: --runs needs a number"; runs=$2; shift 2 ;;
    --runs=*) runs=${1#--runs=}; shift ;;
    --output) [ $# -ge 2 ] || die "bench: --output needs a file"; output=$2; shift 2 ;;
    --output=*) output=${1#--output=}; shift ;;
    *:--*)
      name=${1%%:*}
      is_runner "$name" || die "bench: '$1' names no runner (runners: ${RUNNERS[*]})"
      extra[$name]="${extra[$name]:-} ${1#*:}"
      shift
      ;;
    *) usage >&2; die "bench: unknown option '$1'" ;;
  esac
done
if [ -n "$runs" ] && ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then die "bench: --runs must be a positive integer, got '$runs'"; fi

selected=()
if [ -z "$only" ]; then
  selected=("${RUNNERS[@]}")
else
  IFS=',' read -r -a wanted <<<"$only"
  for name in "${wanted[@]}"; do
    is_runner "$name" || die "bench: --only: unknown runner '$name' (runners: ${RUNNERS[*]})"
  done
  # Keep the suite's order whatever the order given.
  for name in "${RUNNERS[@]}"; do
    for w in "${wanted[@]}"; do [ "$w" = "$name" ] && selected+=("$name"); done
  done
fi

if [ -z "$output" ]; then
  mkdir -p bench/results
  output="bench/results/$(date -u +%Y-%m-%d).md"
  i=2
  while [ -e "$output" ]; do output="bench/results/$(date -u +%Y-%m-%d)-$i.md"; i=$((i + 1)); done
fi
[ ! -s "$output" ] || die "bench: $output exists already; choose another --output"

# component NAME : "PID STATE" of NAME from `stack.sh status` (PID is - when stack.sh
# does not manage it), e.g. "- down", "8023 up", "- up (external ..., not managed)".
component() {
  local out
  out=$(bash "$SCRIPT_DIR/stack.sh" status) || die "bench: bash scripts/stack.sh status failed"
  awk -v c="$1" '$1 == c && !done { $1 = ""; $3 = ""; sub(/^ +/, ""); sub(/  +/, " "); print; done = 1 }' <<<"$out"
}

log "bench: setting up (scripts/setup.sh: pinned Node.js, dependencies, build)"
bash "$SCRIPT_DIR/setup.sh"
# shellcheck source=scripts/node-runtime.sh
. "$SCRIPT_DIR/node-runtime.sh"
use_project_node "$ROOT"
log "bench: running on Node.js $(node -v)"

# Only a component that was plainly down, and that stack.sh then started (supervisord shows
# its pid now), is ours to stop.
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

failed=()
for name in "${selected[@]}"; do
  args=(--section "$output")
  [ -z "$runs" ] || args+=(--runs "$runs")
  if [ "$quick" -eq 1 ]; then
    if [ "$name" = projector ]; then
      # The projector runner predates --quick: its smallest meaningful settings.
      args+=(--events 20000 --units 200 --redis-ops 20000)
      [ -n "$runs" ] || args+=(--runs 1)
    else
      args+=(--quick)
    fi
  fi
  # shellcheck disable=SC2206 # NAME:OPTION words are split on purpose
  [ -z "${extra[$name]:-}" ] || args+=(${extra[$name]})
  log "bench: $name: node scripts/bench/$name.mjs ${args[*]}"
  if ! node "$SCRIPT_DIR/bench/$name.mjs" "${args[@]}" >/dev/null; then
    warn "bench: $name failed (its error is above)"
    failed+=("$name")
    [ -s "$output" ] || printf '# Benchmarks — %s UTC\n' "$(date -u '+%Y-%m-%d %H:%M')" >"$output"
    printf '\n## %s: FAILED\n\nThe runner exited with an error; see the output of `npm run bench -- --only %s`.\n' "$name" "$name" >>"$output"
  fi
done

cat "$output"
log "bench: report: $output"
if [ ${#failed[@]} -gt 0 ]; then
  warn "bench: failed: ${failed[*]}"
  exit 1
fi
