#!/usr/bin/env bash
# Local services for development, tests and the demo: Redis and a single-node Apache Kafka broker (KRaft).
#
#   scripts/services.sh up        start what is missing (idempotent; fast when everything already answers)
#   scripts/services.sh down      stop only the processes this script started
#   scripts/services.sh status    print what answers where
#   scripts/services.sh topics    create the platform topics (auto-creation is off on the broker)
#   scripts/services.sh kafka-up | kafka-down | redis-up | redis-down    one service at a time
#   scripts/services.sh cluster-up | cluster-down    a local 3-master Redis Cluster (Debian's redis-server in
#                                 cluster mode) on REDIS_CLUSTER_PORTS, for the cluster integration test; never
#                                 touches the Redis on REDIS_URL
#
# Environment: REDIS_URL (default redis://127.0.0.1:6379), KAFKA_BROKERS (default 127.0.0.1:9092; its port is the
# listener), KAFKA_CONTROLLER_PORT (default listener port + 1), SERVICES_RUN_DIR (default .run/services: pids,
# logs, broker data), KAFKA_HEAP (default 512m), REDIS_CLUSTER_PORTS (default "7101 7102 7103"), REDIS_CLUSTER_DIR
# (default .cache/redis-cluster: nodes.conf, pids, logs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="4.1.1"
KAFKA_CACHE="$ROOT/.cache/kafka/$KAFKA_VERSION"
RUN_DIR="${SERVICES_RUN_DIR:-$ROOT/.run/services}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}"
KAFKA_HOST="${KAFKA_BROKERS%%,*}"
KAFKA_PORT="${KAFKA_HOST##*:}"
KAFKA_HOST="${KAFKA_HOST%:*}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
read -r -a CLUSTER_PORTS <<<"${REDIS_CLUSTER_PORTS:-7101 7102 7103}"
CLUSTER_DIR="${REDIS_CLUSTER_DIR:-$ROOT/.cache/redis-cluster}"

redis_hostport() {
  local rest="${REDIS_URL#*://}"
  rest="${rest##*@}"
  rest="${rest%%/*}"
  REDIS_HOST="${rest%%:*}"
  REDIS_PORT="${rest##*:}"
  [ "$REDIS_PORT" = "$rest" ] && REDIS_PORT=6379
  return 0
}
redis_hostport

log() { printf '[services] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

redis_answers() {
  command -v redis-cli >/dev/null 2>&1 || { port_open "$REDIS_HOST" "$REDIS_PORT"; return; }
  [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = "PONG" ]
}

redis_up() {
  if redis_answers; then
    local policy
    policy="$(redis-cli -u "$REDIS_URL" config get maxmemory-policy 2>/dev/null | tail -n 1 || true)"
    if [ -n "$policy" ] && [ "$policy" != "noeviction" ]; then
      log "warning: Redis at $REDIS_URL has maxmemory-policy=$policy; BullMQ needs noeviction"
    fi
    log "Redis answers at $REDIS_URL (reused)"
    return 0
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    log "redis-server missing: installing Debian's redis-server"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
  fi
  mkdir -p "$RUN_DIR/redis"
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" \
    --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" --dir "$RUN_DIR/redis" \
    --maxmemory-policy noeviction --save "" --appendonly no
  for _ in $(seq 1 50); do
    redis_answers && { log "Redis started at $REDIS_URL (pid $(cat "$RUN_DIR/redis.pid"))"; return 0; }
    sleep 0.1
  done
  log "Redis did not answer at $REDIS_URL; see $RUN_DIR/redis.log"
  return 1
}

stop_pidfile() {
  local name="$1" pidfile="$2"
  [ -f "$pidfile" ] || { log "$name: not started by this script; left alone"; return 0; }
  local pid
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    log "$name stopped (pid $pid)"
  fi
  rm -f "$pidfile"
}

redis_down() { stop_pidfile Redis "$RUN_DIR/redis.pid"; }

ensure_redis_binaries() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    log "redis-server/redis-cli missing: installing Debian's redis-server and redis-tools"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools) >&2
  fi
}

cluster_ok() {
  [ "$(redis-cli -p "${CLUSTER_PORTS[0]}" cluster info 2>/dev/null | tr -d '\r' | grep '^cluster_state:')" = "cluster_state:ok" ] || return 1
  local known
  known="$(redis-cli -p "${CLUSTER_PORTS[0]}" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')"
  [ "$known" = "${#CLUSTER_PORTS[@]}" ]
}

