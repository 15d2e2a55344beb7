#!/usr/bin/env bash
# Installs Debian packages for a CI tier quietly: apt's output is printed only when the install fails.
# Usage: apt-install.sh "<tier>" PACKAGE...  (nothing to do without packages)
set -euo pipefail
tier=$1
shift
[ "$#" -eq 0 ] && exit 0

echo "$tier: installing $*"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
