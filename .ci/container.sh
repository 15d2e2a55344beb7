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
[ "${#need[@]}" -eq 0 ] && exit 0

echo "container tier: installing ${need[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
