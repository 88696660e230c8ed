#!/usr/bin/env bash
# stack.sh — the real local stack without Docker: Apache Kafka (KRaft),
# DynamoDB Local and MariaDB, each a real server bound to 127.0.0.1.
#
#   localstack/stack.sh up       install what is missing, start what is not running, wait until healthy
#   localstack/stack.sh status   report each service; exit 1 if any is not healthy
#   localstack/stack.sh down     stop the processes this script started (by recorded PID)
#   localstack/stack.sh clean    down, then delete data and logs
#   localstack/stack.sh env      print the environment variables the tests and functions use
#   localstack/stack.sh mvn-libs NAME POM  resolve localstack/maven/POM into the cache; print the folder
#   localstack/stack.sh registry-up|registry-status|registry-down
#                                Apicurio Registry (Confluent-compatible API), started only on
#                                demand by the tests and targets that need a schema registry
#
# Data, logs and PID files live under $SLKC_LOCAL_DIR (default: <repo>/.local,
# git-ignored). Downloaded jars are cached under $SLKC_CACHE_DIR (default
# ~/.cache/slkc) so a fresh clone on the same machine starts warm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="${SLKC_LOCAL_DIR:-$ROOT/.local}"
CACHE_DIR="${SLKC_CACHE_DIR:-$HOME/.cache/slkc}"
LOG_DIR="$LOCAL_DIR/logs"
PID_DIR="$LOCAL_DIR/pids"
KAFKA_PORT="${SLKC_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${SLKC_KAFKA_CONTROLLER_PORT:-9093}"
DDB_PORT="${SLKC_DYNAMODB_PORT:-8000}"
MYSQL_PORT="${SLKC_MYSQL_PORT:-3306}"
MYSQL_USER="${SLKC_MYSQL_USER:-slkc}"
MYSQL_PASSWORD="${SLKC_MYSQL_PASSWORD:-slkc}"
READY_TIMEOUT="${SLKC_READY_TIMEOUT:-90}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------- installation (idempotent, cached) ----------

# mvn_libs NAME POM: resolve the pom's dependencies into $CACHE_DIR/NAME-lib,
# re-resolving only when the pom changes.
mvn_libs() {
  local name="$1" pom="$ROOT/localstack/maven/$2" dir="$CACHE_DIR/$1-lib"
  local stamp="$dir/.pom.sha256" sum
  sum="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install -y maven)"
  log "resolving $name jars from Maven Central into $dir"
  rm -rf "$dir" && mkdir -p "$dir"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$dir" >"$CACHE_DIR/mvn-$name.log" 2>&1 \
    || die "maven could not resolve $name (see $CACHE_DIR/mvn-$name.log)"
  echo "$sum" >"$stamp"
}

ensure_mariadb() {
  if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null; then return 0; fi
  command -v apt-get >/dev/null || die "MariaDB is not installed and apt-get is not available; install mariadb-server yourself"
  log "installing mariadb-server from Debian packages"
  local SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >"$CACHE_DIR/apt-mariadb.log" 2>&1 \
    || { $SUDO apt-get update -qq >>"$CACHE_DIR/apt-mariadb.log" 2>&1 && \
         $SUDO apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >>"$CACHE_DIR/apt-mariadb.log" 2>&1; } \
    || die "apt-get could not install mariadb-server (see $CACHE_DIR/apt-mariadb.log)"
}

install_all() {
  mkdir -p "$CACHE_DIR" "$LOG_DIR" "$PID_DIR"
  command -v java >/dev/null || die "java not found: install a JDK 17 (apt-get install -y openjdk-17-jre-headless)"
  ensure_mariadb
  mvn_libs kafka kafka-pom.xml
  mvn_libs dynamodb dynamodb-pom.xml
}

# ---------- process bookkeeping ----------

pidfile() { echo "$PID_DIR/$1.pid"; }

