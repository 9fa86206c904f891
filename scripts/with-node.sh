#!/usr/bin/env bash
# Runs a command on the project's Node (scripts/use-node.sh): the npm scripts for tokens, benchmarks,
# chaos and soak runs go through it, so they run on the same Node as `npm run dev` and `npm test`.
# Quiet unless it has to fetch Node, so `$(npm run -s token -- seller 42)` prints only the token.
set -euo pipefail
export PROJECT_NODE_ANNOUNCED="${PROJECT_NODE_ANNOUNCED:-quiet}"
source "$(dirname "$0")/use-node.sh"
exec "$@"
