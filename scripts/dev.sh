#!/usr/bin/env bash
# Runs the whole system locally: Temporal dev server (with Web UI), MySQL schema, payment simulator,
# worker, API and the codec server the Web UI decrypts payloads through. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 (.nvmrc) first on PATH, fetched once into ~/.cache if the machine's node is another version.
source scripts/use-node.sh
mkdir -p .data/logs

API_PORT="${API_PORT:-3000}"
PAYMENT_SIM_PORT="${PAYMENT_SIM_PORT:-4010}"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
CODEC_SERVER_PORT="${CODEC_SERVER_PORT:-8234}"
WORKER_METRICS_PORT="${WORKER_METRICS_PORT:-9464}"
export API_PORT PAYMENT_SIM_PORT CODEC_SERVER_PORT WORKER_METRICS_PORT
# The API and worker call the simulator on whichever port it was given (the payment config's default is 4010).
export WECHATPAY_BASE_URL="${WECHATPAY_BASE_URL:-http://127.0.0.1:${PAYMENT_SIM_PORT}}"
export ALIPAY_GATEWAY_URL="${ALIPAY_GATEWAY_URL:-http://127.0.0.1:${PAYMENT_SIM_PORT}/gateway.do}"
# Processes log JSON lines; a person at a terminal gets them coloured and readable instead.
if [ -t 1 ] && [ -z "${LOG_FORMAT:-}" ]; then export LOG_FORMAT=pretty; fi
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:${TEMPORAL_PORT}}"
export TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://localhost:${TEMPORAL_UI_PORT}}"
# Payloads are encrypted with the published development key unless PAYLOAD_CODEC_KEYS is set (docs/operations.md,
# "Encrypted payloads"); the UI may be opened as localhost or 127.0.0.1, so both origins may call the codec server.
export CODEC_CORS_ORIGINS="${CODEC_CORS_ORIGINS:-http://localhost:${TEMPORAL_UI_PORT},http://127.0.0.1:${TEMPORAL_UI_PORT}}"

pidfile=.data/dev.pid
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "The system is already running (npm run dev, pid $(cat "$pidfile")): API http://127.0.0.1:${API_PORT}, Temporal UI ${TEMPORAL_UI_URL}."
  echo "Stop it with Ctrl-C in its terminal (or: kill $(cat "$pidfile")) before starting another."
  exit 1
fi
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The worker's metrics and health port, and the SDK's metrics exporter on the next one.
for port in "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" "$API_PORT" "$PAYMENT_SIM_PORT" "$CODEC_SERVER_PORT" "$WORKER_METRICS_PORT" "$((WORKER_METRICS_PORT + 1))"; do
  if port_busy "$port"; then
    echo "Port $port is already in use by another program; stop it or choose other ports (TEMPORAL_PORT, TEMPORAL_UI_PORT, API_PORT, PAYMENT_SIM_PORT, CODEC_SERVER_PORT, WORKER_METRICS_PORT)." >&2
    exit 1
  fi
done
echo $$ > "$pidfile"

children=()
stopping=0
cleanup() {
  stopping=1
  trap - INT TERM EXIT
  echo; echo "stopping..."
  for ((i=${#children[@]}-1; i>=0; i--)); do kill -TERM "${children[$i]}" 2>/dev/null || true; done
  for pid in "${children[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$pidfile"
  echo "stopped."
}
trap cleanup INT TERM EXIT

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm dependencies..."; bash scripts/install-deps.sh
fi
TEMPORAL_BIN="$(bash scripts/temporal-cli.sh)"
bash scripts/ensure-mariadb.sh
bash scripts/ensure-redis.sh
echo "building..."; npm run --silent build
node dist/db/migrate.js

search_attributes=()
while IFS= read -r line; do [ -n "$line" ] && search_attributes+=(--search-attribute "$line"); done < temporal-config/search-attributes.txt

# Prefix each process's output with its name; $! is the process itself, not the prefixer.
start() {
  local name="$1"; shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  children+=("$!")
}

# The dev server's UI signs nobody in, so it cannot send the codec server a bearer token: its codec
# endpoint carries a support token in the path instead (valid 12 h; restart npm run dev after that).
ui_codec_token="$(node dist/scripts/token.js support 1)"
ui_codec_endpoint="http://127.0.0.1:${CODEC_SERVER_PORT}/token/${ui_codec_token}"
start temporal "$TEMPORAL_BIN" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
  --ui-codec-endpoint "$ui_codec_endpoint" --db-filename .data/temporal.sqlite --log-level warn "${search_attributes[@]}" \
  --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
  --dynamic-config-value system.enableActivityEagerExecution=true \
  --dynamic-config-value matching.useNewMatcher=true \
  --dynamic-config-value matching.numTaskqueueReadPartitions=1 \
  --dynamic-config-value matching.numTaskqueueWritePartitions=1
# WAL + synchronous=normal: durable against a process crash, ~2.5x the default journal's rate; eager
# activities skip a trip through matching; the new matcher on one partition makes task priority
# (domain/work-priority.ts) take effect (test/support/temporal-dev-server.ts: the same flags for tests).
for _ in $(seq 1 120); do port_busy "$TEMPORAL_PORT" && break; sleep 0.5; done
"$TEMPORAL_BIN" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 || sleep 2

start payment-sim node dist/apps/payment-sim/main.js
start codec-server node dist/apps/codec-server/main.js
start worker node dist/apps/worker/main.js
start api node dist/apps/api/main.js
for _ in $(seq 1 60); do port_busy "$API_PORT" && break; sleep 0.5; done
# Worker Versioning is opt-in (WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID, docs/priorities-and-versioning.md):
# a versioned worker gets no tasks until its version is current, so make it current once it has polled.
if [ -n "${WORKER_DEPLOYMENT_NAME:-}" ] && [ -n "${WORKER_BUILD_ID:-}" ]; then
  TEMPORAL_CLI="$TEMPORAL_BIN" bash scripts/set-current-version.sh
fi

cat <<MSG

  API            http://127.0.0.1:${API_PORT}        (health: /health)
  OpenAPI docs   http://127.0.0.1:${API_PORT}/docs
  Temporal UI    ${TEMPORAL_UI_URL}   (payloads decrypted through the codec server)
  Codec server   http://127.0.0.1:${CODEC_SERVER_PORT}   (support/admin tokens; CLI:
                 temporal workflow show -w order-O… --codec-endpoint http://127.0.0.1:${CODEC_SERVER_PORT} \\
                   --codec-auth "Bearer \$(npm run -s token -- support 1)")
  Payment sim    http://127.0.0.1:${PAYMENT_SIM_PORT}
  Tokens         npm run token -- seller 42     (roles: buyer, seller, support, admin)

  Ctrl-C stops everything.
MSG

# Stop everything when any one process dies, so a half-running system never looks healthy.
wait -n "${children[@]}" || true
[ "$stopping" = 1 ] || echo "a process exited; shutting the rest down." >&2
