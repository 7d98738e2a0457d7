#!/usr/bin/env bash
# Local infrastructure for dev and CI: Kafka (KRaft, single node), Prometheus,
# Alertmanager and Redis, run as plain processes (no Docker).
#
#   bash scripts/stack.sh start [kafka|prometheus|alertmanager|redis|all]   (default all)
#   bash scripts/stack.sh stop  [kafka|prometheus|alertmanager|redis|all]   (default all)
#   bash scripts/stack.sh status
#   bash scripts/stack.sh kafka-topics ARGS...   Kafka's TopicCommand against the local
#       broker, e.g.: kafka-topics --create --if-not-exists --topic T --partitions 6
#       (auto.create.topics.enable=false, so topics must be created explicitly)
#
# Everything it creates lives under the run folder, STACK_RUN_DIR (default <repo>/.run;
# logs in <run folder>/logs/). `stop` only stops processes recorded in that folder's pid
# files. An already reachable Redis at $REDIS_URL is used as is and never stopped.
#
# Prometheus scrapes exactly this stack's services, at the ports configured now
# (INGEST_PORT, EXPORTER_PORT, PROJECTOR_PORT, ARCHIVER_PORT, NOTIFIER_PORT, REPLAY_PORT:
# <run folder>/prometheus/targets/default.json), and Alertmanager posts to this stack's
# notifier (NOTIFIER_PORT). A second stack on the same machine gets its own run folder
# and its own ports; it shares the Kafka jars already fetched into <repo>/.run/kafka/libs
# (KAFKA_LIBS_DIR) instead of fetching again.
#
# Environment (defaults):
#   STACK_RUN_DIR=<repo>/.run  KAFKA_LIBS_DIR=<repo>/.run/kafka/libs
#   KAFKA_PORT=19092  KAFKA_CONTROLLER_PORT=19093  KAFKA_VERSION=3.9.1
#   KAFKA_HEAP_OPTS="-Xms512m -Xmx1g"
#   PROMETHEUS_PORT=9090  PROM_SCRAPE_INTERVAL=15s  ALERTMANAGER_PORT=9093
#   INGEST_PORT=8080  EXPORTER_PORT=9464  PROJECTOR_PORT=9465  ARCHIVER_PORT=9466
#   NOTIFIER_PORT=8090  REPLAY_PORT=8091
#   AM_GROUP_WAIT=1s  AM_GROUP_INTERVAL=5s  AM_REPEAT_INTERVAL=1h
#   REDIS_URL=redis://127.0.0.1:6379
#   STACK_WAIT_TIMEOUT=90   (seconds per component health wait)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

resolve_run_dir "$ROOT"
LOGS="$RUN/logs"
INFRA="$ROOT/infra"

KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_VERSION=${KAFKA_VERSION:-3.9.1}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
PROM_SCRAPE_INTERVAL=${PROM_SCRAPE_INTERVAL:-15s}
ALERTMANAGER_PORT=${ALERTMANAGER_PORT:-9093}
default_service_ports
AM_GROUP_WAIT=${AM_GROUP_WAIT:-1s}
AM_GROUP_INTERVAL=${AM_GROUP_INTERVAL:-5s}
AM_REPEAT_INTERVAL=${AM_REPEAT_INTERVAL:-1h}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
STACK_WAIT_TIMEOUT=${STACK_WAIT_TIMEOUT:-90}

HOST=127.0.0.1

KAFKA_DIR="$RUN/kafka"
KAFKA_LIBS=${KAFKA_LIBS_DIR:-$ROOT/.run/kafka/libs}
KAFKA_DATA_DIR="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$LOGS/kafka.log"
KAFKA_PATTERN="kafka.Kafka"

PROM_DIR="$RUN/prometheus"
PROM_CONFIG="$PROM_DIR/prometheus.yml"
PROM_TARGETS="$PROM_DIR/targets"
PROM_PID="$PROM_DIR/prometheus.pid"
PROM_LOG="$LOGS/prometheus.log"
PROM_PATTERN="--storage.tsdb.path=$PROM_DIR/data"

