#!/usr/bin/env bash
# The local stack of one run folder, described in infra/supervisord.conf (one section per
# process: Kafka, Redis, Alertmanager, Prometheus and the services) and run by supervisord.
# This script does what supervisord cannot: it renders the configuration files the processes
# read from the configured ports, fetches the Kafka jars and installs missing Debian packages,
# checks that the ports are free, waits until each process is ready, and writes stack.env.
#
#   bash scripts/stack.sh start  [NAME...|stack|services|redis-cluster|all]   (default stack)
#   bash scripts/stack.sh stop   [NAME...|stack|services|redis-cluster|all]   (default all)
#   bash scripts/stack.sh status
#   bash scripts/stack.sh names  [stack|services|redis-cluster|all]   the process names, one a line
#   bash scripts/stack.sh kafka-topics ARGS...   Kafka's TopicCommand against the local
#       broker, e.g.: kafka-topics --create --if-not-exists --topic T --partitions 6
#       (auto.create.topics.enable=false, so topics must be created explicitly)
#
# NAME is a [program:NAME] of infra/supervisord.conf; `stack` is every kind=stack process,
# `services` every kind=service one (those are started by `npm start`, which writes their
# environment, as is `mail`, the mail catcher, when SMTP_URL is not set); `redis-cluster` the six
# nodes of the local Redis Cluster (three masters, one replica each), formed once all answer and
# named by REDIS_CLUSTER_URL in stack.env (`npm test` starts it; `npm start` does not). Everything lives under the run folder STACK_RUN_DIR (default <repo>/.run; logs
# in <run folder>/logs/). A Redis that answers at REDIS_URL is used as is and never stopped.
# When a stop leaves nothing running, the run folder's supervisord exits too.
#
# Prometheus scrapes exactly this stack's services (each program with scrape=JOB) at the
# ports configured now (<run folder>/prometheus/targets/default.json), and Alertmanager posts
# to this stack's notifier (NOTIFIER_PORT). A second stack on the same machine gets its own run
# folder and ports; it shares the Kafka jars already fetched into <repo>/.run/kafka/libs-<version>
# (KAFKA_LIBS_DIR).
#
# Environment (defaults):
#   STACK_RUN_DIR=<repo>/.run  KAFKA_LIBS_DIR=<repo>/.run/kafka/libs-<KAFKA_VERSION>
#   KAFKA_PORT=19092  KAFKA_CONTROLLER_PORT=19093  KAFKA_VERSION=4.4.0 (3.9.x also runs)
#   KAFKA_HEAP_OPTS="-Xms512m -Xmx1g"
#   PROMETHEUS_PORT=9090  PROM_SCRAPE_INTERVAL=15s  ALERTMANAGER_PORT=9093
#   INGEST_PORT=8080  EXPORTER_PORT=9464  PROJECTOR_PORT=9465  ARCHIVER_PORT=9466
#   NOTIFIER_PORT=8090  REPLAY_PORT=8091  BOARD_PORT=8088  MAIL_SMTP_PORT=1025  MAIL_WEB_PORT=1080
#   AM_GROUP_WAIT=1s  AM_GROUP_INTERVAL=5s  AM_REPEAT_INTERVAL=1h
#   NOTIFIER_TOKEN_FILE=<run folder>/notifier/alertmanager-token   (the bearer token Alertmanager
#       sends to the notifier; created once, 32 random bytes, mode 0600; both read the file)
#   STACK_DATA_SUBDIR=   (Prometheus' and Alertmanager's data in <run folder>/prometheus/data and
#       alertmanager/data; a folder name puts them in <run folder>/NAME/ instead: npm test's stack
#       uses test-stack. Read when the run folder's supervisord starts)
#   PROMETHEUS_LIFECYCLE=   (1: Prometheus' lifecycle API, POST /-/reload and /-/quit, is on;
#       off by default. The stack reloads Prometheus with SIGHUP through supervisorctl)
#   REDIS_URL=redis://127.0.0.1:6379
#   REDIS_CLUSTER_PORT=7001 (nodes on 7001-7006, cluster bus on 17001-17006)
#   REDIS_CLUSTER_NODE_TIMEOUT=1000 (ms without an answer before a master counts as failed and
#   its replica takes over)
#   STACK_WAIT_TIMEOUT=90   (seconds to wait for each process to be ready)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

resolve_run_dir "$ROOT"
LOGS="$RUN/logs"
INFRA="$ROOT/infra"
CONF="$INFRA/supervisord.conf"
HOST=127.0.0.1

