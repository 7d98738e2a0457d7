#!/usr/bin/env bash
# The project's Node.js runtime. Source it; do not execute it.
#
#   . scripts/node-runtime.sh && use_project_node "$ROOT"
#
# .nvmrc pins the version (one place). When the machine's `node` has the pinned major version it
# is used as it is; otherwise the pinned release is fetched once from the npm registry (the
# official Linux binaries published as node-linux-<arch>) into <repo>/.run/runtime/, and put first
# on PATH, so npm, npx, turbo, jest, native builds (npm_config_nodedir: its headers) and every
# service and test process run on it. Idempotent: sourcing it twice costs one `node -v`.

# use_project_node ROOT : PATH and npm settings for the pinned Node.js; prints nothing when the
# machine's node already fits, one line when the pinned one is fetched.
use_project_node() {
  local root
  root=$(cd "$1" && pwd) || return 1
  local pinned
  pinned=$(tr -d ' \r\n' <"$root/.nvmrc")
  pinned=${pinned#v}
  [[ "$pinned" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { printf 'node-runtime: .nvmrc must hold a version like 24.22.3, got "%s"\n' "$pinned" >&2; return 1; }
  local major=${pinned%%.*}
  local have
  have=$(node -v 2>/dev/null || true)
  have=${have#v}
  if [ "${have%%.*}" = "$major" ]; then
    DVC_NODE_SOURCE=machine
    export DVC_NODE_SOURCE
    return 0
  fi
  local arch
  case $(uname -m) in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) printf 'node-runtime: no Node.js %s binary for %s; install Node.js %s yourself\n' "$pinned" "$(uname -m)" "$major" >&2; return 1 ;;
  esac
  local dir="$root/.run/runtime/node-v$pinned-linux-$arch"
  if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" -v 2>/dev/null)" != "v$pinned" ]; then
    command -v npm >/dev/null 2>&1 || { printf 'node-runtime: npm is needed once to fetch Node.js %s\n' "$pinned" >&2; return 1; }
    printf 'node-runtime: machine node is %s; fetching Node.js %s (node-linux-%s) from the npm registry\n' "${have:-absent}" "$pinned" "$arch" >&2
    local tmp
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && npm pack --silent "node-linux-$arch@$pinned" >/dev/null && tar xzf "node-linux-$arch-$pinned.tgz"); then
      rm -rf "$tmp"
      printf 'node-runtime: could not fetch node-linux-%s@%s\n' "$arch" "$pinned" >&2
      return 1
    fi
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
    [ "$("$dir/bin/node" -v 2>/dev/null)" = "v$pinned" ] || { printf 'node-runtime: %s/bin/node does not run\n' "$dir" >&2; return 1; }
  fi
  PATH="$dir/bin:$PATH"
  # npm run-script hands its own node to children through these; keep them on the pinned one.
  NODE="$dir/bin/node"
  npm_node_execpath="$dir/bin/node"
  # node-gyp builds native modules (better-sqlite3) against these headers, not the machine's.
  npm_config_nodedir="$dir"
  DVC_NODE_SOURCE=fetched
  export PATH NODE npm_node_execpath npm_config_nodedir DVC_NODE_SOURCE
}