AM_DIR="$RUN/alertmanager"
AM_CONFIG="$AM_DIR/alertmanager.yml"
AM_PID="$AM_DIR/alertmanager.pid"
AM_LOG="$LOGS/alertmanager.log"
AM_PATTERN="--storage.path=$AM_DIR/data"

REDIS_DIR="$RUN/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$LOGS/redis.log"
REDIS_PATTERN="redis-server"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

validate_port() {
  local name=$1 value=$2
  [[ "$value" =~ ^[0-9]+$ ]] && [ "$value" -ge 1 ] && [ "$value" -le 65535 ] \
    || die "$name must be a TCP port number, got '$value'"
}

check_ports_distinct() {
  validate_port KAFKA_PORT "$KAFKA_PORT"
  validate_port KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
  validate_port PROMETHEUS_PORT "$PROMETHEUS_PORT"
  validate_port ALERTMANAGER_PORT "$ALERTMANAGER_PORT"
  local name all=""
  for name in INGEST_PORT EXPORTER_PORT PROJECTOR_PORT ARCHIVER_PORT NOTIFIER_PORT REPLAY_PORT; do
    validate_port "$name" "${!name}"
    all+=" $name=${!name}"
  done
  local dup
  dup=$(printf '%s\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$PROMETHEUS_PORT" "$ALERTMANAGER_PORT" "$REDIS_PORT" \
    "$INGEST_PORT" "$EXPORTER_PORT" "$PROJECTOR_PORT" "$ARCHIVER_PORT" "$NOTIFIER_PORT" "$REPLAY_PORT" | sort | uniq -d)
  [ -z "$dup" ] || die "port(s) configured twice: $dup (KAFKA_PORT=$KAFKA_PORT KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT PROMETHEUS_PORT=$PROMETHEUS_PORT ALERTMANAGER_PORT=$ALERTMANAGER_PORT redis=$REDIS_PORT$all)"
}

# Parse REDIS_URL into REDIS_HOST / REDIS_PORT / REDIS_PASSWORD.
parse_redis_url() {
  local rest=${REDIS_URL#*://}
  local auth=""
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
  REDIS_PORT=${REDIS_PORT:-6379}
  validate_port "port in REDIS_URL" "$REDIS_PORT"
}

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
  mv -f "$RUN/stack.env.tmp" "$RUN/stack.env"
}

declare -A LAUNCHED=()

# launch NAME PIDFILE LOGFILE PORTS CMD... : spawn CMD in the background and
# remember the port(s) it was started with (in <pidfile minus .pid>.port).
launch() {
  local name=$1 pidfile=$2 logfile=$3 ports=$4
  shift 4
  spawn_bg "$pidfile" "$logfile" "$@"
  printf '%s\n' "$ports" >"${pidfile%.pid}.port"
  LAUNCHED[$name]=1
}

# recorded_ports PIDFILE : port(s) our running process was started with.
recorded_ports() {
  local f="${1%.pid}.port"
  [ -f "$f" ] && tr -d '[:space:]' <"$f"
  return 0
}

# check_same_ports NAME PIDFILE WANTED : our process is running; refuse when it
# listens on other ports than the ones configured now.
check_same_ports() {
  local name=$1 pidfile=$2 wanted=$3 have
  have=$(recorded_ports "$pidfile")
  if [ -n "$have" ] && [ "$have" != "$wanted" ]; then
    die "$name: already running (pid $(pid_from_file "$pidfile")) on port(s) $have, but port(s) $wanted are configured now. Run 'bash scripts/stack.sh stop $name' first, or use the old port(s)."
  fi
}

# fail_start NAME PIDFILE PATTERN LOG MESSAGE : report, stop the process if
# this invocation started it, exit non-zero.
fail_start() {
  local name=$1 pidfile=$2 pattern=$3 logfile=$4 msg=$5
  printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$name: $msg" >&2
  show_log_tail "$logfile" 40
  if [ -n "${LAUNCHED[$name]:-}" ]; then
    stop_pidfile "$name" "$pidfile" "$pattern" 5 || true
  else
    warn "$name: process (pid $(pid_from_file "$pidfile")) was started by an earlier run; left as is"
  fi
  exit 1
}

# ============================================================================
# Kafka
# ============================================================================
kafka_healthy() {
  port_open "$HOST" "$KAFKA_PORT" && kcat -b "$HOST:$KAFKA_PORT" -L -m 5 >/dev/null 2>&1
}

kafka_java() {
  java -Dlog4j.configuration="file:$INFRA/kafka/tools-log4j.properties" -cp "$KAFKA_LIBS/*" "$@"
}

fetch_kafka_libs() {
  local marker="$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar"
  if [ -f "$marker" ]; then
    return 0
  fi
  ensure_cmd mvn maven
  log "kafka: fetching Kafka $KAFKA_VERSION jars with Maven into ${KAFKA_LIBS#"$ROOT"/} (first run only)"
  local tmp="$KAFKA_LIBS.tmp.$$" t0=$SECONDS
  rm -rf "$tmp"
  if ! mvn -B -q -f "$INFRA/kafka/pom.xml" \
      -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$tmp" >"$LOGS/kafka-mvn.log" 2>&1; then
    show_log_tail "$LOGS/kafka-mvn.log" 40
    rm -rf "$tmp"
    die "kafka: mvn dependency:copy-dependencies failed (full log: $LOGS/kafka-mvn.log)"
  fi
  [ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || { rm -rf "$tmp"; die "kafka: Maven did not produce kafka_2.13-$KAFKA_VERSION.jar"; }
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "kafka: jars fetched in $((SECONDS - t0))s"
}

kafka_format_storage() {
  if [ -f "$KAFKA_DATA_DIR/meta.properties" ]; then
    return 0
  fi
  if [ -d "$KAFKA_DATA_DIR" ] && [ -n "$(ls -A "$KAFKA_DATA_DIR")" ]; then
    # Leftovers without meta.properties cannot be used by a broker: start clean.
    warn "kafka: ${KAFKA_DATA_DIR#"$ROOT"/} has data but no meta.properties; wiping it before formatting"
    rm -rf "$KAFKA_DATA_DIR"
  fi
  mkdir -p "$KAFKA_DATA_DIR"
  local cluster_id
  cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOG" | tail -n 1)
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: could not generate a cluster id (got '$cluster_id'); see $KAFKA_LOG"
  log "kafka: formatting storage ${KAFKA_DATA_DIR#"$ROOT"/} (cluster id $cluster_id)"
  if ! kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1; then
    show_log_tail "$KAFKA_LOG" 40
    die "kafka: storage format failed"
  fi
}

# kafka_launch : start the broker if needed, do not wait (see kafka_wait).
kafka_launch() {
  if pidfile_alive "$KAFKA_PID" "$KAFKA_PATTERN"; then
    check_same_ports kafka "$KAFKA_PID" "$KAFKA_PORT,$KAFKA_CONTROLLER_PORT"
    return 0
  fi
  rm -f "$KAFKA_PID"
  require_port_free kafka "$HOST" "$KAFKA_PORT"
  require_port_free "kafka (controller)" "$HOST" "$KAFKA_CONTROLLER_PORT"
  ensure_cmd java openjdk-17-jre-headless
  ensure_cmd kcat kcat
  mkdir -p "$KAFKA_DIR"
  fetch_kafka_libs
  render_template "$INFRA/kafka/server.properties.template" "$KAFKA_PROPS" \
    KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_DATA_DIR
  kafka_format_storage
  log "kafka: starting broker on $HOST:$KAFKA_PORT (controller $HOST:$KAFKA_CONTROLLER_PORT)"
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
  launch kafka "$KAFKA_PID" "$KAFKA_LOG" "$KAFKA_PORT,$KAFKA_CONTROLLER_PORT" \
    java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$INFRA/kafka/log4j.properties" \
    -Dkafka.logs.dir="$LOGS" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS"
  KAFKA_T0=$SECONDS
}

kafka_wait() {
  if [ -z "${LAUNCHED[kafka]:-}" ] && kafka_healthy; then
    log "kafka: already running (pid $(pid_from_file "$KAFKA_PID"), $HOST:$KAFKA_PORT)"
    return 0
  fi
  ensure_cmd kcat kcat
  local rc=0
  wait_until "$STACK_WAIT_TIMEOUT" "$KAFKA_PID" "$KAFKA_PATTERN" kafka_healthy || rc=$?
  case $rc in
    0) log "kafka: up on $HOST:$KAFKA_PORT (pid $(pid_from_file "$KAFKA_PID")${KAFKA_T0:+, ready after $((SECONDS - KAFKA_T0))s})" ;;
    2) fail_start kafka "$KAFKA_PID" "$KAFKA_PATTERN" "$KAFKA_LOG" "broker process exited during startup" ;;
    *) fail_start kafka "$KAFKA_PID" "$KAFKA_PATTERN" "$KAFKA_LOG" "not ready after ${STACK_WAIT_TIMEOUT}s (port $KAFKA_PORT / kcat -L)" ;;
  esac
}

