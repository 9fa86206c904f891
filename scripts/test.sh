#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests on a real Temporal dev server and MariaDB
# (jest's global setup starts the server and creates a throwaway database).
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 (.nvmrc) first on PATH, fetched once into ~/.cache if the machine's node is another version:
# tsc, jest, its workers and every process the tests spawn run on it.
source scripts/use-node.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  bash scripts/install-deps.sh
fi
bash scripts/ensure-mariadb.sh
bash scripts/ensure-redis.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-prometheus.sh
TEMPORAL_CLI="$(bash scripts/temporal-cli.sh)"
export TEMPORAL_CLI
# The Helm chart tests lint and render deploy/helm with it (built once with Go when missing).
HELM="$(bash scripts/helm.sh)"
export HELM
npx tsc -p tsconfig.json --noEmit
if [ "$#" -gt 0 ]; then exec npx jest "$@"; fi
# The sweep tests push thousands of workflows through the one dev server, and the short chaos run
# SIGKILLs worker processes under load: each runs on its own after everything else, so their load
# cannot starve the timing-sensitive tests running beside them.
npx jest --testPathIgnorePatterns '/test/integration/(sweeps|chaos)'
npx jest test/integration/sweeps
npx jest test/integration/chaos
