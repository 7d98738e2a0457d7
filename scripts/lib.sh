#!/usr/bin/env bash
# Shared helpers for scripts/*.sh. Source it; do not execute it.
# Bash only. Callers are expected to run with `set -euo pipefail`.

# --- messages ---------------------------------------------------------------
log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[%s] WARN: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# --- packages ---------------------------------------------------------------
_APT_UPDATED=0

# ensure_cmd CMD PKG : apt-get install PKG when CMD is not on PATH.
ensure_cmd() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "'$cmd' is missing and apt-get is not available (install package '$pkg')"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "'$cmd' is missing; need root or sudo to apt-get install $pkg"
    sudo="sudo"
  fi
  log "installing $pkg (missing command: $cmd)"
  # Keep Debian's maintainer scripts from auto-starting system services
  # (prometheus.service on :9090, redis-server on :6379 ...) that would collide
  # with the ones this stack starts. Only done when no policy-rc.d exists.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && created_policy=1
  fi
  local rc=0
  {
    if [ "$_APT_UPDATED" -eq 0 ]; then
      $sudo apt-get update -q >/dev/null && _APT_UPDATED=1
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >/dev/null
  } || rc=$?
  if [ "$created_policy" -eq 1 ]; then $sudo rm -f "$policy"; fi
  [ "$rc" -eq 0 ] || die "apt-get install $pkg failed (rc=$rc)"
  command -v "$cmd" >/dev/null 2>&1 || die "installed $pkg but '$cmd' is still not on PATH"
}

# --- kafka ------------------------------------------------------------------

# detect_external_kafka IF_UP IF_DOWN : sets external_kafka=1 when KAFKA_BROKERS names a cluster
# that answers (then no local broker is needed), else 0; logs IF_UP or warns IF_DOWN, what the
# caller does in each case.
detect_external_kafka() {
  local brokers=${KAFKA_BROKERS:-}
  external_kafka=0
  [ -n "$brokers" ] || return 0
  ensure_cmd kcat kcat
  if kcat -b "$brokers" -L -m 3 >/dev/null 2>&1; then
    external_kafka=1
    log "kafka: KAFKA_BROKERS=$brokers answers; $1"
  else
    warn "kafka: KAFKA_BROKERS=$brokers does not answer; $2"
  fi
}

# --- processes --------------------------------------------------------------

# pid_running PID : alive and not a zombie.
pid_running() {
  local pid=$1 state
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || true)
  [ "$state" != Z ]
}

# acquire_lock FILE [WAIT_SECONDS] : serialize concurrent invocations.
# The lock lives on fd 9; supervisord is started with fd 9 closed so that it never holds it.
acquire_lock() {
  local file=$1 wait=${2:-300}
  exec 9>"$file"
  flock -w "$wait" 9 || die "another invocation still holds the lock $file (waited ${wait}s)"
}

# --- ports / health ----------------------------------------------------------

# port_open HOST PORT : true when a TCP connect succeeds.
port_open() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# port_owner PORT : best-effort description of who listens on PORT.
port_owner() {
  local port=$1 out=""
  if command -v ss >/dev/null 2>&1; then
    out=$(ss -ltnpH "( sport = :$port )" 2>/dev/null | grep -o 'users:(([^)]*))' | head -1 || true)
  fi
  printf '%s' "${out:-unknown process}"
}

# require_port_free NAME HOST PORT : die with a clear message when taken.
require_port_free() {
  local name=$1 host=$2 port=$3
  if port_open "$host" "$port"; then
    die "$name: port $port on $host is already in use by a process this script did not start ($(port_owner "$port")). Stop it or choose another port via the environment (see scripts/stack.sh help)."
  fi
}

# show_log_tail LOGFILE [N]
show_log_tail() {
  local f=$1 n=${2:-40}
  if [ -f "$f" ]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
    tail -n "$n" "$f" >&2
    printf -- '----- end of %s -----\n' "$f" >&2
  fi
}

# render_template SRC DST VAR... : copy SRC to DST replacing each ${VAR}
# with the value of the shell variable VAR. Fails on unknown leftovers.
render_template() {
  local src=$1 dst=$2
  shift 2
  local content var
  content=$(<"$src")
  for var in "$@"; do
    content=${content//"\${$var}"/"${!var}"}
  done
  if grep -qE '\$\{[A-Z_]+\}' <<<"$content"; then
    die "render_template: unresolved placeholder(s) in $src: $(grep -oE '\$\{[A-Z_]+\}' <<<"$content" | sort -u | tr '\n' ' ')"
  fi
  printf '%s\n' "$content" >"$dst.tmp"
  mv -f "$dst.tmp" "$dst"
}

# --- one stack's configuration ------------------------------------------------

# resolve_run_dir ROOT : sets RUN to the stack's run folder, STACK_RUN_DIR (made absolute
# against the working directory) or ROOT/.run, and exports STACK_RUN_DIR=RUN so that every
# process started from here (services, CLI, other scripts) uses the same folder.
resolve_run_dir() {
  RUN=$(realpath -m -- "${STACK_RUN_DIR:-$1/.run}")
  export STACK_RUN_DIR=$RUN
}

# default_service_ports : exports the service ports (and the mail catcher's), each from the environment or the
# service's own default, so that the services, the scrape targets, the Alertmanager webhook
# and the readiness checks all use the same numbers.
default_service_ports() {
  export INGEST_PORT=${INGEST_PORT:-8080} EXPORTER_PORT=${EXPORTER_PORT:-9464} \
    PROJECTOR_PORT=${PROJECTOR_PORT:-9465} ARCHIVER_PORT=${ARCHIVER_PORT:-9466} \
    NOTIFIER_PORT=${NOTIFIER_PORT:-8090} REPLAY_PORT=${REPLAY_PORT:-8091} \
    BOARD_PORT=${BOARD_PORT:-8088} MAIL_SMTP_PORT=${MAIL_SMTP_PORT:-1025} MAIL_WEB_PORT=${MAIL_WEB_PORT:-1080}
}

# load_env_defaults FILE : exports each NAME=VALUE line of FILE (a stack.env) whose NAME is
# unset or empty in the environment: a variable the user set always wins over what a script
# wrote. Values are taken literally (no shell expansion).
load_env_defaults() {
  local file=$1 line name
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
    name=${BASH_REMATCH[1]}
    [ -n "${!name:-}" ] && continue
    export "$name=${BASH_REMATCH[2]}"
  done <"$file"
}