start_kafka() { kafka_launch; kafka_wait; }

# ============================================================================
# Redis
# ============================================================================
redis_cli_ping() {
  local out
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

start_redis() {
  ensure_cmd redis-cli redis-tools
  if pidfile_alive "$REDIS_PID" "$REDIS_PATTERN"; then
    check_same_ports redis "$REDIS_PID" "$REDIS_PORT"
    if redis_cli_ping; then
      log "redis: already running (pid $(pid_from_file "$REDIS_PID"), $REDIS_URL_SAFE)"
      return 0
    fi
  else
    rm -f "$REDIS_PID"
    if redis_cli_ping; then
      log "redis: $REDIS_URL_SAFE answers PING; using it (not managed by this script)"
      return 0
    fi
    case $REDIS_HOST in
      127.0.0.1|localhost|::1) ;;
      *) die "redis: $REDIS_URL_SAFE does not answer PING and is not local, so it cannot be started here" ;;
    esac
    require_port_free redis "$REDIS_HOST" "$REDIS_PORT"
    ensure_cmd redis-server redis-server
    mkdir -p "$REDIS_DIR"
    local bind=$REDIS_HOST
    [ "$bind" = localhost ] && bind=127.0.0.1
    local args=(--port "$REDIS_PORT" --bind "$bind" --save "" --appendonly no
                --daemonize no --dir "$REDIS_DIR" --logfile "")
    if [ -n "$REDIS_PASSWORD" ]; then
      if [ -n "$REDIS_USER" ] && [ "$REDIS_USER" != default ]; then
        args+=(--user "$REDIS_USER" on ">$REDIS_PASSWORD" '~*' '&*' '+@all')
      else
        args+=(--requirepass "$REDIS_PASSWORD")
      fi
    fi
    log "redis: starting redis-server on $bind:$REDIS_PORT"
    launch redis "$REDIS_PID" "$REDIS_LOG" "$REDIS_PORT" redis-server "${args[@]}"
  fi
  local rc=0
  wait_until "$STACK_WAIT_TIMEOUT" "$REDIS_PID" "$REDIS_PATTERN" redis_cli_ping || rc=$?
  case $rc in
    0) log "redis: up on $REDIS_URL_SAFE (pid $(pid_from_file "$REDIS_PID"))" ;;
    2) fail_start redis "$REDIS_PID" "$REDIS_PATTERN" "$REDIS_LOG" "redis-server exited during startup" ;;
    *) fail_start redis "$REDIS_PID" "$REDIS_PATTERN" "$REDIS_LOG" "no PONG after ${STACK_WAIT_TIMEOUT}s" ;;
  esac
}