# running NAME MATCH: true when the recorded PID is alive and its command line
# contains MATCH (guards against a recycled PID).
running() {
  local f; f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 1
  local pid; pid="$(cat "$f")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for NAME LOGFILE CHECK...: poll CHECK until it succeeds or READY_TIMEOUT passes.
wait_for() {
  local name="$1" logf="$2"; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! running "$name" "$(match_of "$name")"; then
      die "$name exited during start-up; see its log: $logf"
    fi
    if ((SECONDS >= deadline)); then
      die "$name not ready after ${READY_TIMEOUT}s; see its log: $logf"
    fi
    sleep 0.3
  done
}

match_of() {
  case "$1" in
    kafka) echo "kafka.Kafka" ;;
    dynamodb) echo "dynamodbv2.local.main.ServerRunner" ;;
    mariadb) echo "mariadbd" ;;
    registry) echo "apicurio-registry-$APICURIO_VERSION" ;;
  esac
}

# ---------- health checks ----------

kafka_healthy() {
  port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOG_DIR/kafka.log"
}

# kafka_coordinator_ready: the group coordinator answers. On a freshly
# formatted broker the first FindCoordinator creates __consumer_offsets and
# group requests fail with COORDINATOR_NOT_AVAILABLE until it is loaded, so
# "started" is not "ready" for consumer groups. Describing a group that does
# not exist succeeds (GroupIdNotFound) only once the coordinator serves it.
kafka_coordinator_ready() {
  local mark="$LOCAL_DIR/kafka/coordinator.ready"
  [[ -f "$mark" && "$mark" -nt "$(pidfile kafka)" ]] && return 0
  java -cp "$CACHE_DIR/kafka-lib/*" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --describe --group slkc-stack-readiness --timeout 5000 2>&1 \
    | grep -qE 'GroupIdNotFoundException|does not exist|has no active members' || return 1
  touch "$mark"
}

dynamodb_healthy() {
  # An unsigned ListTables is answered by a running DynamoDB Local with a
  # JSON error; any HTTP answer from the port proves the server is serving.
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' -m 2 -X POST \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -H 'Content-Type: application/x-amz-json-1.0' \
    -d '{}' "http://127.0.0.1:$DDB_PORT/")" || return 1
  [[ "$code" =~ ^[245] ]]
}

mariadb_healthy() {
  mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -u "$MYSQL_USER" -p"$MYSQL_PASSWORD" -N -e 'SELECT 1' >/dev/null 2>&1
}

# ---------- services ----------

start_kafka() {
  if running kafka kafka.Kafka; then log "kafka already running (pid $(cat "$(pidfile kafka)"))"; return 0; fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is in use by another process; stop it or set SLKC_KAFKA_PORT"
  local dir="$LOCAL_DIR/kafka" cp="$CACHE_DIR/kafka-lib/*"
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=8388608
# A deleted topic's files go after 1 s instead of 60: make bench drops each
# ceiling topic once measured and waits for its files to go before the next
# step, so a later measurement does not pay for freeing a GB of log.
log.segment.delete.delay.ms=1000
PROPS
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local id
    id="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>>"$LOG_DIR/kafka.log" | tail -1)"
    java -cp "$cp" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" >>"$LOG_DIR/kafka.log" 2>&1 \
      || die "kafka storage format failed; see $LOG_DIR/kafka.log"
  fi
  : >"$LOG_DIR/kafka.log.start"
  log "starting kafka on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$ROOT/localstack/kafka-log4j2.properties" -cp "$cp" kafka.Kafka "$dir/server.properties" >"$LOG_DIR/kafka.log" 2>&1 </dev/null &
  echo $! >"$(pidfile kafka)"
}

