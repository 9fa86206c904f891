#!/usr/bin/env bash
# Makes sure a Redis server answers at REDIS_URL's host:port (default 127.0.0.1:6379): the buyers'
# carts live there. Installs redis-server with apt-get if it is missing, then starts it in the background.
set -euo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=6379
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then exit 0; fi
case "$host" in 127.0.0.1|localhost) ;; *) echo "redis at $host:$port does not answer (REDIS_URL)" >&2; exit 1 ;; esac
if ! command -v redis-server >/dev/null; then
  echo "redis-server not found: installing it with apt-get" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
fi
redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no >/dev/null
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then exit 0; fi
  sleep 0.1
done
echo "redis-server did not start on port $port" >&2
exit 1
