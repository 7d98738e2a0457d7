#!/usr/bin/env bash
# npm run stop: stops what `npm start` started in the run folder STACK_RUN_DIR (default
# <repo>/.run): its services and mail catcher, then the stack components it started itself, and nothing else
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
start_pid=$(cat "$SERVICES_DIR/start.pid" 2>/dev/null || true)
supervised=0
if pid_running "$start_pid"; then
  log "stopping npm start (pid $start_pid) of $RUN"
  kill -TERM "$start_pid" 2>/dev/null || true
  supervised=1
  for _ in $(seq 1 480); do pid_running "$start_pid" || break; sleep 0.5; done
  pid_running "$start_pid" && warn "npm start (pid $start_pid) still runs after 240 s; stopping its services from here"
fi

# One stopper at a time per run folder (npm start's own shutdown and a user's npm run stop).
exec 8>"$SERVICES_DIR/.stop.lock"
flock -w 300 8 || die "another npm run stop of $RUN still runs"
# The services, the mail catcher (started when SMTP_URL was not set; stopped after the notifier,
# being earlier in infra/supervisord.conf), and the stack components that npm start started (not
# those it found running). stack.sh says which ones it stops, and which ones had stopped by
# themselves (a killed service).
targets=(services mail)
if [ -f "$SERVICES_DIR/stack-started" ]; then mapfile -t -O "${#targets[@]}" targets < <(grep . "$SERVICES_DIR/stack-started" || true); fi
before=$(bash scripts/stack.sh status 8>&- | awk 'NR > 1 && ($2 != "-" || $4 == "exited" || $4 == "starting") { print $1 }')
wanted=$(bash scripts/stack.sh names "${targets[@]}" 8>&-)
bash scripts/stack.sh stop "${targets[@]}" 8>&-
rm -f "$SERVICES_DIR/stack-started" "$SERVICES_DIR/env"
if [ "$supervised" -eq 0 ] && ! grep -qxF -f <(printf '%s\n' "$wanted") <<<"$before"; then
  log "nothing left to stop in $RUN"
fi
