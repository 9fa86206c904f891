#!/usr/bin/env bash
# `npm run temporal:server`: a production-shaped Temporal on this machine, without Docker — the real
# server binary (go.temporal.io/server, the version the CLI's dev server and docker-compose run) on
# PostgreSQL with several history shards, SQL visibility with the project's search attributes
# (temporal-config/search-attributes.txt), the dynamic config of temporal-config/dynamicconfig/ (the
# file docker-compose mounts), and the Web UI (the ui-server the CLI embeds, built once).
#
#   npm run temporal:server                      # frontend 127.0.0.1:7233, UI http://127.0.0.1:8080
#   TEMPORAL_SERVER_PORT=7800 npm run temporal:server
#   TEST_TEMPORAL_ADDRESS=127.0.0.1:7800 npm test  # the suite against it instead of a dev server
#
# Builds (once, cached in $(go env GOPATH)/bin): server (~4-6 min), sql schema tool (~1 min), UI server.
# Creates the databases and applies the versioned schemas shipped in the server module; registers the
# namespace and the search attributes; then runs in the foreground. Ctrl-C stops it; state persists in
# PostgreSQL. The shard count is fixed when the databases are created: to change it, drop them
# (TEMPORAL_SERVER_RESET=1 drops and recreates both databases).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="v1.29.1"            # go.temporal.io/server; docker-compose's temporalio/auto-setup:1.29.1
UI_VERSION="v2.42.1"         # github.com/temporalio/ui-server/v2, the UI the CLI v1.5.1 embeds
PORT="${TEMPORAL_SERVER_PORT:-7233}"
UI_PORT="${TEMPORAL_SERVER_UI_PORT:-8080}"
SHARDS="${TEMPORAL_HISTORY_SHARDS:-4}"
NAMESPACE="${TEMPORAL_SERVER_NAMESPACE:-default}"
PG_HOST="${TEMPORAL_SQL_HOST:-127.0.0.1}"
PG_PORT="${TEMPORAL_SQL_PORT:-5432}"
PG_USER="${TEMPORAL_SQL_USER:-postgres}"
PG_PASSWORD="${TEMPORAL_SQL_PASSWORD:-}"
DB="${TEMPORAL_SQL_DATABASE:-temporal}"
VISIBILITY_DB="${TEMPORAL_SQL_VISIBILITY_DATABASE:-temporal_visibility}"
STATE_DIR=".data/temporal-server/${PORT}"

fail() { echo "error: $*" >&2; exit 1; }
[[ "$SHARDS" =~ ^[1-9][0-9]*$ ]] || fail "TEMPORAL_HISTORY_SHARDS must be a positive whole number, got \"$SHARDS\""
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Every service of the one process gets a port derived from the frontend's, so two servers never collide.
HISTORY_PORT=$((PORT + 1)); MATCHING_PORT=$((PORT + 2)); WORKER_PORT=$((PORT + 3)); HTTP_PORT=$((PORT + 4)); METRICS_PORT=$((PORT + 5))
for p in "$PORT" "$HISTORY_PORT" "$MATCHING_PORT" "$WORKER_PORT" "$HTTP_PORT" "$METRICS_PORT" $((PORT + 10)) $((PORT + 11)) $((PORT + 12)) $((PORT + 13)) "$UI_PORT"; do
  port_busy "$p" && fail "port $p is in use (a dev server or another Temporal?); choose TEMPORAL_SERVER_PORT / TEMPORAL_SERVER_UI_PORT"
done

