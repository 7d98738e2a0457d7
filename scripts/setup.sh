#!/usr/bin/env bash
# Installs what the project needs and is missing: the pinned Node.js (.nvmrc; fetched from the
# npm registry when the machine's node is another major version, see scripts/node-runtime.sh),
# Node dependencies (npm ci when node_modules is absent, older than the lockfile or built by
# another Node.js), then builds every package.
# The system packages (supervisor, Prometheus, Alertmanager, kcat, redis-server) are installed by
# scripts/stack.sh when it first needs them, Debian's Chromium by scripts/test.sh (only the tests
# use a browser); the Kafka broker's jars come through Maven (scripts/kafka-jars.sh).
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
if [ "${1:-}" = "--help" ]; then
  echo "usage: bash scripts/setup.sh   installs missing Node dependencies and builds the packages"
  exit 0
fi
# shellcheck source=scripts/node-runtime.sh
. "$SCRIPT_DIR/node-runtime.sh"
use_project_node "$ROOT"
# Native modules (better-sqlite3) are built for one Node.js ABI: a node_modules installed by
# another Node.js is installed again.
node_marker=node_modules/.dvc-node-version
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || [ "$(cat "$node_marker" 2>/dev/null)" != "$(node -v)" ]; then
  echo "setup: installing Node dependencies (npm ci) with Node.js $(node -v)"
  npm ci --no-audit --no-fund
  node -v >"$node_marker"
fi
npx turbo run build --output-logs=errors-only
