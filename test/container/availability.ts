// Whether this machine can run the container tier: Linux, root, `ip netns`, podman with runc, and mmdebstrap
// for the local Node base image (.ci/container.sh installs them). The tier is skipped (loudly) when it cannot
// run, except under CI (CI=true), where it fails instead.
import { works } from '../netns/availability.js';

/** Why the tier cannot run here, or undefined when it can. */
export function tierUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'containers and network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'it needs root (podman as root, ip netns add)';
  for (const tool of ['podman', 'runc', 'mmdebstrap']) {
    if (!works(tool, ['--version'])) return `${tool} is not installed (bash .ci/container.sh installs it)`;
  }
  const probe = `plpctr-${process.pid}-probe`;
  if (!works('ip', ['netns', 'add', probe])) return '`ip netns add` fails here (no CAP_SYS_ADMIN?)';
  works('ip', ['netns', 'del', probe]);
  return undefined;
}