# Three masters (no replicas), each on its own port with its own nodes.conf; then `redis-cli --cluster create`
# assigns the 16384 slots. Idempotent: a cluster that already reports cluster_state:ok is reused.
cluster_up() {
  ensure_redis_binaries
  if cluster_ok; then
    log "Redis Cluster answers on ports ${CLUSTER_PORTS[*]} (reused)"
    return 0
  fi
  mkdir -p "$CLUSTER_DIR"
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ]; then
      # A node of a cluster that never formed (or lost its peers): start it again from an empty state.
      redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
      for _ in $(seq 1 50); do port_open 127.0.0.1 "$port" || break; sleep 0.1; done
    fi
    rm -rf "${CLUSTER_DIR:?}/$port"
    mkdir -p "$CLUSTER_DIR/$port"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
      --cluster-config-file "$CLUSTER_DIR/$port/nodes.conf" --cluster-node-timeout 5000 \
      --pidfile "$CLUSTER_DIR/$port.pid" --logfile "$CLUSTER_DIR/$port.log" --dir "$CLUSTER_DIR/$port" \
      --maxmemory-policy noeviction --save "" --appendonly no
  done
  for port in "${CLUSTER_PORTS[@]}"; do
    local up=0
    for _ in $(seq 1 50); do
      [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ] && { up=1; break; }
      sleep 0.1
    done
    [ "$up" = 1 ] || { log "cluster node :$port did not answer; see $CLUSTER_DIR/$port.log"; return 1; }
  done
  local nodes=()
  for port in "${CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$CLUSTER_DIR/create.log" 2>&1 || {
    log "redis-cli --cluster create failed; see $CLUSTER_DIR/create.log"
    tail -n 20 "$CLUSTER_DIR/create.log" >&2
    return 1
  }
  for _ in $(seq 1 100); do
    if cluster_ok; then
      log "Redis Cluster of ${#CLUSTER_PORTS[@]} masters started on ports ${CLUSTER_PORTS[*]}"
      return 0
    fi
    sleep 0.1
  done
  log "Redis Cluster did not reach cluster_state:ok; see $CLUSTER_DIR/*.log"
  return 1
}

cluster_down() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do stop_pidfile "Redis Cluster node :$port" "$CLUSTER_DIR/$port.pid"; done
}

kafka_jars() {
  if [ -f "$KAFKA_CACHE/.complete" ]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || { log "Maven (mvn) is needed to fetch Kafka $KAFKA_VERSION"; return 1; }
  command -v java >/dev/null 2>&1 || { log "Java 17+ is needed to run Kafka $KAFKA_VERSION"; return 1; }
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central (first start only)"
  mkdir -p "$KAFKA_CACHE/libs"
  mvn -B -q -f "$ROOT/scripts/kafka/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$KAFKA_CACHE/libs" -DincludeScope=runtime >&2
  touch "$KAFKA_CACHE/.complete"
}

kafka_answers() {
  port_open "$KAFKA_HOST" "$KAFKA_PORT" || return 1
  KAFKA_BROKERS="$KAFKA_HOST:$KAFKA_PORT" node "$ROOT/scripts/kafka/ping.mjs" >/dev/null 2>&1
}

kafka_up() {
  if kafka_answers; then
    log "Kafka answers at $KAFKA_HOST:$KAFKA_PORT (reused)"
    return 0
  fi
  kafka_jars
  local dir="$RUN_DIR/kafka-$KAFKA_PORT"
  mkdir -p "$dir/data"
  sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" -e "s#@DATA_DIR@#$dir/data#g" \
    "$ROOT/scripts/kafka/server.properties.template" >"$dir/server.properties"
  local cp="$KAFKA_CACHE/libs/*"
  local jopts=(-Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties")
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
      --ignore-formatted >"$dir/format.log" 2>&1
  fi
  nohup java -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxDirectMemorySize=256m "${jopts[@]}" \
    -cp "$cp" kafka.Kafka "$dir/server.properties" >"$dir/kafka.log" 2>&1 &
  echo $! >"$RUN_DIR/kafka-$KAFKA_PORT.pid"
  for _ in $(seq 1 120); do
    if kafka_answers; then
      log "Kafka $KAFKA_VERSION started at $KAFKA_HOST:$KAFKA_PORT (pid $(cat "$RUN_DIR/kafka-$KAFKA_PORT.pid"))"
      return 0
    fi
    kill -0 "$(cat "$RUN_DIR/kafka-$KAFKA_PORT.pid")" 2>/dev/null || break
    sleep 0.25
  done
  log "Kafka did not become ready; see $dir/kafka.log"
  tail -n 20 "$dir/kafka.log" >&2 || true
  return 1
}

kafka_down() { stop_pidfile "Kafka :$KAFKA_PORT" "$RUN_DIR/kafka-$KAFKA_PORT.pid"; }

topics() {
  KAFKA_BROKERS="$KAFKA_HOST:$KAFKA_PORT" node -C source --import tsx "$ROOT/scripts/create-topics.ts"
}

status() {
  if redis_answers; then echo "redis: up ($REDIS_URL)"; else echo "redis: down ($REDIS_URL)"; fi
  if kafka_answers; then echo "kafka: up ($KAFKA_HOST:$KAFKA_PORT)"; else echo "kafka: down ($KAFKA_HOST:$KAFKA_PORT)"; fi
  if command -v redis-cli >/dev/null 2>&1 && cluster_ok; then
    echo "redis cluster: up (ports ${CLUSTER_PORTS[*]})"
  else
    echo "redis cluster: down (ports ${CLUSTER_PORTS[*]})"
  fi
}

mkdir -p "$RUN_DIR"
case "${1:-}" in
  up) redis_up && kafka_up && topics ;;
  down) kafka_down; redis_down ;;
  status) status ;;
  topics) topics ;;
  kafka-up) kafka_up ;;
  kafka-down) kafka_down ;;
  redis-up) redis_up ;;
  redis-down) redis_down ;;
  cluster-up) cluster_up ;;
  cluster-down) cluster_down ;;
  *) echo "usage: $0 up|down|status|topics|kafka-up|kafka-down|redis-up|redis-down|cluster-up|cluster-down" >&2; exit 2 ;;
esac
