#!/usr/bin/env bash
# Installs the npm dependencies pinned by package-lock.json.
# `npm ci` is tried first; it refuses this lock file when the registry in use lacks other platforms'
# optional binaries (@swc/core-darwin-*, -win32-*: the lock records them, the mirror may not serve them).
# `npm install` then installs the same locked versions, skipping what does not exist for this platform.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! npm ci --no-audit --no-fund 2>/tmp/npm-ci-$$.log; then
  if grep -q 'EUSAGE' /tmp/npm-ci-$$.log; then
    echo "npm ci could not use the lock file on this registry; installing the locked versions with npm install" >&2
    npm install --no-audit --no-fund
  else
    cat /tmp/npm-ci-$$.log >&2; rm -f /tmp/npm-ci-$$.log; exit 1
  fi
fi
rm -f /tmp/npm-ci-$$.log
