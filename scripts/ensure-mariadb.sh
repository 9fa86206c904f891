#!/usr/bin/env bash
# Makes sure a MySQL-compatible server answers at DATABASE_URL's host:port; starts the machine's MariaDB if not.
set -euo pipefail
url="${DATABASE_URL:-mysql://root@127.0.0.1:3306/orders}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" != "$host" ] || port=3306

answers() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

if answers; then exit 0; fi
if [ -x /usr/sbin/mariadbd ] && { [ "$host" = 127.0.0.1 ] || [ "$host" = localhost ]; }; then
  echo "MariaDB not answering on $host:$port: starting /usr/sbin/mariadbd" >&2
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do answers && exit 0; sleep 0.5; done
fi
echo "error: no MySQL server answers at $host:$port (DATABASE_URL). Start MySQL/MariaDB there, or set DATABASE_URL." >&2
exit 1
