# syntax=docker/dockerfile:1.7
# Tributary control plane: apps/api + apps/operator + the console's static files, one image.
# Node 24 runs the TypeScript sources directly (type stripping): there is no compile step for the
# server side. Build from the repository root:
#   docker build -f docker/control-plane.Dockerfile -t ghcr.io/tributary/control-plane:0.1.0 .
# Run the API:       docker run --rm -p 8080:8080 -e DATABASE_URL=... -e REDIS_URL=... IMAGE
# Run the operator:  docker run --rm -e ... IMAGE node apps/operator/src/main.ts

ARG NODE_IMAGE=node:24-slim

# ---- manifests only, so that dependency layers are cached until a package.json changes ----------
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/operator/package.json apps/operator/
COPY apps/broker/package.json apps/broker/
COPY apps/cli/package.json apps/cli/
COPY apps/console/package.json apps/console/
COPY libs/api-client/package.json libs/api-client/
COPY libs/contracts/package.json libs/contracts/
COPY libs/db/package.json libs/db/
COPY libs/kafka-admin/package.json libs/kafka-admin/
COPY libs/pricing/package.json libs/pricing/
COPY libs/rebalance/package.json libs/rebalance/
COPY libs/spec/package.json libs/spec/
COPY libs/protocol/package.json libs/protocol/
COPY libs/testkit/package.json libs/testkit/

# ---- the console is the one part with a build (Vite); it needs the dev dependencies ---------------
FROM ${NODE_IMAGE} AS console
WORKDIR /app
COPY --from=manifests /src/ ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build --workspace @tributary/console --if-present && mkdir -p apps/console/dist

# ---- production dependencies, and the Prisma client generated from the schema --------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /src/ ./
COPY prisma/ prisma/
# npm ci's postinstall generates the Prisma client from prisma/schema.prisma (npm run db:generate).
# prisma.config.ts (engine 'js', its adapter) keeps `prisma generate` offline: without it Prisma
# downloads a native schema engine from binaries.prisma.sh (the first buildah build failed there).
COPY prisma.config.ts ./
COPY libs/db/src/prisma-cli-adapter.ts libs/db/src/
RUN npm ci --omit=dev --no-audit --no-fund

# ---- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# tini as PID 1: forwards SIGTERM to node and reaps zombies (the operator starts no children in
# Kubernetes, but the API and the local runtime may).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 tributary \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin tributary
WORKDIR /app
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY apps/api/ apps/api/
COPY apps/operator/ apps/operator/
COPY apps/console/package.json apps/console/
COPY --from=console /app/apps/console/dist apps/console/dist
COPY libs/ libs/
COPY prisma/ prisma/
COPY docker/healthcheck.mjs /usr/local/lib/tributary/healthcheck.mjs
# Workspace packages are symlinks under node_modules/@tributary → the sources copied above.
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/usr/local/lib/tributary/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "apps/api/src/main.ts"]
