# privatelink-probe, the IoT Edge module image.
#
#   amd64 + arm64:  docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/privatelink-probe:<version> .
#   arm32v7:        docker buildx build --platform linux/arm/v7 --build-arg NODE_IMAGE=node:22-alpine -t <registry>/privatelink-probe:<version>-arm32v7 .
#
# Node 24 (the current LTS) has no arm32v7 image; Node 22 has one and is maintained until 2027-04-30.
# The bundle targets Node 20 and later, so both stages can use either image.
ARG NODE_IMAGE=node:24-alpine

# Build: the lockfile's dependencies, a type-checked compile, then the bundle: src/cli.ts and every runtime
# dependency in one ES module (scripts/bundle.mjs), so the runtime stage needs no node_modules at all.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
RUN node scripts/bundle.mjs --outdir /bundle

# Runtime: the base image plus one file, owned by root and read-only to the user the module runs as.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /bundle/privatelink-probe.mjs /app/privatelink-probe.mjs
# The Node image's non-root user (uid 1000), as in the IoT Edge Node module template.
USER node
# No HEALTHCHECK: edgeAgent ignores Docker's health status (on-unhealthy behaves like on-failure), so a
# module that must be restarted has to exit, which the module's own watchdog does.
# Exec form: node is PID 1 and receives edgeAgent's SIGTERM itself.
ENTRYPOINT ["node", "/app/privatelink-probe.mjs"]
CMD ["run"]
