# Jabirc container image.
#
#   docker build -t jabirc .
#   docker run -d --network host \
#     -v /etc/jabirc/config.toml:/etc/jabirc/config.toml:ro -v jabirc-data:/data \
#     -e JABIRC_COMPONENT_SECRET=... -e JABIRC_METRICS_LISTEN=9107 jabirc
#
# Without a mounted file, JABIRC_<SECTION>_<KEY> variables alone configure it.
#
# Two stages: the build stage has the compilers better-sqlite3 may need (when no
# prebuilt binary fits) and the dev dependencies for tsc and rolldown (package.json's
# build: dist/src/main.js is bundled, see rolldown.config.mjs); the runtime stage gets only
# the compiled program and the production node_modules, and runs as `jabirc`.

FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json rolldown.config.mjs ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev

FROM node:20-bookworm-slim
# No JABIRC_CONFIG: the default /etc/jabirc/config.toml may then be absent, and the
# environment alone configures the gateway.
ENV NODE_ENV=production
RUN groupadd --system jabirc \
 && useradd --system --gid jabirc --home-dir /data --no-create-home --shell /usr/sbin/nologin jabirc \
 && mkdir -p /data /etc/jabirc \
 && chown jabirc:jabirc /data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# A commented starting point; mount the real file at /etc/jabirc/config.toml.
COPY config.example.toml /etc/jabirc/config.example.toml
USER jabirc
# Relative database paths (the default data/jabirc.sqlite) land in the volume too.
WORKDIR /data
VOLUME /data
# Healthy when /readyz on the [metrics] listener answers 200 (component link online,
# database writable); `jabirc healthcheck` reads the same file and environment as the
# gateway to find the listener, and fails when none is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/dist/src/main.js", "healthcheck"]
# Exec form: node is PID 1 and receives SIGTERM from `docker stop` directly.
ENTRYPOINT ["node", "/app/dist/src/main.js"]