start_dynamodb() {
  if running dynamodb dynamodbv2.local.main.ServerRunner; then log "dynamodb already running (pid $(cat "$(pidfile dynamodb)"))"; return 0; fi
  port_open "$DDB_PORT" && die "port $DDB_PORT is in use by another process; stop it or set SLKC_DYNAMODB_PORT"
  local lib="$CACHE_DIR/dynamodb-lib"
  log "starting dynamodb local on 127.0.0.1:$DDB_PORT"
  # -sharedDb: one database whatever region/credentials a client signs with,
  # so the functions, the tests and the CLI see the same tables.
  (cd "$LOCAL_DIR" && exec java -Xms128m -Xmx512m -Djava.library.path="$lib" -cp "$lib/*" \
    com.amazonaws.services.dynamodbv2.local.main.ServerRunner -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT" \
    ) >"$LOG_DIR/dynamodb.log" 2>&1 </dev/null &
  echo $! >"$(pidfile dynamodb)"
}

start_mariadb() {
  if running mariadb mariadbd; then log "mariadb already running (pid $(cat "$(pidfile mariadb)"))"; return 0; fi
  port_open "$MYSQL_PORT" && die "port $MYSQL_PORT is in use by another process (a system MariaDB/MySQL?); stop it or set SLKC_MYSQL_PORT"
  local dir="$LOCAL_DIR/mariadb" user=()
  mkdir -p "$dir/run"
  # The server runs as the user who runs this script (as root it must be
  # told so explicitly). Running as the mysql user instead would need every
  # folder above .local/ to be searchable by it, which a checkout in a
  # private folder (mktemp -d, a 0700 home) is not.
  if [[ $(id -u) -eq 0 ]]; then user=(--user=root); fi
  local fresh=0
  if [[ ! -d "$dir/data/mysql" ]]; then
    fresh=1
    log "initialising mariadb data directory $dir/data"
    mariadb-install-db --no-defaults "${user[@]}" --datadir="$dir/data" --auth-root-authentication-method=socket \
      --skip-test-db >"$LOG_DIR/mariadb-install.log" 2>&1 || die "mariadb-install-db failed; see $LOG_DIR/mariadb-install.log"
  fi
  log "starting mariadb on 127.0.0.1:$MYSQL_PORT"
  # Durability settings are relaxed (flush once a second) because this is a
  # disposable test database; binlog is ROW like a CDC-ready production server.
  # Binlog files rotate at 256 MB and those older than an hour go at the next
  # rotation: a `make bench` writes tens of GB of row images, which the
  # server's defaults (1 GB files kept 10 days) let fill the disk.
  nohup mariadbd --no-defaults "${user[@]}" --datadir="$dir/data" --socket="$dir/run/mysqld.sock" \
    --pid-file="$dir/run/mysqld.pid" --port="$MYSQL_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
    --log-bin="$dir/data/binlog" --binlog-format=ROW --server-id=1 --log-error="$LOG_DIR/mariadb.log" \
    --max-binlog-size=256M --binlog-expire-logs-seconds=3600 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --max-connections=500 \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
    --max-allowed-packet=64M --explicit-defaults-for-timestamp=ON >>"$LOG_DIR/mariadb.log" 2>&1 </dev/null &
  echo $! >"$(pidfile mariadb)"
  # Create the application user over the root socket once the server listens.
  local deadline=$((SECONDS + READY_TIMEOUT))
  until mariadb --no-defaults --socket="$dir/run/mysqld.sock" -u root -e 'SELECT 1' >/dev/null 2>&1; do
    running mariadb mariadbd || die "mariadb exited during start-up; see its log: $LOG_DIR/mariadb.log"
    ((SECONDS < deadline)) || die "mariadb not ready after ${READY_TIMEOUT}s; see its log: $LOG_DIR/mariadb.log"
    sleep 0.3
  done
  mariadb --no-defaults --socket="$dir/run/mysqld.sock" -u root <<SQL || die "could not create the $MYSQL_USER user; see $LOG_DIR/mariadb.log"
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'localhost' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_USER'@'localhost';
CREATE DATABASE IF NOT EXISTS slkc CHARACTER SET utf8mb4;
SQL
  ((fresh)) && log "mariadb user $MYSQL_USER created"
  # Named time zones (db.timezone=Europe/Paris) need the zone tables.
  if [[ "$(mariadb --no-defaults --socket="$dir/run/mysqld.sock" -u root -N -e 'SELECT COUNT(*) FROM mysql.time_zone_name')" == "0" ]] \
     && [[ -d /usr/share/zoneinfo ]]; then
    log "loading time zone tables into mariadb"
    mariadb-tzinfo-to-sql /usr/share/zoneinfo 2>/dev/null | mariadb --no-defaults --socket="$dir/run/mysqld.sock" -u root mysql \
      || die "could not load time zone tables; see $LOG_DIR/mariadb.log"
  fi
  return 0
}

# ---------- schema registry (Apicurio, on demand) ----------
# Apicurio Registry's distribution archive from Maven Central (a Quarkus
# app, in-memory storage); its Confluent-compatible API is
# /apis/ccompat/v7. It needs Java 21+; Kafka and DynamoDB Local keep the
# default java.

APICURIO_VERSION="${SLKC_APICURIO_VERSION:-3.3.3}"
REGISTRY_PORT="${SLKC_REGISTRY_PORT:-8081}"
REGISTRY_MGMT_PORT="${SLKC_REGISTRY_MANAGEMENT_PORT:-8091}"

registry_url() { echo "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"; }

# java21: print a java of version 21 or newer ($SLKC_REGISTRY_JAVA, the
# java on PATH, or one under /usr/lib/jvm), or fail naming what was found.
java21() {
  local j v seen=""
  for j in "${SLKC_REGISTRY_JAVA:-}" "$(command -v java || true)" "${SLKC_JVM_DIR:-/usr/lib/jvm}"/*/bin/java; do
    [[ -n "$j" && -x "$j" ]] || continue
    v="$("$j" -version 2>&1 | sed -nE '1s/.*version "([0-9]+).*/\1/p')"
    seen="$seen $j($v)"
    if [[ "$v" =~ ^[0-9]+$ ]] && ((v >= 21)); then echo "$j"; return 0; fi
  done
  die "Apicurio Registry $APICURIO_VERSION needs Java 21 or newer; found:${seen:- no java}. Install one (e.g. apt-get install -y openjdk-21-jre-headless, or Temurin under /usr/lib/jvm) or set SLKC_REGISTRY_JAVA"
}

# ensure_registry: fetch and unpack the archive once into the cache.
ensure_registry() {
  local dir="$CACHE_DIR/apicurio-registry-$APICURIO_VERSION" tmp
  [[ -f "$dir/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install -y maven)"
  mkdir -p "$CACHE_DIR"
  tmp="$(mktemp -d "$CACHE_DIR/apicurio.XXXXXX")"
  log "fetching io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all from Maven Central"
  mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" -DoutputDirectory="$tmp" \
    >"$CACHE_DIR/mvn-apicurio.log" 2>&1 || { rm -rf "$tmp"; die "maven could not fetch Apicurio Registry (see $CACHE_DIR/mvn-apicurio.log)"; }
  rm -rf "$dir" && mkdir -p "$dir"
  tar xzf "$tmp"/*.tar.gz -C "$dir" || { rm -rf "$tmp" "$dir"; die "could not unpack the Apicurio Registry archive"; }
  rm -rf "$tmp"
  [[ -f "$dir/quarkus-run.jar" ]] || die "Apicurio Registry archive has no quarkus-run.jar"
  touch "$dir/.complete"
}

registry_healthy() {
  curl -sf -o /dev/null -m 2 "$(registry_url)/subjects"
}

cmd_registry_up() {
  mkdir -p "$LOG_DIR" "$PID_DIR"
  # Test packages run in parallel and each may call registry-up: one at a
  # time, so the second finds the first's registry instead of racing it for
  # the port (the lock is released when this script exits).
  exec 9>"$LOCAL_DIR/registry.lock"
  flock 9
  if running registry "$(match_of registry)"; then
    wait_for registry "$LOG_DIR/registry.log" registry_healthy
    registry_url; return 0
  fi
  port_open "$REGISTRY_PORT" && die "port $REGISTRY_PORT is in use by another process; stop it or set SLKC_REGISTRY_PORT"
  local java; java="$(java21)"
  ensure_registry
  log "starting Apicurio Registry $APICURIO_VERSION on 127.0.0.1:$REGISTRY_PORT"
  nohup "$java" -Xms64m -Xmx512m -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$REGISTRY_MGMT_PORT" \
    -Dquarkus.otel.sdk.disabled=true -Dquarkus.analytics.disabled=true \
    -jar "$CACHE_DIR/apicurio-registry-$APICURIO_VERSION/quarkus-run.jar" >"$LOG_DIR/registry.log" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile registry)"
  wait_for registry "$LOG_DIR/registry.log" registry_healthy
  registry_url
}

cmd_registry_status() {
  if ! running registry "$(match_of registry)"; then echo "registry  stopped"; return 1; fi
  if registry_healthy; then
    printf 'registry  healthy   pid %-7s %s\n' "$(cat "$(pidfile registry)")" "$(registry_url)"
  else
    printf 'registry  unhealthy pid %-7s log %s\n' "$(cat "$(pidfile registry)")" "$LOG_DIR/registry.log"; return 1
  fi
}

# ---------- commands ----------

cmd_up() {
  local t0=$SECONDS
  install_all
  start_kafka
  start_dynamodb
  start_mariadb
  wait_for kafka "$LOG_DIR/kafka.log" kafka_healthy
  wait_for kafka "$LOG_DIR/kafka.log" kafka_coordinator_ready
  wait_for dynamodb "$LOG_DIR/dynamodb.log" dynamodb_healthy
  wait_for mariadb "$LOG_DIR/mariadb.log" mariadb_healthy
  cmd_env >"$LOCAL_DIR/env"
  log "stack healthy in $((SECONDS - t0))s (environment: source $LOCAL_DIR/env)"
}

cmd_status() {
  local bad=0 name check
  for name in kafka dynamodb mariadb; do
    check="${name}_healthy"
    if ! running "$name" "$(match_of "$name")"; then
      printf '%-9s stopped\n' "$name"; bad=1
    elif $check; then
      printf '%-9s healthy   pid %-7s %s\n' "$name" "$(cat "$(pidfile "$name")")" "$(endpoint "$name")"
    else
      printf '%-9s unhealthy pid %-7s log %s\n' "$name" "$(cat "$(pidfile "$name")")" "$LOG_DIR/$name.log"; bad=1
    fi
  done
  return $bad
}

endpoint() {
  case "$1" in
    kafka) echo "127.0.0.1:$KAFKA_PORT" ;;
    dynamodb) echo "http://127.0.0.1:$DDB_PORT" ;;
    mariadb) echo "127.0.0.1:$MYSQL_PORT (user $MYSQL_USER)" ;;
  esac
}

stop_one() {
  local name="$1" f pid
  f="$(pidfile "$name")"
  if ! running "$name" "$(match_of "$name")"; then rm -f "$f"; return 0; fi
  pid="$(cat "$f")"
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    [[ -d "/proc/$pid" ]] || break
    sleep 0.1
  done
  if [[ -d "/proc/$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$f"
}

cmd_down() {
  stop_one kafka
  stop_one dynamodb
  stop_one mariadb
  stop_one registry
}

cmd_env() {
  cat <<ENV
export SLKC_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$DDB_PORT
export SLKC_MYSQL_DSN='$MYSQL_USER:$MYSQL_PASSWORD@tcp(127.0.0.1:$MYSQL_PORT)/'
export AWS_REGION=\${AWS_REGION:-us-east-1}
export AWS_ACCESS_KEY_ID=\${AWS_ACCESS_KEY_ID:-local}
export AWS_SECRET_ACCESS_KEY=\${AWS_SECRET_ACCESS_KEY:-local}
ENV
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  clean) cmd_down; rm -rf "$LOCAL_DIR"; log "removed $LOCAL_DIR" ;;
  env) cmd_env ;;
  registry-up) cmd_registry_up ;;
  registry-status) cmd_registry_status ;;
  registry-down) stop_one registry ;;
  libs|mvn-libs) # libs NAME POM: resolve localstack/maven/POM (cached) and print the jar directory
    [[ $# -eq 3 ]] || die "usage: $0 libs NAME POM"
    mkdir -p "$CACHE_DIR"; mvn_libs "$2" "$3"; echo "$CACHE_DIR/$2-lib" ;;
  *) echo "usage: $0 up|status|down|clean|env|registry-up|registry-status|registry-down|libs NAME POM" >&2; exit 2 ;;
esac
