#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests on a real Temporal dev server and MariaDB
# (jest's global setup starts the server and creates a throwaway database).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  bash scripts/install-deps.sh
fi
bash scripts/ensure-mariadb.sh
TEMPORAL_CLI="$(bash scripts/temporal-cli.sh)"
export TEMPORAL_CLI
npx tsc -p tsconfig.json --noEmit
exec npx jest "$@"
