# syntax=docker/dockerfile:1
# One image for every Node process of the stack; docker-compose.yml picks the process with `command`:
#   node dist/apps/api/main.js          HTTP API (default CMD, API_PORT=3000)
#   node dist/apps/worker/main.js       Temporal worker
#   node dist/apps/payment-sim/main.js  WeChat Pay / Alipay simulator (PAYMENT_SIM_PORT=4010)
#   node dist/db/migrate.js             create the database if missing + run migrations, then exit
#   node dist/scripts/token.js ...      mint a JWT (docker compose exec api node dist/scripts/token.js seller 42)
# The same Node as .nvmrc (test/unit/node-runtime.test.ts checks they agree); Debian 12 slim.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ---- build: full install, compile TypeScript, then drop dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled JS + production node_modules, non-root ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PAYMENT_KEYS_DIR=/var/lib/orders/keys
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The development payment keys live in a named volume mounted here (shared by api, worker and
# payment-sim). A fresh named volume copies this directory's ownership, so the `node` user
# (uid 1000, the same in every service) can create the keys in it.
RUN mkdir -p /var/lib/orders/keys \
 && chown node:node /var/lib/orders/keys \
 && chmod 700 /var/lib/orders/keys
USER node
EXPOSE 3000 4010
CMD ["node", "dist/apps/api/main.js"]
