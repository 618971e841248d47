# Popsink on-prem: one image for both roles, chosen by POPSINK_ROLE (all, api or runtime).
# Configuration is README's environment variables; docker-compose.yml wires a full installation.

# --- dependencies: `npm ci` from the project's lockfile, production packages only ---------------
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 installs a prebuilt binary; the toolchain is its fallback where none fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# No install-time telemetry (swagger-ui-dist's postinstall).
ENV SCARF_ANALYTICS=false
RUN npm ci --omit=dev --no-audit --no-fund

# --- the image: the compiled platform (dist/, `npm run build`), as the unprivileged `node` user ---
FROM node:20.20.2-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    POPSINK_DATA_DIR=/data \
    PORT=8000 \
    POPSINK_RUNTIME_PORT=8001
COPY --from=deps /app/node_modules ./node_modules
# .dockerignore keeps tests, benchmarks, test servers, local data and node_modules out.
COPY . .
RUN node scripts/build.mjs && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000 8001
# Liveness: the API's /api/livez, or a runtime-only process's /livez on POPSINK_RUNTIME_PORT.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
  CMD ["node", "-e", "const e = process.env; const url = e.POPSINK_ROLE === 'runtime' ? 'http://127.0.0.1:' + (e.POPSINK_RUNTIME_PORT || 8001) + '/livez' : 'http://127.0.0.1:' + (e.PORT || 8000) + '/api/livez'; fetch(url).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `npm start` runs once built, as one process that receives SIGTERM itself (graceful stop).
CMD ["node", "--enable-source-maps", "dist/main.js"]
