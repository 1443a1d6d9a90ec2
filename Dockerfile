# syntax=docker/dockerfile:1
# One image for the operator (`run`) and its storage seeding Job (`seed-storage`).

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
# The image's `node` user (uid 1000) runs the process; nothing in /app is writable by it, so the
# container works with a read-only root filesystem.
USER 1000:1000
# node is PID 1 and handles SIGTERM itself (graceful shutdown in the controller).
# V8 flags on the command line (NODE_OPTIONS refuses --optimize-for-size, so they are all here),
# each measured with hack/bench/levers.ts at 300 Gaims (README, Benchmarks):
# --optimize-for-size: V8 favours memory over speed in its compilers and heap sizing; quiet RSS 174
#   MiB against 258 and 316 MiB without it, with the same convergence time.
# --no-opt --no-maglev: no optimising compilers (TurboFan, Maglev); hot code runs as Sparkplug's
#   baseline code. Their compile zones and code were about 36 MiB of RSS (quiet 138 MiB against 173
#   and 176); the operator's work is JSON, TLS and waiting on the API server, so it converged as fast.
#   --no-maglev alone (TurboFan kept for hot code) measured again later: quiet 159 MiB against 138,
#   and a cold start over 300 Gaims took 2.5 CPU s against 2.2 — more memory and no faster.
#   Not --jitless (quiet 126 MiB): without WebAssembly, undici cannot parse HTTP/1.1, and an API
#   server or proxy that does not speak HTTP/2 would be unreachable.
ENTRYPOINT ["node", "--optimize-for-size", "--no-opt", "--no-maglev", "/app/dist/src/main.js"]
CMD ["run"]
