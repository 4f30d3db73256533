#!/usr/bin/env bash
# Makes sure Debian's chromium is installed (the report's browser test drives it with playwright-core; no browser
# is ever downloaded by npm or Playwright). Called by scripts/test.sh and by the test's own setup.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
echo "[ensure-chromium] $CHROMIUM missing: installing Debian's chromium" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium) >&2
[ -x "$CHROMIUM" ] || { echo "[ensure-chromium] chromium still missing at $CHROMIUM" >&2; exit 1; }
