#!/usr/bin/env bash
# npm run stop: stops what `npm start` started (the services, then the stack components it
# started itself) and nothing else.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
if [ "${1:-}" = "--help" ]; then
  echo "usage: npm run stop   stops the services and stack components that npm start started"
  exit 0
fi
SERVICES_DIR="$ROOT/.run/services"
for name in ingest replay-api projector archiver exporter notifier; do
  pidfile="$SERVICES_DIR/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    echo "stopped $name"
  fi
  rm -f "$pidfile"
done
if [ -f "$SERVICES_DIR/stack-started" ]; then
  while read -r component; do
    [ -n "$component" ] && bash scripts/stack.sh stop "$component"
  done <"$SERVICES_DIR/stack-started"
  rm -f "$SERVICES_DIR/stack-started"
fi
