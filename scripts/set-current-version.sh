#!/usr/bin/env bash
# Makes the worker's version (WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID) the current version of its
# Worker Deployment, so it receives tasks: a versioned worker polls, but gets no work until its version
# is current (or ramping). The version exists once a worker of it has polled, so this retries for a
# while (SET_CURRENT_VERSION_WAIT seconds, default 60). Used by scripts/dev.sh and the worker
# versioning test; in production the same CLI command (or the Temporal UI) is the deploy's last step.
#
#   WORKER_DEPLOYMENT_NAME=orders WORKER_BUILD_ID=abc123 TEMPORAL_ADDRESS=127.0.0.1:7233 bash scripts/set-current-version.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${WORKER_DEPLOYMENT_NAME:?WORKER_DEPLOYMENT_NAME is not set}"
: "${WORKER_BUILD_ID:?WORKER_BUILD_ID is not set}"
TEMPORAL_BIN="${TEMPORAL_CLI:-$(bash scripts/temporal-cli.sh)}"
address="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"
wait_s="${SET_CURRENT_VERSION_WAIT:-60}"
last=""
for _ in $(seq 1 "$((wait_s * 2))"); do
  if last="$("$TEMPORAL_BIN" worker deployment set-current-version --address "$address" --namespace "$namespace" \
      --deployment-name "$WORKER_DEPLOYMENT_NAME" --build-id "$WORKER_BUILD_ID" --yes 2>&1)"; then
    echo "worker version ${WORKER_DEPLOYMENT_NAME}.${WORKER_BUILD_ID} is the current version of deployment ${WORKER_DEPLOYMENT_NAME}"
    exit 0
  fi
  sleep 0.5
done
echo "error: could not make ${WORKER_DEPLOYMENT_NAME}.${WORKER_BUILD_ID} current within ${wait_s}s (has a worker of that version polled?): ${last}" >&2
exit 1
