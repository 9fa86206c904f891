#!/usr/bin/env bash
# Prints the path of a `helm` binary (for the chart tests: helm lint / helm template over deploy/helm),
# building it with Go into $(go env GOPATH)/bin when none is installed, as scripts/temporal-cli.sh
# does for the Temporal CLI. Order: $HELM; the pinned build in GOPATH/bin; a Helm 3 on PATH; build.
# Building took 286 s on the 2-core development machine (busy with other work), once; the chart
# tests pass --kube-version themselves, so any Helm 3 renders the same objects.
set -euo pipefail
HELM_MODULE="helm.sh/helm/v3/cmd/helm"
HELM_VERSION="v3.21.4"
# What helm's own Makefile stamps in: the version `helm version` prints, and the Kubernetes version
# that lint and template assume without --kube-version (client-go v0.36 → 1.36; a bare `go install`
# leaves 1.20, which charts with a kubeVersion constraint refuse).
HELM_LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
for pkg in pkg/lint/rules pkg/chartutil; do
  HELM_LDFLAGS="${HELM_LDFLAGS} -X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1 -X helm.sh/helm/v3/${pkg}.k8sVersionMinor=36"
done

version_of() { "$1" version --template '{{.Version}}' 2>/dev/null || true; }

if [ -n "${HELM:-}" ] && [ -x "${HELM}" ]; then echo "${HELM}"; exit 0; fi

gobin=""
if command -v go >/dev/null 2>&1; then
  gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  if [ -x "$gobin/helm" ] && [ "$(version_of "$gobin/helm")" = "${HELM_VERSION}" ]; then echo "$gobin/helm"; exit 0; fi
fi
# A Helm 3 someone installed (brew, the release tarball); not an unstamped build of our own.
if on_path="$(command -v helm 2>/dev/null)" && [ "$on_path" != "$gobin/helm" ]; then
  case "$(version_of "$on_path")" in v3.*) echo "$on_path"; exit 0 ;; esac
fi

if [ -n "$gobin" ]; then
  echo "helm ${HELM_VERSION} not found: building ${HELM_MODULE}@${HELM_VERSION} with Go (about 5 minutes on 2 cores, once)..." >&2
  started=$(date +%s)
  if ! go install -ldflags "${HELM_LDFLAGS}" "${HELM_MODULE}@${HELM_VERSION}" >&2; then
    echo "error: 'go install ${HELM_MODULE}@${HELM_VERSION}' failed (see above)." >&2
    exit 1
  fi
  echo "helm ${HELM_VERSION} built in $(( $(date +%s) - started )) s: $gobin/helm" >&2
  echo "$gobin/helm"; exit 0
fi

cat >&2 <<'MSG'
error: helm is not installed and Go is not available to build it.
Install one of:
  - macOS:   brew install helm
  - Linux:   install Go 1.24+ and re-run (the project builds helm itself), or
             download Helm 3 from https://github.com/helm/helm/releases and put it on your PATH
MSG
exit 1