# ============================================================================
# Alertmanager
# ============================================================================
am_ready() { http_ok "http://$HOST:$ALERTMANAGER_PORT/-/ready"; }

start_alertmanager() {
  ensure_cmd prometheus-alertmanager prometheus-alertmanager
  ensure_cmd amtool prometheus-alertmanager
  ensure_cmd curl curl
  mkdir -p "$AM_DIR/data"
  render_template "$INFRA/alertmanager/alertmanager.yml" "$AM_CONFIG.new" \
    NOTIFIER_PORT AM_GROUP_WAIT AM_GROUP_INTERVAL AM_REPEAT_INTERVAL
  if ! amtool check-config "$AM_CONFIG.new" >"$AM_DIR/check.log" 2>&1; then
    cat "$AM_DIR/check.log" >&2
    die "alertmanager: amtool check-config failed for $AM_CONFIG.new"
  fi
  local changed=1
  cmp -s "$AM_CONFIG.new" "$AM_CONFIG" 2>/dev/null && changed=0
  mv -f "$AM_CONFIG.new" "$AM_CONFIG"

  if pidfile_alive "$AM_PID" "$AM_PATTERN"; then
    check_same_ports alertmanager "$AM_PID" "$ALERTMANAGER_PORT"
    if am_ready; then
      if [ "$changed" -eq 1 ]; then
        curl -fsS -X POST "http://$HOST:$ALERTMANAGER_PORT/-/reload" >/dev/null \
          && log "alertmanager: config changed, reloaded"
      fi
      log "alertmanager: already running (pid $(pid_from_file "$AM_PID"), $HOST:$ALERTMANAGER_PORT)"
      return 0
    fi
  else
    rm -f "$AM_PID"
    require_port_free alertmanager "$HOST" "$ALERTMANAGER_PORT"
    log "alertmanager: starting on $HOST:$ALERTMANAGER_PORT"
    launch alertmanager "$AM_PID" "$AM_LOG" "$ALERTMANAGER_PORT" prometheus-alertmanager \
      --config.file="$AM_CONFIG" \
      --storage.path="$AM_DIR/data" \
      --web.listen-address="$HOST:$ALERTMANAGER_PORT" \
      --cluster.listen-address=
  fi
  local rc=0
  wait_until "$STACK_WAIT_TIMEOUT" "$AM_PID" "$AM_PATTERN" am_ready || rc=$?
  case $rc in
    0) log "alertmanager: up on http://$HOST:$ALERTMANAGER_PORT (pid $(pid_from_file "$AM_PID"))" ;;
    2) fail_start alertmanager "$AM_PID" "$AM_PATTERN" "$AM_LOG" "process exited during startup" ;;
    *) fail_start alertmanager "$AM_PID" "$AM_PATTERN" "$AM_LOG" "/-/ready not OK after ${STACK_WAIT_TIMEOUT}s" ;;
  esac
}

