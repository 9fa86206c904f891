# Sourced (not executed: no exec bit) by the mysql image's entrypoint on the first start of an empty
# data volume, as root over the socket, so docker_process_sql is available. Least privilege:
#   orders          the API and worker: rows only (SELECT, INSERT, UPDATE, DELETE) on `orders`, and
#                   only over TLS with the client certificate the mysql-tls one-shot issued (REQUIRE X509)
#   orders_migrate  the migrate one-shot: also the DDL migrations need (CREATE, ALTER, DROP, INDEX,
#                   REFERENCES) on `orders` — CREATE on orders.* also lets it create the database
#   temporal        Temporal's server and schema tool: everything on its two databases, nothing else
# No user but root can touch another database; root's password never leaves the mysql service.
# Passwords come from the service's environment (docker-compose.yml); a fresh volume is needed
# for changes here to apply (docker compose down -v).

: "${ORDERS_DB_PASSWORD:?}" "${ORDERS_MIGRATE_DB_PASSWORD:?}" "${TEMPORAL_DB_PASSWORD:?}"

docker_process_sql --database=mysql <<SQL
CREATE DATABASE IF NOT EXISTS \`orders\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

CREATE USER IF NOT EXISTS 'orders'@'%' IDENTIFIED BY '${ORDERS_DB_PASSWORD}' REQUIRE X509;
GRANT SELECT, INSERT, UPDATE, DELETE ON \`orders\`.* TO 'orders'@'%';

CREATE USER IF NOT EXISTS 'orders_migrate'@'%' IDENTIFIED BY '${ORDERS_MIGRATE_DB_PASSWORD}' REQUIRE X509;
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX, REFERENCES ON \`orders\`.* TO 'orders_migrate'@'%';

CREATE USER IF NOT EXISTS 'temporal'@'%' IDENTIFIED BY '${TEMPORAL_DB_PASSWORD}';
GRANT ALL PRIVILEGES ON \`temporal\`.* TO 'temporal'@'%';
GRANT ALL PRIVILEGES ON \`temporal_visibility\`.* TO 'temporal'@'%';
SQL
