# syntax=docker/dockerfile:1.7
# Tributary broker: apps/broker, libs/protocol, libs/kafka-admin and libs/contracts (its version) (followers fetch from leaders
# with it), bundled to one plain-JavaScript file in the build stage (apps/broker/scripts/build.ts);
# the image runs that bundle. It knows nothing of the control plane. Build from the repository root:
#   docker build -f docker/broker.Dockerfile -t ghcr.io/tributary/broker:0.1.0 .
#   docker run --rm -p 9092:9092 -v tributary-data:/var/lib/tributary ghcr.io/tributary/broker:0.1.0
# In Kubernetes the operator passes its own args (node id from the pod ordinal, advertised listener
# from the headless Service) — see apps/operator/src/runtimes/kubernetes/builders/statefulset.ts.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
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
# Only the production dependencies of the broker and the libraries it uses.
RUN npm ci --omit=dev --no-audit --no-fund --workspace @tributary/broker --workspace @tributary/protocol --workspace @tributary/kafka-admin --workspace @tributary/contracts

# The bundle (apps/broker/dist): esbuild and the source-map codec, at the versions package-lock.json
# pins, are installed for this stage only; the final image takes node_modules from the deps stage,
# without them. The bundle is built here from the copied sources, so an image never holds a bundle
# older than its sources.
FROM deps AS build
COPY libs/protocol/ libs/protocol/
COPY libs/kafka-admin/ libs/kafka-admin/
COPY libs/contracts/ libs/contracts/
COPY apps/broker/ apps/broker/
RUN pinned() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; } \
 && npm install --prefix /tmp/build-tools --no-save --no-audit --no-fund "esbuild@$(pinned esbuild)" "@jridgewell/sourcemap-codec@$(pinned @jridgewell/sourcemap-codec)" \
 && cp -r /tmp/build-tools/node_modules/esbuild /tmp/build-tools/node_modules/@esbuild /tmp/build-tools/node_modules/@jridgewell node_modules/ \
 && node apps/broker/scripts/build.ts

FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 tributary \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin tributary \
 && mkdir -p /var/lib/tributary/data /etc/tributary \
 && chown -R 10001:10001 /var/lib/tributary
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
# The version the broker reports (--version, ApiVersions' software version) comes from here: the
# bundle reads ../../../package.json from apps/broker/dist/.
COPY package.json ./
# The bin and the bundle, not the sources: without src/ next to it the bin runs the bundle as built
# (apps/broker/bin/built-broker.js). Stack traces still name the .ts files and lines (the source map).
COPY apps/broker/package.json apps/broker/
COPY apps/broker/bin/ apps/broker/bin/
COPY --from=build /app/apps/broker/dist/ apps/broker/dist/
COPY docker/broker-healthcheck.mjs /usr/local/lib/tributary/healthcheck.mjs
RUN ln -s /app/apps/broker/bin/tributary-broker.js /usr/local/bin/tributary-broker \
 && chmod +x /app/apps/broker/bin/tributary-broker.js
USER 10001:10001
VOLUME ["/var/lib/tributary"]
EXPOSE 9092 9404
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/usr/local/lib/tributary/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["tributary-broker", "--listeners", "PLAINTEXT://0.0.0.0:9092", "--advertised-listeners", "PLAINTEXT://localhost:9092", "--data-dir", "/var/lib/tributary/data", "--metrics-port", "9404"]