# ============================================================================
# Prometheus
# ============================================================================
prom_ready() { http_ok "http://$HOST:$PROMETHEUS_PORT/-/ready"; }

# This stack's six services at the ports configured now: Prometheus never scrapes a port
# of another stack's services by default.
write_default_targets() {
  mkdir -p "$PROM_TARGETS"
  cat >"$PROM_TARGETS/.default.json.tmp" <<EOF
[
  { "targets": ["$HOST:$EXPORTER_PORT"], "labels": { "job": "dvc-exporter", "service": "exporter" } },
  { "targets": ["$HOST:$PROJECTOR_PORT"], "labels": { "job": "dvc-services", "service": "projector" } },
  { "targets": ["$HOST:$INGEST_PORT"], "labels": { "job": "dvc-services", "service": "ingest" } },
  { "targets": ["$HOST:$NOTIFIER_PORT"], "labels": { "job": "dvc-services", "service": "notifier" } },
  { "targets": ["$HOST:$ARCHIVER_PORT"], "labels": { "job": "dvc-services", "service": "archiver" } },
  { "targets": ["$HOST:$REPLAY_PORT"], "labels": { "job": "dvc-services", "service": "replay-api" } }
]
EOF
  # Atomic replace: file_sd re-reads the directory every second.
  mv -f "$PROM_TARGETS/.default.json.tmp" "$PROM_TARGETS/default.json"
}

