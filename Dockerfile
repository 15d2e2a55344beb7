# privatelink-probe, the IoT Edge module image, for docker buildx: one tag for several platforms.
#
#   amd64 + arm64:  docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/privatelink-probe:<version> .
#   arm32v7:        docker buildx build --platform linux/arm/v7 --build-arg NODE_IMAGE=node:22-alpine -t <registry>/privatelink-probe:<version>-arm32v7 .
#
# iotedgedev and the VS Code Azure IoT Edge extension build one platform at a time from the Dockerfile that
# module.json names for it: Dockerfile.<platform> and Dockerfile.<platform>.debug, the same steps as here with
# the platform written in. README, "Build and push", says which tag to use when.
#
# Node 24 (the current LTS) has no arm32v7 image; Node 22 has one and is maintained until 2027-04-30.
# The bundle targets Node 20 and later, so both stages can use either image.
ARG NODE_IMAGE=node:24-alpine

# Build, on the build machine's own platform: the bundle is plain JavaScript, the same for every target. The
# lockfile's dependencies, a type-checked compile, then the bundle: src/cli.ts and every runtime dependency in
# one ES module (scripts/bundle.mjs), so the runtime stage needs no node_modules at all.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
RUN node scripts/bundle.mjs --outdir /bundle

# Runtime: the target platform's base image plus one file, owned by root and read-only to the user the module
# runs as. No RUN here, so a build for another architecture needs no emulation.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /bundle/privatelink-probe.mjs /app/privatelink-probe.mjs
# The Node image's non-root user (uid 1000), as in the IoT Edge Node module template.
USER node
# No HEALTHCHECK: edgeAgent ignores Docker's health status (on-unhealthy behaves like on-failure), so a
# module that must be restarted has to exit, which the module's own watchdog does.
# Exec form: node is PID 1 and receives edgeAgent's SIGTERM itself. V8 flags for memory, each measured (the
# README's "Tested as a container" and "Performance" have the figures): a 1 MB young-generation semi-space (on
# Node 24 the default one costs the module about 22 MB of resident memory for nothing); --optimize-for-size,
# whose smaller heap growth and compacting collections keep the old generation near what is live instead of
# several times that; and no optimizing compilers (TurboFan, Maglev), only the interpreter and Sparkplug's
# baseline code. A probe that runs every few minutes rarely makes a function hot enough to repay compiling it,
# nor collects often enough for the compactions to cost much: in a minute of runs the image spends within 0.1 s
# of the CPU it spends without the flags. Probing 100 targets back to back costs about 30 % more CPU, on Node 24 mostly for
# --optimize-for-size's collections; the README's table shows the alternatives and their memory. DEP0169 is
# the url.parse() deprecation that mqtt.js, under the IoT SDK's MQTT transport, triggers on Node 24 at every
# connect: silenced by its code alone, so the module's log holds IoT Edge-format lines only and any other
# warning still shows.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "--no-turbofan", "--no-maglev", "--disable-warning=DEP0169", "/app/privatelink-probe.mjs"]
CMD ["run"]
