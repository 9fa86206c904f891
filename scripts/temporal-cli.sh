#!/usr/bin/env bash
# Prints the path of a `temporal` CLI, building it with Go when none is installed.
# v1.5.1 is pinned: newer tags carry a `replace` directive that `go install` refuses.
set -euo pipefail
TEMPORAL_CLI_VERSION="v1.5.1"

if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "${TEMPORAL_CLI}" ]; then echo "${TEMPORAL_CLI}"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi

if command -v go >/dev/null 2>&1; then
  gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  if [ -x "$gobin/temporal" ]; then echo "$gobin/temporal"; exit 0; fi
  # One build at a time on a machine: a second caller (a parallel test run) waits for the first build
  # under the lock and then finds its binary, instead of compiling the same thing beside it.
  mkdir -p "$gobin"
  exec 9>"$gobin/.temporal-cli-build.lock"
  flock 9
  if [ -x "$gobin/temporal" ]; then echo "$gobin/temporal"; exit 0; fi
  echo "temporal CLI not found: building github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION} with Go (a few minutes, once)..." >&2
  if ! go install "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}" >&2; then
    echo "error: 'go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}' failed (see above)." >&2
    exit 1
  fi
  echo "$gobin/temporal"; exit 0
fi

cat >&2 <<'MSG'
error: the Temporal CLI is not installed and Go is not available to build it.
Install one of:
  - macOS:   brew install temporal
  - Linux:   install Go 1.22+ and re-run (the project builds the CLI itself), or
             download the CLI from the Temporal releases page and put `temporal` on your PATH
  - Docker:  docker compose up   (runs Temporal, MySQL and every service from docker-compose.yml)
MSG
exit 1
