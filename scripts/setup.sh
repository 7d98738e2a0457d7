#!/usr/bin/env bash
# Installs what the project needs and is missing: Node dependencies (npm ci when
# node_modules is absent or older than the lockfile), then builds every package.
# System packages (Prometheus, Alertmanager, kcat, redis-server) are installed by
# scripts/stack.sh when it first needs them; the Kafka broker's jars come through Maven.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$ROOT"
if [ "${1:-}" = "--help" ]; then
  echo "usage: bash scripts/setup.sh   installs missing Node dependencies and builds the packages"
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing Node dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
npx turbo run build --output-logs=errors-only
