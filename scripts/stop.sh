#!/usr/bin/env bash
# npm run stop: stops what `npm start` started in the run folder STACK_RUN_DIR (default
# <repo>/.run): its services, then the stack components it started itself, and nothing else
# (another run folder's stack, a Redis or Kafka that was already there, stay up). Running it
# again, or when nothing runs, is harmless.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
if [ "${1:-}" = "--help" ]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  echo "usage: npm run stop   (STACK_RUN_DIR=<run folder> npm run stop for another stack)"
  exit 0
fi
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"
resolve_run_dir "$ROOT"
cd "$ROOT"
SERVICES_DIR="$RUN/services"
if [ ! -d "$SERVICES_DIR" ]; then
  log "nothing to stop: npm start never ran in $RUN"
  exit 0
fi

# A running `npm start` stops everything itself on SIGTERM (and then exits); wait for it.
supervisor="$SERVICES_DIR/supervisor.pid"
supervised=0
if pidfile_alive "$supervisor" start.sh; then
  pid=$(pid_from_file "$supervisor")
  log "stopping npm start (pid $pid) of $RUN"
  kill -TERM "$pid" 2>/dev/null || true
  supervised=1
  for _ in $(seq 1 480); do pid_running "$pid" || break; sleep 0.5; done
  pid_running "$pid" && warn "npm start (pid $pid) still runs after 240 s; stopping its services from here"
fi

# One stopper at a time per run folder (npm start's own shutdown and a user's npm run stop).
exec 8>"$SERVICES_DIR/.stop.lock"
flock -w 300 8 || die "another npm run stop of $RUN still runs"
stopped=0
for name in ingest board replay-api projector archiver exporter notifier mail; do
  pidfile="$SERVICES_DIR/$name.pid"
  [ -f "$pidfile" ] || continue
  # The mail catcher (MailDev, started when SMTP_URL was not set) is stopped after the notifier.
  pattern="services/$name/dist/main.js"
  [ "$name" = mail ] && pattern="maildev"
  if pidfile_alive "$pidfile" "$pattern"; then
    stop_pidfile "$name" "$pidfile" "$pattern" 20
    stopped=$((stopped + 1))
  fi
  rm -f "$pidfile"
done
if [ -f "$SERVICES_DIR/stack-started" ]; then
  while read -r component; do
    [ -n "$component" ] || continue
    bash scripts/stack.sh stop "$component" 8>&-
    stopped=$((stopped + 1))
  done <"$SERVICES_DIR/stack-started"
  rm -f "$SERVICES_DIR/stack-started"
fi
if [ "$stopped" -eq 0 ] && [ "$supervised" -eq 0 ]; then log "nothing left to stop in $RUN"; fi
