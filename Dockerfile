# One image for every command: `consume` (the default), `migrate …` and `scaler`.
# No `# syntax=` line: with it BuildKit fetches its frontend from Docker Hub, which offline builds cannot reach.

# The base images, overridable for builds that cannot pull them (the cluster tests pass stand-ins).
# Node 24 LTS on Debian 13, pinned by digest (README, "Which Node, and why", says where the digests come from).
ARG NODE_IMAGE=node:24.21.0-trixie-slim@sha256:8ec5d7557396cfe32d21c3f9c13072355ceab22b584578ca4bb28af31120cffe
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian13:nonroot@sha256:774b7d020b24214835769e24c3544835526cd0288f0b094eae48e8b2c2429a79

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# No install scripts: the `node` devDependency's fetches the tests' Node, which this stage has of its own.
# So the project's postinstall does not run either: the patches of patches/ (kafkajs) are applied here.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
RUN npx --no-install patch-package --error-on-fail
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
# tsconfig also includes test/, which is not copied: only dist/src and dist/migrations are built.
RUN npm run build
# The runtime gets this patched tree without the dev dependencies (a second npm ci would undo the patches).
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${RUNTIME_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
# Explicit heap caps (npm run bench reads this line and runs its consumers with it; README, "Memory").
# Young generation: Node 24's V8 sizes its semi-spaces from the old-space cap, 64 MB each at 192 MB, and a
# busy consumer's short-lived garbage (decoded messages, rows, query parameters) fills them: ~110 MB of the
# 310 MB peak RSS. 8 MB semi-spaces cost no measurable throughput. Old space: the live heap peaks at
# ~50 MB (a fetch's batches in flight); 96 MB leaves V8 room to collect it without running major GCs back
# to back, which a 64 MB cap did (half the throughput).
ENV NODE_OPTIONS="--max-old-space-size=96 --max-semi-space-size=8"
# glibc's malloc (docs/performance-consumer.md): one arena per thread that ever allocated (V8's GC helpers,
# libuv's pool) keeps freed memory in each, and its mmap threshold grows with every large free until a
# fetch response's megabytes come from those arenas too. Two arenas and a fixed 128 KiB threshold (large
# Buffers are mapped and unmapped, given back at once) cut 7-14 MB of peak RSS at no measurable CPU.
ENV MALLOC_ARENA_MAX=2
ENV MALLOC_MMAP_THRESHOLD_=131072
# package.json carries "type": "module", which the compiled ESM needs.
COPY package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The CLI finds the migrations at dist/migrations, relative to dist/src/db.
COPY --from=build /app/dist/migrations ./dist/migrations
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8080
# Node is PID 1 and the program handles SIGTERM itself; no npm or shell in between.
# kafkajs 2.2.4 sets a timer with a negative delay when it connects (tulios/kafkajs#1751). Node runs it after
# 1 ms, as Node 20 did silently, but Node 24 also prints a TimeoutNegativeWarning: not JSON, and no fault.
ENTRYPOINT ["/nodejs/bin/node", "--disable-warning=TimeoutNegativeWarning", "dist/src/cli.js"]
CMD ["consume"]
