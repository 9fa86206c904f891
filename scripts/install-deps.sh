#!/usr/bin/env bash
# Installs exactly the npm dependencies pinned by package-lock.json, and fails if it cannot.
# The lock file records every platform's optional binaries (e.g. @swc/core-darwin-*), so `npm ci`
# accepts it on any registry that serves this platform's packages and leaves the tree clean.
set -euo pipefail
cd "$(dirname "$0")/.."
# npm ci runs on the project's Node 24 (scripts/use-node.sh), so engine checks and install scripts see it.
source scripts/use-node.sh
npm ci --no-audit --no-fund
