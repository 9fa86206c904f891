#!/bin/sh
# Makes a private CA, a MySQL server certificate and the app's client certificate in $1 (default /tls):
#   ca.pem                            the CA the app verifies the server with (DATABASE_TLS_CA)
#   server-cert.pem, server-key.pem   for mysqld --ssl-cert / --ssl-key; names in MYSQL_TLS_SERVER_NAMES
#   client-cert.pem, client-key.pem   CN=orders, for DATABASE_TLS_CERT / DATABASE_TLS_KEY (the users REQUIRE X509)
# Used by docker-compose.yml's one-shot `mysql-tls` (in the mysql image, which has openssl) and by
# test/integration/mysql-tls.test.ts against a private MariaDB. Development only: a deployment brings
# certificates from its own CA (cert-manager, the cloud provider's) and mounts them (Helm: mysqlTls.*).
# Idempotent: keeps existing files while the server certificate is valid for another 30 days.
set -eu
out="${1:-/tls}"
names="${MYSQL_TLS_SERVER_NAMES:-mysql,localhost,127.0.0.1}"
days="${MYSQL_TLS_DAYS:-825}"
mkdir -p "$out"
cd "$out"

if [ -s server-cert.pem ] && [ -s client-cert.pem ] && openssl x509 -checkend 2592000 -noout -in server-cert.pem >/dev/null 2>&1; then
  echo "mysql-tls: certificates in $out are valid for 30 days or more; kept"
  exit 0
fi

san=""
for name in $(echo "$names" | tr ',' ' '); do
  case "$name" in
    *[!0-9.]*) san="${san:+$san,}DNS:$name" ;;
    *) san="${san:+$san,}IP:$name" ;;
  esac
done

umask 077
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" -subj "/CN=durable-orders development MySQL CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout ca-key.pem -out ca.pem 2>/dev/null

issue() { # issue <name> <subject> <extensions>
  printf '%s\n' "$3" > "$1.ext"
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "$2" -keyout "$1-key.pem" -out "$1.csr" 2>/dev/null
  openssl x509 -req -sha256 -days "$days" -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -extfile "$1.ext" -out "$1-cert.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "/CN=$(echo "$names" | cut -d, -f1)" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san"
issue client "/CN=orders" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
# The CA key signs nothing else: dropping it means nobody can mint another trusted certificate from here.
rm -f ca-key.pem ca.srl

chmod 644 ca.pem server-cert.pem client-cert.pem
chmod 600 server-key.pem client-key.pem
# In the compose one-shot (root): the server key for mysqld (uid 999 in the mysql image), the client
# key for the app image's `node` user (uid 1000). Elsewhere the files stay with whoever ran this.
if [ "$(id -u)" = 0 ]; then
  chown "${MYSQL_TLS_SERVER_UID:-999}" server-key.pem
  chown "${MYSQL_TLS_CLIENT_UID:-1000}" client-key.pem
fi
echo "mysql-tls: CA, server certificate ($san) and client certificate (CN=orders) written to $out"