command -v go >/dev/null 2>&1 || fail "Go is needed to build the Temporal server (or set TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL and TEMPORAL_SCHEMA_DIR)"
gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
build() { # build <binary path> <package@version>
  if [ ! -x "$1" ]; then
    echo "building $2 (once; a few minutes)..." >&2
    GOBIN="$(dirname "$1")" go install "$2" >&2 || fail "go install $2 failed (see above)"
  fi
}
SERVER_BIN="${TEMPORAL_SERVER_BIN:-$gobin/server}"
SQL_TOOL="${TEMPORAL_SQL_TOOL:-$gobin/sql}"
UI_BIN="${TEMPORAL_UI_SERVER_BIN:-$gobin/temporal-ui/server}"
build "$SERVER_BIN" "go.temporal.io/server/cmd/server@${VERSION}"
build "$SQL_TOOL" "go.temporal.io/server/cmd/tools/sql@${VERSION}"
"$SERVER_BIN" --version 2>/dev/null | grep -q "${VERSION#v}" || echo "warning: $SERVER_BIN is not ${VERSION}: $("$SERVER_BIN" --version 2>&1 | head -1)" >&2
SCHEMA_DIR="${TEMPORAL_SCHEMA_DIR:-$(go env GOMODCACHE)/go.temporal.io/server@${VERSION}/schema/postgresql/v12}"
[ -d "$SCHEMA_DIR/temporal/versioned" ] || go mod download "go.temporal.io/server@${VERSION}" >/dev/null 2>&1 || true
[ -d "$SCHEMA_DIR/temporal/versioned" ] || fail "schema not found in $SCHEMA_DIR (set TEMPORAL_SCHEMA_DIR)"

# --- PostgreSQL: both databases, schema at the server's version (update-schema applies only what is missing).
sql() { SQL_PASSWORD="$PG_PASSWORD" "$SQL_TOOL" --plugin postgres12 --ep "$PG_HOST" -p "$PG_PORT" -u "$PG_USER" "$@"; }
for pair in "$DB:temporal" "$VISIBILITY_DB:visibility"; do
  db="${pair%%:*}"; kind="${pair##*:}"
  if [ "${TEMPORAL_SERVER_RESET:-}" = 1 ]; then sql --db "$db" drop-database --force >/dev/null 2>&1 || true; fi
  sql --db "$db" create-database >/dev/null 2>&1 || true   # "already exists" is fine
  # Version 0.0 only creates the schema_version bookkeeping (a no-op when present); update-schema then
  # applies the versioned steps the database does not have yet.
  sql --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || fail "setup-schema on $db failed (is PostgreSQL at $PG_HOST:$PG_PORT, user $PG_USER?)"
  sql --db "$db" update-schema -d "$SCHEMA_DIR/$kind/versioned" >/dev/null 2>&1 || fail "update-schema on $db failed (run: $SQL_TOOL --plugin postgres12 --db $db update-schema -d $SCHEMA_DIR/$kind/versioned)"
done

# --- Server configuration, generated for these ports and databases.
mkdir -p "$STATE_DIR/config"
DYNAMIC_CONFIG="$(pwd)/temporal-config/dynamicconfig/development-sql.yaml"
datastore() { cat <<YAML
      sql:
        pluginName: postgres12
        databaseName: "$1"
        connectAddr: "${PG_HOST}:${PG_PORT}"
        connectProtocol: tcp
        user: "${PG_USER}"
        password: "${PG_PASSWORD}"
        maxConns: $2
        maxIdleConns: $2
        maxConnLifetime: 1h
YAML
}
cat > "$STATE_DIR/config/development.yaml" <<YAML
# Generated by scripts/temporal-server.sh; edit the script, not this file.
log:
  stdout: true
  level: ${TEMPORAL_SERVER_LOG_LEVEL:-warn}
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${SHARDS}
  datastores:
    default:
$(datastore "$DB" 20)
    visibility:
$(datastore "$VISIBILITY_DB" 10)
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: 127.0.0.1:${METRICS_PORT}
services:
  frontend:
    rpc: { grpcPort: ${PORT}, membershipPort: $((PORT + 10)), bindOnLocalHost: true, httpPort: ${HTTP_PORT} }
  history:
    rpc: { grpcPort: ${HISTORY_PORT}, membershipPort: $((PORT + 11)), bindOnLocalHost: true }
  matching:
    rpc: { grpcPort: ${MATCHING_PORT}, membershipPort: $((PORT + 12)), bindOnLocalHost: true }
  worker:
    rpc: { grpcPort: ${WORKER_PORT}, membershipPort: $((PORT + 13)), bindOnLocalHost: true }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${PORT}
      httpAddress: 127.0.0.1:${HTTP_PORT}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "${DYNAMIC_CONFIG}"
  pollInterval: 10s
YAML

