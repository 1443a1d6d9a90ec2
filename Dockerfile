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
# --optimize-for-size (which NODE_OPTIONS refuses, so it is here): V8 favours memory over speed in
# its compilers and heap sizing. Measured with hack/bench/levers.ts at 300 Gaims: quiet RSS 174 MiB
# against 258 and 316 MiB without it, with the same convergence time (README, Benchmarks).
ENTRYPOINT ["node", "--optimize-for-size", "/app/dist/src/main.js"]
CMD ["run"]
