#!/usr/bin/env bash
# Installs exactly the npm dependencies pinned by package-lock.json, and fails if it cannot.
# The lock file records every platform's optional binaries (e.g. @swc/core-darwin-*), so `npm ci`
# accepts it on any registry that serves this platform's packages and leaves the tree clean.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