export KAFKA_PORT=${KAFKA_PORT:-19092} KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
export KAFKA_VERSION=${KAFKA_VERSION:-4.4.0} KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}
export KAFKA_LIBS_DIR=${KAFKA_LIBS_DIR:-$ROOT/.run/kafka/libs-$KAFKA_VERSION}
export PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090} ALERTMANAGER_PORT=${ALERTMANAGER_PORT:-9093}
PROM_SCRAPE_INTERVAL=${PROM_SCRAPE_INTERVAL:-15s}
default_service_ports
AM_GROUP_WAIT=${AM_GROUP_WAIT:-1s}
AM_GROUP_INTERVAL=${AM_GROUP_INTERVAL:-5s}
AM_REPEAT_INTERVAL=${AM_REPEAT_INTERVAL:-1h}
export NOTIFIER_TOKEN_FILE=${NOTIFIER_TOKEN_FILE:-$RUN/notifier/alertmanager-token}
case ${PROMETHEUS_LIFECYCLE:-} in
  1) export PROMETHEUS_LIFECYCLE_FLAG=--web.enable-lifecycle ;;
  ''|0) export PROMETHEUS_LIFECYCLE_FLAG= ;;
  *) die "PROMETHEUS_LIFECYCLE must be 1 (the lifecycle API on) or 0 / unset (off), got '$PROMETHEUS_LIFECYCLE'" ;;