children=()
cleanup() {
  trap - INT TERM EXIT
  for ((i=${#children[@]}-1; i>=0; i--)); do kill -TERM "${children[$i]}" 2>/dev/null || true; done
  for pid in "${children[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup INT TERM EXIT

started=$(date +%s.%N)
# Its JSON logs go to a file: start-up alone writes dozens of transient "not enough hosts" errors.
SERVER_LOG="$STATE_DIR/server.log"
"$SERVER_BIN" --root "$STATE_DIR" --config config --env development --allow-no-auth start >>"$SERVER_LOG" 2>&1 &
children+=("$!")

TEMPORAL_BIN="$(bash scripts/temporal-cli.sh)"
cli() { "$TEMPORAL_BIN" "$@" --address "127.0.0.1:${PORT}"; }
for _ in $(seq 1 240); do cli operator cluster health >/dev/null 2>&1 && break; kill -0 "${children[0]}" 2>/dev/null || { tail -20 "$SERVER_LOG" >&2; fail "temporal server exited (log: $SERVER_LOG)"; }; sleep 0.25; done
cli operator cluster health >/dev/null 2>&1 || fail "temporal server did not become healthy"
healthy=$(date +%s.%N)

# --- Namespace and search attributes (idempotent: existing ones are kept).
cli operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 \
  || cli operator namespace create --namespace "$NAMESPACE" --retention "${TEMPORAL_NAMESPACE_RETENTION:-72h}" >/dev/null
# A new namespace reaches every service's namespace cache within ~10 s: retry until the attributes are there.
attributes_ready=0
for _ in $(seq 1 60); do
  existing="$(cli operator search-attribute list --namespace "$NAMESPACE" 2>/dev/null || true)"
  missing=0
  while IFS='=' read -r name type; do
    [ -n "$name" ] || continue
    grep -qw "$name" <<<"$existing" && continue
    missing=1
    cli operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" >/dev/null 2>&1 || true
  done < temporal-config/search-attributes.txt
  [ "$missing" = 0 ] && { attributes_ready=1; break; }
  sleep 1
done
[ "$attributes_ready" = 1 ] || fail "could not register the search attributes of temporal-config/search-attributes.txt in namespace $NAMESPACE"

# --- Web UI: the ui-server the CLI embeds, pointed at this frontend.
ui_line="(UI not built: set TEMPORAL_SERVER_UI=1 once to build it, ~2 min)"
if [ -x "$UI_BIN" ] || [ "${TEMPORAL_SERVER_UI:-}" = 1 ]; then
  build "$UI_BIN" "github.com/temporalio/ui-server/v2/cmd/server@${UI_VERSION}"
  mkdir -p "$STATE_DIR/ui/config"
  cat > "$STATE_DIR/ui/config/development.yaml" <<YAML
temporalGrpcAddress: 127.0.0.1:${PORT}
host: 127.0.0.1
port: ${UI_PORT}
enableUi: true
defaultNamespace: ${NAMESPACE}
cors:
  allowOrigins: ["http://127.0.0.1:${UI_PORT}", "http://localhost:${UI_PORT}"]
YAML
  "$UI_BIN" --root "$STATE_DIR/ui" --config config --env development start > >(sed -u 's/^/[temporal-ui] /') 2>&1 &
  children+=("$!")
  ui_line="http://127.0.0.1:${UI_PORT}"
fi

cat <<MSG

  Temporal server ${VERSION}   127.0.0.1:${PORT}   (healthy $(awk "BEGIN{printf \"%.1f\", $healthy - $started}") s after start)
  Persistence                 PostgreSQL ${PG_HOST}:${PG_PORT}, databases ${DB} + ${VISIBILITY_DB} (SQL visibility), ${SHARDS} history shards
  Dynamic config              temporal-config/dynamicconfig/development-sql.yaml (the file docker-compose mounts)
  Namespace                   ${NAMESPACE}, search attributes: $(cut -d= -f1 temporal-config/search-attributes.txt | paste -sd, -)
  Web UI                      ${ui_line}
  Server metrics              http://127.0.0.1:${METRICS_PORT}/metrics     log: ${SERVER_LOG}

  Use it:   TEMPORAL_ADDRESS=127.0.0.1:${PORT} npm run dev      (or the worker/API directly)
            TEST_TEMPORAL_ADDRESS=127.0.0.1:${PORT} npm test    (the suite on this server)
  Ctrl-C stops it.
MSG

wait -n "${children[@]}" || true