start_prometheus() {
  ensure_cmd prometheus prometheus
  ensure_cmd promtool prometheus
  ensure_cmd curl curl
  mkdir -p "$PROM_DIR/data" "$PROM_TARGETS"
  write_default_targets
  local RULES_DIR="$INFRA/prometheus/rules" TARGETS_DIR="$PROM_TARGETS"
  render_template "$INFRA/prometheus/prometheus.yml" "$PROM_CONFIG.new" \
    PROM_SCRAPE_INTERVAL ALERTMANAGER_PORT RULES_DIR TARGETS_DIR
  if ! promtool check config "$PROM_CONFIG.new" >"$PROM_DIR/check.log" 2>&1; then
    cat "$PROM_DIR/check.log" >&2
    die "prometheus: promtool check config failed for $PROM_CONFIG.new"
  fi
  local changed=1
  cmp -s "$PROM_CONFIG.new" "$PROM_CONFIG" 2>/dev/null && changed=0
  mv -f "$PROM_CONFIG.new" "$PROM_CONFIG"

  if pidfile_alive "$PROM_PID" "$PROM_PATTERN"; then
    check_same_ports prometheus "$PROM_PID" "$PROMETHEUS_PORT"
    if prom_ready; then
      # Rule files can change without the rendered config changing: always reload (cheap).
      curl -fsS -X POST "http://$HOST:$PROMETHEUS_PORT/-/reload" >/dev/null \
        && if [ "$changed" -eq 1 ]; then
          log "prometheus: config changed (PROM_SCRAPE_INTERVAL=$PROM_SCRAPE_INTERVAL), reloaded"
        else
          log "prometheus: rules and config reloaded"
        fi
      log "prometheus: already running (pid $(pid_from_file "$PROM_PID"), $HOST:$PROMETHEUS_PORT)"
      return 0
    fi
  else
    rm -f "$PROM_PID"
    require_port_free prometheus "$HOST" "$PROMETHEUS_PORT"
    log "prometheus: starting on $HOST:$PROMETHEUS_PORT (scrape/eval interval $PROM_SCRAPE_INTERVAL)"
    launch prometheus "$PROM_PID" "$PROM_LOG" "$PROMETHEUS_PORT" prometheus \
      --config.file="$PROM_CONFIG" \
      --storage.tsdb.path="$PROM_DIR/data" \
      --web.listen-address="$HOST:$PROMETHEUS_PORT" \
      --web.enable-lifecycle
  fi
  local rc=0
  wait_until "$STACK_WAIT_TIMEOUT" "$PROM_PID" "$PROM_PATTERN" prom_ready || rc=$?
  case $rc in
    0) log "prometheus: up on http://$HOST:$PROMETHEUS_PORT (pid $(pid_from_file "$PROM_PID"))" ;;
    2) fail_start prometheus "$PROM_PID" "$PROM_PATTERN" "$PROM_LOG" "process exited during startup" ;;
    *) fail_start prometheus "$PROM_PID" "$PROM_PATTERN" "$PROM_LOG" "/-/ready not OK after ${STACK_WAIT_TIMEOUT}s" ;;
  esac
}

# ============================================================================
# stop / status
# ============================================================================
stop_component() {
  case $1 in
    kafka)        stop_pidfile kafka "$KAFKA_PID" "$KAFKA_PATTERN" 20 ;;
    prometheus)   stop_pidfile prometheus "$PROM_PID" "$PROM_PATTERN" 20 ;;
    alertmanager) stop_pidfile alertmanager "$AM_PID" "$AM_PATTERN" 20 ;;
    redis)        stop_pidfile redis "$REDIS_PID" "$REDIS_PATTERN" 20 ;;
  esac
}

status_line() {
  printf '%-13s %-8s %-13s %s\n' "$1" "$2" "$3" "$4"
}