esac
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
REDIS_CLUSTER_PORT=${REDIS_CLUSTER_PORT:-7001}
REDIS_CLUSTER_NODE_TIMEOUT=${REDIS_CLUSTER_NODE_TIMEOUT:-1000}
REDIS_CLUSTER_NODES=6
STACK_WAIT_TIMEOUT=${STACK_WAIT_TIMEOUT:-90}
PROM_TARGETS="$RUN/prometheus/targets"
# Prometheus' history and Alertmanager's notification log and silences: <run folder>/prometheus/data
# and <run folder>/alertmanager/data, or <run folder>/<STACK_DATA_SUBDIR>/{prometheus,alertmanager}.
# npm test sets STACK_DATA_SUBDIR=test-stack for its whole run when it starts the stack from
# nothing (scripts/test.sh), so that a test run's series and notifications never become npm
# start's; a folder name, so that every stack a test starts in a run folder of its own keeps its own.
case ${STACK_DATA_SUBDIR:-} in
  '') export PROMETHEUS_DATA_DIR="$RUN/prometheus/data" ALERTMANAGER_DATA_DIR="$RUN/alertmanager/data" ;;
  */*|.|..) die "STACK_DATA_SUBDIR must be a folder name inside the run folder (no '/'), got '$STACK_DATA_SUBDIR'" ;;
  *) export PROMETHEUS_DATA_DIR="$RUN/$STACK_DATA_SUBDIR/prometheus" ALERTMANAGER_DATA_DIR="$RUN/$STACK_DATA_SUBDIR/alertmanager" ;;
esac

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

# ============================================================================
# The process file
# ============================================================================

# programs [KIND] : the [program:NAME] sections of the process file, in file order (of one kind).
programs() {
  awk -v kind="${1:-}" '
    /^\[program:/ { name = substr($0, 10, length($0) - 10); if (kind == "") print name; next }
    /^\[/ { name = ""; next }
    name != "" && kind != "" && $0 == "kind=" kind { print name }' "$CONF"
}

# program_key NAME KEY : the value of KEY in [program:NAME] (empty when absent).
program_key() {
  awk -v section="[program:$1]" -v key="$2" '
    /^\[/ { inside = ($0 == section); next }
    inside && index($0, key "=") == 1 { print substr($0, length(key) + 2); exit }' "$CONF"
}

# program_ports NAME : the configured port numbers of NAME, comma separated.
program_ports() {
  local var out=""
  for var in $(program_key "$1" port); do out+="${out:+,}${!var}"; done
  printf '%s' "$out"
}

# expand_names ARG... : program names for the arguments (all, stack, services or names).
expand_names() {
  local arg known
  known=" $(programs | tr '\n' ' ')"
  for arg in "$@"; do
    case $arg in
      all) programs ;;
      stack) programs stack ;;
      services) programs service ;;
      redis-cluster) programs redis-cluster ;;
      *) [[ "$known" == *" $arg "* ]] || die "unknown process '$arg' (expected one of:${known% }, stack, services, redis-cluster or all)"
         echo "$arg" ;;
    esac
  done
}

# ============================================================================
# Configuration checks
# ============================================================================
validate_port() {
  local name=$1 value=$2
  [[ "$value" =~ ^[0-9]+$ ]] && [ "$value" -ge 1 ] && [ "$value" -le 65535 ] \
    || die "$name must be a TCP port number, got '$value'"
}

# The ports of the local cluster's nodes: node N on REDIS_CLUSTER_PORT + N - 1, its bus 10000 higher.
cluster_ports() {
  validate_port REDIS_CLUSTER_PORT "$REDIS_CLUSTER_PORT"
  [ "$REDIS_CLUSTER_PORT" -le $((65535 - 10000 - REDIS_CLUSTER_NODES + 1)) ] \
    || die "REDIS_CLUSTER_PORT must leave room for $REDIS_CLUSTER_NODES nodes and their cluster bus ports (10000 higher), got $REDIS_CLUSTER_PORT"
  [[ "$REDIS_CLUSTER_NODE_TIMEOUT" =~ ^[0-9]+$ ]] && [ "$REDIS_CLUSTER_NODE_TIMEOUT" -ge 100 ] \
    || die "REDIS_CLUSTER_NODE_TIMEOUT must be a number of milliseconds, 100 or more, got '$REDIS_CLUSTER_NODE_TIMEOUT'"
  local n
  for n in $(seq 1 "$REDIS_CLUSTER_NODES"); do
    export "REDIS_CLUSTER_PORT_$n=$((REDIS_CLUSTER_PORT + n - 1))" "REDIS_CLUSTER_BUS_PORT_$n=$((REDIS_CLUSTER_PORT + n - 1 + 10000))"
  done
}

# The seed list of the local cluster (its masters as created: the first three nodes).
redis_cluster_url() {
  printf 'redis-cluster://%s:%s,%s:%s,%s:%s' "$HOST" "$REDIS_CLUSTER_PORT_1" "$HOST" "$REDIS_CLUSTER_PORT_2" "$HOST" "$REDIS_CLUSTER_PORT_3"
}

check_ports_distinct() {
  local name var all="" numbers=""
  for name in $(programs); do
    for var in $(program_key "$name" port); do
      validate_port "$var" "${!var}"
      all+=" $var=${!var}"
      numbers+="${!var}"$'\n'
    done
  done
  local dup
  dup=$(sort <<<"$numbers" | uniq -d | grep . || true)
  [ -z "$dup" ] || die "port(s) configured twice: $dup ($all)"
}

# Parse REDIS_URL into REDIS_HOST / REDIS_PORT / REDIS_USER / REDIS_PASSWORD.
parse_redis_url() {
  local rest=${REDIS_URL#*://} auth=""
  if [[ "$rest" == *@* ]]; then
    auth=${rest%%@*}
    rest=${rest#*@}
  fi
  rest=${rest%%/*}
  rest=${rest%%\?*}
  REDIS_USER="" REDIS_PASSWORD=""
  if [[ "$auth" == *:* ]]; then
    REDIS_USER=${auth%%:*}
    REDIS_PASSWORD=${auth#*:}
  elif [ -n "$auth" ]; then
    REDIS_PASSWORD=$auth
  fi
  if [[ "$rest" == \[*\]* ]]; then           # [::1]:6379
    REDIS_HOST=${rest%%]*}; REDIS_HOST=${REDIS_HOST#[}
    rest=${rest#*]}
    REDIS_PORT=${rest#:}
  else
    REDIS_HOST=${rest%%:*}
    REDIS_PORT=${rest#"$REDIS_HOST"}
    REDIS_PORT=${REDIS_PORT#:}
  fi
  REDIS_URL_SAFE=$REDIS_URL
  [ -n "$REDIS_PASSWORD" ] && REDIS_URL_SAFE=${REDIS_URL/"$REDIS_PASSWORD@"/***@}
  REDIS_HOST=${REDIS_HOST:-127.0.0.1}
  export REDIS_PORT=${REDIS_PORT:-6379}
  validate_port "port in REDIS_URL" "$REDIS_PORT"
}

# redis_ping : the Redis at REDIS_URL answers PING (the `ready` check of [program:redis]).
redis_ping() {
  local out
  command -v redis-cli >/dev/null 2>&1 || return 1
  if [[ "$REDIS_URL" == redis://* ]]; then
    # host/port/auth passed separately: redis-cli 7.0 mis-parses "redis://:pass@host".
    local args=(-h "$REDIS_HOST" -p "$REDIS_PORT")
    [ -n "$REDIS_USER" ] && args+=(--user "$REDIS_USER")
    out=$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 5 redis-cli "${args[@]}" ping 2>/dev/null || true)
  else
    out=$(timeout 5 redis-cli -u "$REDIS_URL" --no-auth-warning ping 2>/dev/null || true)
  fi
  [ "$out" = "PONG" ]
}

# redis_cluster_node_ping N : node N of the local cluster answers PING (its `ready` check).
redis_cluster_node_ping() {
  local port_var="REDIS_CLUSTER_PORT_$1"
  [ "$(timeout 5 redis-cli -h "$HOST" -p "${!port_var}" ping 2>/dev/null || true)" = PONG ]
}

# redis_cluster_ok : every node of the local cluster reports cluster_state:ok and the cluster has
# three masters, each with a replica.
redis_cluster_ok() {
  local n port_var nodes
  for n in $(seq 1 "$REDIS_CLUSTER_NODES"); do
    port_var="REDIS_CLUSTER_PORT_$n"
    timeout 5 redis-cli -h "$HOST" -p "${!port_var}" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
  nodes=$(timeout 5 redis-cli -h "$HOST" -p "$REDIS_CLUSTER_PORT_1" cluster nodes 2>/dev/null) || return 1
  [ "$(grep -c 'master' <<<"$nodes" || true)" -eq 3 ] && [ "$(grep -c 'slave' <<<"$nodes" || true)" -eq 3 ]
}

# ready NAME : the `ready` command of NAME passes.
ready() {
  local check
  check=$(program_key "$1" ready)
  [ -n "$check" ] || return 0
  eval "$check" >/dev/null 2>&1
}

# ============================================================================
# supervisord of this run folder
# ============================================================================
ctl() { supervisorctl -c "$CONF" "$@"; }
# ctl_status [NAME] : supervisorctl's status lines (it exits non-zero when a process is not running).
ctl_status() { ctl status "$@" 2>/dev/null || true; }
# any_running : supervisord runs a process.
any_running() { ctl_status | awk '$2 == "RUNNING" || $2 == "STARTING" || $2 == "BACKOFF" { found = 1 } END { exit !found }'; }

# The variables the process file reads from supervisord's environment (%(ENV_X)s) and their
# values now; supervisord keeps the values it was started with.
daemon_settings() {
  local var
  for var in $(grep -o '%(ENV_[A-Z0-9_]*)s' "$CONF" | sed 's/^%(ENV_//; s/)s$//' | sort -u); do
    printf '%s=%s\n' "$var" "${!var:-}"
  done
}

daemon_pid() {
  [ -S "$RUN/supervisor/supervisor.sock" ] || return 1
  local pid
  pid=$(ctl pid 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s' "$pid"
}

# state NAME : supervisord's state of NAME (STOPPED, STARTING, RUNNING, EXITED, FATAL ...),
# DOWN when no supervisord runs for the run folder.
state() {
  if [ -z "${DAEMON:-}" ]; then echo DOWN; return; fi
  ctl_status "$1" | awk '{ print $2; exit }'
}

# load_states : STATES[NAME] and PIDS[NAME] of every process, from one status call.
declare -A STATES=() PIDS=()
load_states() {
  local name current rest
  STATES=() PIDS=()
  [ -n "${DAEMON:-}" ] || return 0
  while read -r name current rest; do
    STATES[$name]=$current
    if [[ "$rest" =~ ^pid\ ([0-9]+) ]]; then PIDS[$name]=${BASH_REMATCH[1]}; fi
  done < <(ctl_status)
}

# Starts supervisord for the run folder unless it runs with these settings. One that runs with
# other settings (ports) is restarted when it runs nothing, refused otherwise.
ensure_daemon() {
  local settings="$RUN/supervisor/settings"
  ensure_cmd supervisord supervisor
  mkdir -p "$RUN/supervisor" "$LOGS"
  DAEMON=$(daemon_pid || true)
  if [ -n "$DAEMON" ]; then
    local changes
    changes=$(daemon_settings | diff "$settings" - 2>/dev/null | sed -n 's/^> //p' | tr '\n' ' ' || true)
    [ -z "$changes" ] && return 0
    if any_running; then
      die "the processes of $RUN run with other settings than those configured now ($changes). Stop them first (STACK_RUN_DIR=$RUN npm run stop, or bash scripts/stack.sh stop), or use the old settings."
    fi
    shutdown_daemon
  fi
  daemon_settings >"$settings"
  supervisord -c "$CONF" 9>&- || die "supervisord did not start; see $LOGS/supervisord.log"
  local i
  for i in $(seq 1 50); do
    DAEMON=$(daemon_pid || true)
    [ -n "$DAEMON" ] && return 0
    sleep 0.2
  done
  die "supervisord does not answer on $RUN/supervisor/supervisor.sock; see $LOGS/supervisord.log"
}

shutdown_daemon() {
  ctl shutdown >/dev/null 2>&1 || true
  local i
  for i in $(seq 1 100); do
    kill -0 "$DAEMON" 2>/dev/null || break
    sleep 0.2
  done
  DAEMON=""
}

# ============================================================================
# Preparing each process: packages, configuration files, one-time steps
# ============================================================================
prepare_kafka() {
  ensure_cmd java openjdk-17-jre-headless
  ensure_cmd kcat kcat
  mkdir -p "$RUN/kafka"
  bash "$SCRIPT_DIR/kafka-jars.sh"
  local KAFKA_DATA_DIR="$RUN/kafka/data"
  render_template "$INFRA/kafka/server.properties.template" "$RUN/kafka/server.properties" \
    KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_DATA_DIR
  kafka_format_storage "$KAFKA_DATA_DIR"
}

kafka_java() {
  java -Dlog4j.configuration="file:$INFRA/kafka/tools-log4j.properties" -Dlog4j2.configurationFile="file:$INFRA/kafka/tools-log4j2.properties" \
    -cp "$KAFKA_LIBS_DIR/*" "$@"
}

kafka_format_storage() {
  local data=$1 log="$LOGS/kafka.log"
  [ -f "$data/meta.properties" ] && return 0
  if [ -d "$data" ] && [ -n "$(ls -A "$data")" ]; then
    # Leftovers without meta.properties cannot be used by a broker: start clean.
    warn "kafka: $data has data but no meta.properties; wiping it before formatting"
    rm -rf "$data"
  fi
  mkdir -p "$data"
  local cluster_id
  cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$log" | tail -n 1)
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: could not generate a cluster id (got '$cluster_id'); see $log"
  log "kafka: formatting storage $data (cluster id $cluster_id)"
  if ! kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$RUN/kafka/server.properties" >>"$log" 2>&1; then
    show_log_tail "$log" 40
    die "kafka: storage format failed"
  fi
}

prepare_redis() {
  ensure_cmd redis-cli redis-tools
  case $REDIS_HOST in
    127.0.0.1|localhost|::1) ;;
    *) die "redis: $REDIS_URL_SAFE does not answer PING and is not local, so it cannot be started here" ;;
  esac
  ensure_cmd redis-server redis-server
  mkdir -p "$RUN/redis"
  local bind=$REDIS_HOST
  [ "$bind" = localhost ] && bind=127.0.0.1
  {
    printf 'port %s\nbind %s\nsave ""\nappendonly no\ndaemonize no\ndir %s\nlogfile ""\n' "$REDIS_PORT" "$bind" "$RUN/redis"
    if [ -n "$REDIS_PASSWORD" ] && [ -n "$REDIS_USER" ] && [ "$REDIS_USER" != default ]; then
      printf 'user %s on >%s ~* &* +@all\n' "$REDIS_USER" "$REDIS_PASSWORD"
    elif [ -n "$REDIS_PASSWORD" ]; then
      printf 'requirepass %s\n' "$REDIS_PASSWORD"
    fi
  } >"$RUN/redis/redis.conf.tmp"
  chmod 600 "$RUN/redis/redis.conf.tmp"
  mv -f "$RUN/redis/redis.conf.tmp" "$RUN/redis/redis.conf"
}

# prepare_redis_cluster_node NAME : the redis.conf of node N (NAME redis-cluster-N). When no node
# of the cluster runs, the cluster starts afresh (its data is not persisted, like [program:redis]):
# the node's old cluster state (nodes.conf) is removed, and the cluster is formed once all answer.
# A node started while others run keeps its nodes.conf and rejoins (a killed master comes back as
# a replica of the one that took over).
prepare_redis_cluster_node() {
  local n=${1#redis-cluster-} name port_var dir others_running=0
  ensure_cmd redis-server redis-server
  ensure_cmd redis-cli redis-tools
  port_var="REDIS_CLUSTER_PORT_$n"
  dir="$RUN/redis-cluster/$n"
  mkdir -p "$dir"
  for name in $(programs redis-cluster); do
    case ${STATES[$name]:-DOWN} in RUNNING|STARTING) others_running=1 ;; esac
  done
  [ "$others_running" -eq 1 ] || rm -f "$dir/nodes.conf"
  {
    printf 'port %s\nbind %s\nsave ""\nappendonly no\ndaemonize no\ndir %s\nlogfile ""\n' "${!port_var}" "$HOST" "$dir"
    printf 'cluster-enabled yes\ncluster-config-file %s\ncluster-node-timeout %s\n' "$dir/nodes.conf" "$REDIS_CLUSTER_NODE_TIMEOUT"
    # A replica whose master just died may always take over (no staleness limit): the local
    # cluster exists to show what a failover does to the projection.
    printf 'cluster-replica-validity-factor 0\n'
  } >"$dir/redis.conf"
}

# form_redis_cluster : once the six nodes answer, creates the cluster (three masters, one replica
# each) unless it exists, and waits until every node reports it ok.
form_redis_cluster() {
  local n port_var addresses=() known
  for n in $(seq 1 "$REDIS_CLUSTER_NODES"); do
    redis_cluster_node_ping "$n" || return 0
    port_var="REDIS_CLUSTER_PORT_$n"
    addresses+=("$HOST:${!port_var}")
  done
  known=$(timeout 5 redis-cli -h "$HOST" -p "$REDIS_CLUSTER_PORT_1" cluster info 2>/dev/null | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')
  if [ "${known:-0}" -le 1 ]; then
    log "redis-cluster: forming three masters with one replica each (${addresses[*]})"
    redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >"$LOGS/redis-cluster-create.log" 2>&1 \
      || { show_log_tail "$LOGS/redis-cluster-create.log" 40; die "redis-cluster: redis-cli --cluster create failed"; }
  fi
  local deadline=$((SECONDS + STACK_WAIT_TIMEOUT))
  until redis_cluster_ok; do
    [ "$SECONDS" -lt "$deadline" ] || die "redis-cluster: not ok after ${STACK_WAIT_TIMEOUT}s (redis-cli -p $REDIS_CLUSTER_PORT_1 cluster nodes)"
    sleep 0.5
  done
  log "redis-cluster: ok at $(redis_cluster_url)"
}

# render_checked SRC DST CHECK_CMD VAR... : renders SRC into DST when CHECK_CMD accepts it;
# returns 0 when DST changed.
render_checked() {
  local src=$1 dst=$2 check=$3
  shift 3
  render_template "$src" "$dst.new" "$@"
  if ! $check "$dst.new" >"$dst.check.log" 2>&1; then
    cat "$dst.check.log" >&2
    die "$check failed for $dst.new"
  fi
  local changed=0
  cmp -s "$dst.new" "$dst" 2>/dev/null || changed=1
  mv -f "$dst.new" "$dst"
  [ "$changed" -eq 1 ]
}

# The token Alertmanager authenticates to the notifier with: created once (32 random bytes,
# base64url, readable by its owner only), kept across restarts so both always read the same.
ensure_notifier_token() {
  local file=$NOTIFIER_TOKEN_FILE
  if [ ! -s "$file" ]; then
    mkdir -p "$(dirname "$file")"
    (umask 077 && head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=' >"$file.tmp")
    mv -f "$file.tmp" "$file"
    log "notifier: created the Alertmanager token $file"
  fi
  chmod 600 "$file"
}

prepare_alertmanager() {
  ensure_cmd prometheus-alertmanager prometheus-alertmanager
  ensure_cmd amtool prometheus-alertmanager
  ensure_cmd curl curl
  mkdir -p "$RUN/alertmanager" "$ALERTMANAGER_DATA_DIR"
  ensure_notifier_token
  if render_checked "$INFRA/alertmanager/alertmanager.yml" "$RUN/alertmanager/alertmanager.yml" "amtool check-config" \
      NOTIFIER_PORT AM_GROUP_WAIT AM_GROUP_INTERVAL AM_REPEAT_INTERVAL NOTIFIER_TOKEN_FILE \
    && [ "$(state alertmanager)" = RUNNING ]; then
    curl -fsS -X POST "http://$HOST:$ALERTMANAGER_PORT/-/reload" >/dev/null && log "alertmanager: config changed, reloaded"
  fi
}

# The scrape targets: every program with scrape=JOB, at the port configured now (its first).
write_targets() {
  local name job var sep="" out="["
  for name in $(programs); do
    job=$(program_key "$name" scrape)
    [ -n "$job" ] || continue
    var=$(program_key "$name" port); var=${var%% *}
    out+="$sep"$'\n'"  { \"targets\": [\"$HOST:${!var}\"], \"labels\": { \"job\": \"$job\", \"service\": \"$name\" } }"
    sep=,
  done
  mkdir -p "$PROM_TARGETS"
  printf '%s\n]\n' "$out" >"$PROM_TARGETS/.default.json.tmp"
  # Atomic replace: file_sd re-reads the directory every second.
  mv -f "$PROM_TARGETS/.default.json.tmp" "$PROM_TARGETS/default.json"
}

prepare_prometheus() {
  ensure_cmd prometheus prometheus
  ensure_cmd promtool prometheus
  ensure_cmd curl curl
  mkdir -p "$RUN/prometheus" "$PROMETHEUS_DATA_DIR"
  write_targets
  local RULES_DIR="$INFRA/prometheus/rules" TARGETS_DIR="$PROM_TARGETS" changed=0
  render_checked "$INFRA/prometheus/prometheus.yml" "$RUN/prometheus/prometheus.yml" "promtool check config" \
    PROM_SCRAPE_INTERVAL ALERTMANAGER_PORT RULES_DIR TARGETS_DIR && changed=1
  if [ "$(state prometheus)" = RUNNING ]; then
    # Rule files can change without the rendered config changing: always reload (cheap).
    reload_prometheus \
      && log "prometheus: $([ "$changed" -eq 1 ] && echo "config changed (PROM_SCRAPE_INTERVAL=$PROM_SCRAPE_INTERVAL)" || echo "rules and config") reloaded"
  fi
}

# Reloads Prometheus with SIGHUP (its lifecycle API is off unless PROMETHEUS_LIFECYCLE=1) and
# waits until its log reports the outcome: the reload is done (non-zero when it failed, or
# nothing was reported within 10 s).
reload_prometheus() {
  local logfile="$LOGS/prometheus.log" outcome='msg="(Completed loading of configuration file|Error reloading config)"' before now i
  before=$(grep -cE "$outcome" "$logfile" 2>/dev/null || true)
  ctl signal HUP prometheus >/dev/null || { warn "prometheus: supervisorctl signal HUP failed"; return 1; }
  for ((i = 0; i < 100; i++)); do
    now=$(grep -cE "$outcome" "$logfile" 2>/dev/null || true)
    if [ "$now" != "$before" ]; then
      grep -E "$outcome" "$logfile" | tail -n 1 | grep -q 'Completed loading' && return 0
      warn "prometheus: reload failed: $(grep -E 'Error reloading config' "$logfile" | tail -n 1)"
      return 1
    fi
    sleep 0.1
  done
  warn "prometheus: no reload reported in $logfile within 10 s after SIGHUP"
  return 1
}

prepare_service() {
  [ -s "$RUN/services/env" ] \
    || die "$1: the services read the environment npm start writes to $RUN/services/env; start them with npm start"
  if [ "$1" = notifier ]; then ensure_notifier_token; fi
}

prepare() {
  case $(program_key "$1" kind) in
    service|mail) prepare_service "$1" ;;
    redis-cluster) prepare_redis_cluster_node "$1" ;;
    *) if declare -F "prepare_$1" >/dev/null; then "prepare_$1"; fi ;;
  esac
}

# ============================================================================
# start / stop / status
# ============================================================================
write_stack_env() {
  cat >"$RUN/stack.env.tmp" <<EOF
# Written by scripts/stack.sh; source it to reach the local stack. The scripts load it as
# defaults only: a variable set in the environment wins over the value here.
KAFKA_BROKERS=$HOST:$KAFKA_PORT
KAFKA_PORT=$KAFKA_PORT
REDIS_URL=$REDIS_URL
PROMETHEUS_URL=http://$HOST:$PROMETHEUS_PORT
ALERTMANAGER_URL=http://$HOST:$ALERTMANAGER_PORT
PROM_TARGETS_DIR=$PROM_TARGETS
EOF
  if redis_cluster_ok; then printf 'REDIS_CLUSTER_URL=%s\n' "$(redis_cluster_url)" >>"$RUN/stack.env.tmp"; fi
  mv -f "$RUN/stack.env.tmp" "$RUN/stack.env"
}

# fail_start NAME MESSAGE : reports, stops NAME when this invocation started it, exits 1.
fail_start() {
  printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$1: $2" >&2
  show_log_tail "$LOGS/$1.log" 40
  if [[ " ${LAUNCHED[*]} " == *" $1 "* ]]; then ctl stop "$1" >/dev/null 2>&1 || true; fi
  exit 1
}

LAUNCHED=()
WAIT=()
declare -A LAUNCHED_AT=() READY_AFTER=()

# launch NAME : prepares NAME and queues it for starting unless it runs (or, for Redis, one
# answers at REDIS_URL).
launch() {
  local name=$1 current var
  current=${STATES[$name]:-DOWN}
  if [ "$name" = redis ] && [ "$current" != RUNNING ] && redis_ping; then
    log "redis: $REDIS_URL_SAFE answers PING; using it (not managed by this script)"
    return 0
  fi
  prepare "$name"
  WAIT+=("$name")
  if [ "$current" = RUNNING ] || [ "$current" = STARTING ]; then return 0; fi
  for var in $(program_key "$name" port); do
    # A port already answering would pass the readiness check of another stack's process.
    require_port_free "$name" "$HOST" "${!var}"
  done
  LAUNCHED+=("$name")
}

# await NAME : waits until NAME is ready; fails when it stops or is not ready in time.
await() {
  local name=$1 current
  local deadline=$((SECONDS + STACK_WAIT_TIMEOUT))
  while ! ready "$name"; do
    current=$(state "$name")
    case $current in
      RUNNING|STARTING) ;;
      *) fail_start "$name" "stopped during startup ($current)" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || fail_start "$name" "not ready after ${STACK_WAIT_TIMEOUT}s ($(program_key "$name" ready))"
    sleep 0.5
  done
}

# report_ready NAME : one line about NAME once it is ready.
report_ready() {
  local name=$1
  if [[ " ${LAUNCHED[*]} " == *" $name "* ]]; then
    log "$name: up on port(s) $(program_ports "$name") (pid ${PIDS[$name]:-?}, ready after ${READY_AFTER[$name]}s)"
  else
    log "$name: already running (pid ${PIDS[$name]:-?}, port(s) $(program_ports "$name"))"
  fi
}

cmd_start() {
  local names name t0=$SECONDS list
  list=$(expand_names "${@:-stack}") # exits on an unknown name
  mapfile -t names <<<"$list"
  check_ports_distinct
  mkdir -p "$RUN" "$LOGS"
  acquire_lock "$RUN/.stack.lock" 300
  ensure_daemon
  # Everything is launched first (Kafka, the slowest, is first in the file), then waited for.
  load_states
  for name in "${names[@]}"; do launch "$name"; done
  for name in "${LAUNCHED[@]}"; do
    log "$name: starting (port(s) $(program_ports "$name"))"
    LAUNCHED_AT[$name]=$SECONDS
    # A process added to the file after this supervisord started: make it known first.
    if [ -z "${STATES[$name]:-}" ]; then { ctl reread && ctl add "$name"; } >/dev/null 2>&1 || true; fi
  done
  if [ "${#LAUNCHED[@]}" -gt 0 ]; then ctl start "${LAUNCHED[@]}" >/dev/null || true; fi
  for name in "${WAIT[@]}"; do
    await "$name"
    READY_AFTER[$name]=$((SECONDS - ${LAUNCHED_AT[$name]:-$SECONDS}))
  done
  if [[ " ${WAIT[*]} " == *" redis-cluster-"* ]]; then form_redis_cluster; fi
  load_states
  for name in "${WAIT[@]}"; do report_ready "$name"; done
  write_stack_env
  log "start ${*:-stack}: done in $((SECONDS - t0))s"
}

# describe_exit NAME : supervisord's description of a process that stopped by itself.
describe_exit() {
  ctl_status "$1" | awk '{ $1 = ""; $2 = ""; sub(/^ +/, ""); print }'
}

cmd_stop() {
  local names name i running=() wanted
  wanted=$(expand_names "${@:-all}") # exits on an unknown name
  wanted=" $(tr '\n' ' ' <<<"$wanted")"
  names=()
  for name in $(programs); do [[ "$wanted" != *" $name "* ]] || names+=("$name"); done
  mkdir -p "$RUN"
  acquire_lock "$RUN/.stack.lock" 300
  DAEMON=$(daemon_pid || true)
  [ -n "$DAEMON" ] || return 0
  load_states
  # Reverse file order: the services before the infrastructure they use.
  for ((i = ${#names[@]} - 1; i >= 0; i--)); do
    name=${names[i]}
    case ${STATES[$name]:-DOWN} in
      RUNNING|STARTING|BACKOFF)
        log "$name: stopping pid ${PIDS[$name]:-?}"
        running+=("$name")
        ;;
      EXITED|FATAL|UNKNOWN)
        warn "$name: was not running: it stopped by itself (${STATES[$name]}, $(describe_exit "$name")); see $LOGS/$name.log"
        # Reported once: taken out and put back, it is STOPPED again.
        { ctl remove "$name" && ctl add "$name"; } >/dev/null 2>&1 || true
        ;;
    esac
  done
  if [ "${#running[@]}" -gt 0 ]; then
    ctl stop "${running[@]}" >/dev/null || warn "supervisord could not stop every one of: ${running[*]}"
    log "stopped: ${running[*]}"
  fi
  # supervisord exits with the last process it ran.
  any_running || shutdown_daemon
}

status_line() {
  printf '%-13s %-8s %-13s %s\n' "$1" "$2" "$3" "$4"
}

cmd_status() {
  local name current pid ports line
  DAEMON=$(daemon_pid || true)
  load_states
  status_line COMPONENT PID PORT STATE
  for name in $(programs); do
    current=${STATES[$name]:-DOWN}
    ports=$(program_ports "$name")
    pid=-
    case $current in
      RUNNING)
        pid=${PIDS[$name]:-?}
        if ready "$name"; then line=up; else line="starting/unhealthy"; fi
        ;;
      STARTING) line=starting ;;
      EXITED|FATAL|BACKOFF) line="exited by itself ($current, $(describe_exit "$name")); see $LOGS/$name.log" ;;
      *)
        line=down
        if [ "$name" = redis ] && redis_ping; then
          line="up (external $REDIS_URL_SAFE, not managed)"
        else
          local var
          for var in $(program_key "$name" port); do
            if port_open "$HOST" "${!var}"; then line="down (port ${!var} taken by another process)"; break; fi
          done
        fi
        ;;
    esac
    status_line "$name" "$pid" "$ports" "$line"
  done
}

main() {
  local cmd=${1:-help}
  [ $# -eq 0 ] || shift
  parse_redis_url
  cluster_ports
  case $cmd in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status ;;
    names) expand_names "${@:-all}" ;;
    kafka-topics)
      [ -f "$KAFKA_LIBS_DIR/kafka-tools-$KAFKA_VERSION.jar" ] || die "kafka jars missing; run: bash scripts/stack.sh start kafka"
      exec java -Dlog4j.configuration="file:$INFRA/kafka/tools-log4j.properties" -Dlog4j2.configurationFile="file:$INFRA/kafka/tools-log4j2.properties" \
        -cp "$KAFKA_LIBS_DIR/*" \
        org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" "$@"
      ;;
    help|-h|--help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
