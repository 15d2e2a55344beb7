#!/usr/bin/env bash
# What the container tier (test/container, `npm run test:container`) needs from Debian: podman and buildah
# to build and run the image as root, runc as its OCI runtime (crun fails on these machines' cgroup v1),
# mmdebstrap for the local Node base image (no container registry is reachable), and ip (iproute2) for the
# tier's network namespace. Idempotent and quiet: installs only what is missing, and prints apt's output only
# when the install fails.
set -euo pipefail

need=()
for tool in podman buildah runc mmdebstrap; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
command -v ip >/dev/null 2>&1 || need+=(iproute2)
exec bash "$(dirname "$0")/apt-install.sh" "container tier" ${need[@]+"${need[@]}"}