# status_component NAME PIDFILE PATTERN PORTS HEALTH_FN [FOREIGN_FN]
status_component() {
  local name=$1 pidfile=$2 pattern=$3 ports=$4 health=$5 foreign=${6:-}
  local pid state have
  if pidfile_alive "$pidfile" "$pattern"; then
    pid=$(pid_from_file "$pidfile")
    have=$(recorded_ports "$pidfile")
    if [ -n "$have" ] && [ "$have" != "$ports" ]; then
      state="running on port(s) $have (configured: $ports)"
      ports=$have
    elif $health; then
      state=up
    else
      state="starting/unhealthy"
    fi
  else
    pid=-
    state=down
    if [ -n "$foreign" ] && $foreign; then
      state="down (port taken by another process)"
    fi
  fi
  status_line "$name" "$pid" "$ports" "$state"
}

_kafka_port_taken() { port_open "$HOST" "$KAFKA_PORT" || port_open "$HOST" "$KAFKA_CONTROLLER_PORT"; }
_prom_port_taken()  { port_open "$HOST" "$PROMETHEUS_PORT"; }
_am_port_taken()    { port_open "$HOST" "$ALERTMANAGER_PORT"; }
_redis_ping_quiet() { command -v redis-cli >/dev/null 2>&1 && redis_cli_ping; }

status() {
  status_line COMPONENT PID PORT STATE
  status_component kafka "$KAFKA_PID" "$KAFKA_PATTERN" "$KAFKA_PORT,$KAFKA_CONTROLLER_PORT" kafka_healthy _kafka_port_taken
  status_component prometheus "$PROM_PID" "$PROM_PATTERN" "$PROMETHEUS_PORT" prom_ready _prom_port_taken
  status_component alertmanager "$AM_PID" "$AM_PATTERN" "$ALERTMANAGER_PORT" am_ready _am_port_taken
  if pidfile_alive "$REDIS_PID" "$REDIS_PATTERN"; then
    status_component redis "$REDIS_PID" "$REDIS_PATTERN" "$REDIS_PORT" _redis_ping_quiet
  elif _redis_ping_quiet; then
    status_line redis - "$REDIS_PORT" "up (external $REDIS_URL_SAFE, not managed)"
  else
    status_line redis - "$REDIS_PORT" down
  fi
}

# ============================================================================
# main
# ============================================================================
COMPONENTS_ORDER_STOP=(prometheus alertmanager kafka redis)

lock() {
  mkdir -p "$RUN" "$LOGS"
  acquire_lock "$RUN/.stack.lock" 300
}

main() {
  local cmd=${1:-help} what=${2:-all}
  parse_redis_url
  [ "$cmd" = kafka-topics ] && what=all
  case $what in
    all|kafka|prometheus|alertmanager|redis) ;;
    *) die "unknown component '$what' (expected kafka|prometheus|alertmanager|redis|all)" ;;
  esac
  case $cmd in
    start)
      check_ports_distinct
      lock
      local t0=$SECONDS
      if [ "$what" = all ]; then
        # Kafka is the slowest: launch it first, start the rest meanwhile.
        kafka_launch
        start_redis
        start_alertmanager
        start_prometheus
        kafka_wait
      else
        "start_$what"
      fi
      write_stack_env
      log "start $what: done in $((SECONDS - t0))s"
      ;;
    stop)
      lock
      local c
      for c in "${COMPONENTS_ORDER_STOP[@]}"; do
        if [ "$what" = all ] || [ "$what" = "$c" ]; then stop_component "$c"; fi
      done
      ;;
    status)
      status
      ;;
    kafka-topics)
      [ -f "$KAFKA_LIBS/kafka-tools-$KAFKA_VERSION.jar" ] || die "kafka jars missing; run: bash scripts/stack.sh start kafka"
      shift
      exec java -Dlog4j.configuration="file:$INFRA/kafka/tools-log4j.properties" -cp "$KAFKA_LIBS/*" \
        org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" "$@"
      ;;
    help|-h|--help)
      usage
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
