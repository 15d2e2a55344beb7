// Whether this machine can run the tier: Linux, root, a working `ip netns`, dnsmasq, nft and tinyproxy. The
// tier is skipped (loudly) when it cannot run, except under CI (CI=true), where it fails instead.
import { spawnSync } from 'node:child_process';

/** Whether a command runs and exits 0 (within 10 s). */
export function works(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
}

/** Why the tier cannot run here, or undefined when it can. */
export function tierUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'it needs root (ip netns add, /etc/netns)';
  if (!works('ip', ['netns', 'list'])) return '`ip netns` is unavailable (iproute2 missing?)';
  // Listing is allowed where adding is not (a container without CAP_SYS_ADMIN): try one.
  const probe = `plpnet-${process.pid}-probe`;
  if (!works('ip', ['netns', 'add', probe])) return '`ip netns add` fails here (no CAP_SYS_ADMIN?)';
  works('ip', ['netns', 'del', probe]);
  if (!works('dnsmasq', ['--version'])) return 'dnsmasq is not installed (bash .ci/netns.sh installs it)';
  if (!works('nft', ['--version'])) return 'nft is not installed (bash .ci/netns.sh installs it)';
  if (!works('tinyproxy', ['-v'])) return 'tinyproxy is not installed (bash .ci/netns.sh installs it)';
  return undefined;
}
