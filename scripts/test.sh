#!/usr/bin/env bash
# The whole test run (README's test command): lint, type-check, unit tests (no services), build, then integration
# tests against real Redis and Kafka (started by the jest global setup through scripts/services.sh) and Debian's
# chromium for the report's browser test (installed by scripts/ensure-chromium.sh when missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-vm-modules"

step() { printf '\n== %s\n' "$*"; }
step "lint (eslint + prettier)"
npx eslint . --max-warnings 0
npx prettier --check . --log-level warn
step "type-check"
npx tsc -p tsconfig.json --noEmit
step "unit tests"
npx jest --selectProjects unit --ci
step "build"
node scripts/build.mjs
step "browser for the report test (Debian's chromium)"
bash scripts/ensure-chromium.sh
step "local Redis Cluster for the cluster integration test (idempotent)"
bash scripts/services.sh cluster-up
step "integration tests (real Redis + Kafka)"
# --forceExit: a client library may keep a socket open after its test closed it; CI must never hang on that.
npx jest --selectProjects integration --ci --runInBand --forceExit
