#!/usr/bin/env bash
# What the network-namespace tier (test/netns, `npm run test:netns`) needs from Debian: ip (iproute2),
# the on-prem resolver (dnsmasq-base: the binary alone, so no dnsmasq service starts on the machine), nft
# (nftables) and the factory's HTTP proxy (tinyproxy-bin: the binary alone, without the tinyproxy package's
# service and /etc/tinyproxy; the tests start it with a config file of their own). Idempotent and quiet:
# installs only what is missing, and prints apt's output only when the install fails.
set -euo pipefail

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || need+=(tinyproxy-bin)
exec bash "$(dirname "$0")/apt-install.sh" "netns tier" ${need[@]+"${need[@]}"}
