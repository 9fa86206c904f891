#!/usr/bin/env bash
# The Prometheus test (test/integration/prometheus.test.ts) runs Debian's `prometheus` server and its
# `promtool` (check config, check rules, test rules): installs the package with apt-get when either is
# missing and we are root; otherwise says loudly what to do (that test then FAILS, it does not skip).
# Only the binaries are needed: the test starts its own server on a free port with a temporary config.
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "prometheus/promtool not found: installing Debian's prometheus with apt-get" >&2
  # No recommends (the node exporter); where systemd runs, the package also starts its own service on :9090.
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) >&2
  command -v prometheus >/dev/null && command -v promtool >/dev/null && exit 0
  echo "apt-get installed prometheus but prometheus/promtool are still not on PATH" >&2
  exit 1
fi
echo "################################################################################" >&2
echo "# prometheus and promtool are missing and cannot be installed here (needs root + apt)." >&2
echo "# test/integration/prometheus.test.ts will FAIL. Install them: apt-get install prometheus" >&2
echo "################################################################################" >&2
