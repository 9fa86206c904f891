#!/usr/bin/env bash
# The pay-page tests drive Debian's Chromium through playwright-core (never a downloaded browser).
# Installs it with apt-get when it is missing and we are root; otherwise says loudly what to do.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "chromium not found at $CHROMIUM: installing Debian's chromium with apt-get" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  exit 0
fi
echo "################################################################################" >&2
echo "# chromium is missing at $CHROMIUM and cannot be installed here (needs root + apt)." >&2
echo "# The browser tests (test/browser) will FAIL. Install it: apt-get install chromium" >&2
echo "################################################################################" >&2
