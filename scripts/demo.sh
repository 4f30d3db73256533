#!/usr/bin/env bash
# The main job, end to end: Redis + Kafka up, the three apps built and started with the Mock provider, the bundled
# sample assessment (40 short essays with a known quality order) quoted and submitted over REST
# (POST /api/v1/assessments), progress while it runs, and the ranking with SSR, position effect, Spearman vs the
# known order, provider calls, cost vs quote, and the HTML report saved to a file (its path printed).
#
#   npm run demo                     (= bash scripts/demo.sh) saves the report to .run/demo/assessment-report.html
#   npm run demo -- --open-report    the same, explicitly; --open-report=FILE saves it to FILE instead
#   bash scripts/demo.sh --keep      leave the apps (and services) running afterwards, so the report URL keeps
#                                    working (alias --keep-running); without it the URL dies with the apps
#   bash scripts/demo.sh --quiet     only the final DEMO_RESULT {json} line (used by bench/demo.bench.ts)
#   bash scripts/demo.sh --skip-build  reuse dist/ from an earlier `npm run build`
#   bash scripts/demo.sh --essays 30 --k 10
#
# App logs: .run/demo/<app>.log. Without --keep it exits leaving nothing running: the apps it started are stopped,
# and Redis/Kafka are stopped only if this run started them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUN_DIR="$ROOT/.run/demo"
KEEP=0
QUIET=0
BUILD=1
DRIVER_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep | --keep-running) KEEP=1; DRIVER_ARGS+=(--apps-kept) ;;
    --quiet) QUIET=1; DRIVER_ARGS+=(--quiet) ;;
    --skip-build) BUILD=0 ;;
    --essays | --k | --timeout-s) DRIVER_ARGS+=("$1" "$2"); shift ;;
    --open-report) DRIVER_ARGS+=(--open-report "$ROOT/.run/demo/assessment-report.html") ;;
    --open-report=*) DRIVER_ARGS+=(--open-report "${1#--open-report=}") ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

say() { [ "$QUIET" = 1 ] || printf '\033[1m[demo]\033[0m %s\n' "$*"; }
quietly() { if [ "$QUIET" = 1 ]; then "$@" >>"$RUN_DIR/setup.log" 2>&1; else "$@"; fi; }

mkdir -p "$RUN_DIR"
: >"$RUN_DIR/setup.log"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export KAFKA_TOPIC_PREFIX="${KAFKA_TOPIC_PREFIX:-huleedu}"

# 1. Services: remember what already ran, so only what this run starts is stopped again.
SERVICES_BEFORE="$(bash scripts/services.sh status || true)"
say "starting Redis and Kafka (scripts/services.sh up)"
quietly bash scripts/services.sh up

APP_PIDS=()
cleanup() {
  local status=$?
  if [ "$KEEP" = 1 ]; then
    say "--keep: apps left running (pids ${APP_PIDS[*]:-none}); stop them with: kill ${APP_PIDS[*]:-}"
    exit "$status"
  fi
  for pid in "${APP_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${APP_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$RUN_DIR"/*.pid
  if ! grep -q '^kafka: up' <<<"$SERVICES_BEFORE"; then quietly bash scripts/services.sh kafka-down || true; fi
  if ! grep -q '^redis: up' <<<"$SERVICES_BEFORE"; then quietly bash scripts/services.sh redis-down || true; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 2. Build.
if [ "$BUILD" = 1 ]; then
  say "building the apps (npm run build)"
  quietly npm run --silent build
fi
for app in api batch-worker cj-integration; do
  [ -f "dist/apps/$app/main.js" ] || { echo "demo: dist/apps/$app/main.js missing; run npm run build" >&2; exit 1; }
done

# 3. Free ports and a fresh API key for this run.
read -r API_PORT WORKER_PORT CJ_PORT < <(node -e '
  const net = require("node:net");
  const one = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); });
  Promise.all([one(), one(), one()]).then((ports) => console.log(ports.join(" ")));')
new_key() { node -e 'console.log(require("node:crypto").randomBytes(24).toString("hex"))'; }
API_KEY="demo-$(new_key)"
# The demo user (a school's assessment team) is a tenant of its own, apart from cj-integration's key.
USER_KEY="school-$(new_key)"

export LOG_LEVEL="${LOG_LEVEL:-info}"
export LLM_DEFAULT_PROVIDER=mock MOCK_PROVIDER_ENABLED=true MOCK_LATENCY_MS="${MOCK_LATENCY_MS:-1500}"
export MOCK_POLL_INTERVAL_MS="${MOCK_POLL_INTERVAL_MS:-250}" BATCH_POLL_INTERVAL_MS="${BATCH_POLL_INTERVAL_MS:-250}"
export API_PORT WORKER_PORT CJ_PORT
# cj-integration is a tenant of the api; only it may name its private result topic.
export API_KEYS="cj-integration:$API_KEY,school:$USER_KEY" CJ_API_KEY="$API_KEY" CJ_API_BASE_URL="http://127.0.0.1:$API_PORT"
export TENANT_CALLBACK_TOPICS="{\"cj-integration\":[\"$KAFKA_TOPIC_PREFIX.cj_integration.comparison_result.v1\"]}"
export CJ_KAFKA_GROUP_ID="${CJ_KAFKA_GROUP_ID:-cj-integration-demo}"

# 4. Start the three apps from the build.
for app in api batch-worker cj-integration; do
  node "dist/apps/$app/main.js" >"$RUN_DIR/$app.log" 2>&1 &
  APP_PIDS+=("$!")
  echo "$!" >"$RUN_DIR/$app.pid"
done
say "started api (:$API_PORT), batch-worker (:$WORKER_PORT), cj-integration (:$CJ_PORT); logs in .run/demo/"

wait_ready() {
  local name="$1" port="$2" pid="$3"
  for _ in $(seq 1 240); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "demo: $name exited during start-up; last lines of .run/demo/$name.log:" >&2
      tail -n 20 "$RUN_DIR/$name.log" >&2
      return 1
    fi
    if node -e "fetch('http://127.0.0.1:$port/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
      return 0
    fi
    sleep 0.25
  done
  echo "demo: $name not ready after 60 s; see .run/demo/$name.log" >&2
  return 1
}
wait_ready api "$API_PORT" "${APP_PIDS[0]}"
wait_ready batch-worker "$WORKER_PORT" "${APP_PIDS[1]}"
wait_ready cj-integration "$CJ_PORT" "${APP_PIDS[2]}"
say "all three apps ready"

# 5. Quote and submit the sample assessment over REST, and report.
DEMO_API_KEY="$USER_KEY" node -C source --import tsx scripts/demo/run-demo.ts \
  --api-url "http://127.0.0.1:$API_PORT" --metrics-url "http://127.0.0.1:$WORKER_PORT/metrics" "${DRIVER_ARGS[@]}"
