#!/usr/bin/env bash
# What the network-namespace tier (test/netns, `npm run test:netns`) needs from Debian: ip (iproute2),
# the on-prem resolver (dnsmasq-base: the binary alone, so no dnsmasq service starts on the machine) and
# nft (nftables). Idempotent and quiet: installs only what is missing, and prints apt's output only when
# the install fails.
set -euo pipefail

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)
[ "${#need[@]}" -eq 0 ] && exit 0

echo "netns tier: installing ${need[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
