// podman as this tier drives it: as root, from the machine's own network namespace (runc refuses a
// container's sysctls in the namespace it runs in, taking it for the host's), with the settings that work on
// the CI machines (a sandbox with cgroup v1): the vfs storage driver, runc (crun fails there), and open-file
// and process limits the sandbox grants (podman's defaults ask for more, and the container then fails to
// start). podman's own warnings about that sandbox (no pids cgroup) are left out of the output, where they
// would mix with the container's.
import { run, type CommandOptions } from '../netns/shell.js';

export const PODMAN_GLOBAL = ['--storage-driver', 'vfs', '--runtime', 'runc', '--log-level', 'error'];
export const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

/**
 * What edgeAgent gives the module with the deployment's createOptions (ReadonlyRootfs, CapDrop ALL,
 * no-new-privileges), as the image's user (uid 1000), with no port published. Docker's ReadonlyRootfs leaves
 * /tmp read-only too, where podman's --read-only would mount a writable tmpfs on it.
 */
export const AS_EDGE_AGENT_RUNS_IT = [
  '--read-only',
  '--read-only-tmpfs=false',
  '--user',
  '1000',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  ...LIMITS,
];

/** `podman <global flags> ARGS`; resolves with its standard output. */
export function podman(args: string[], options: CommandOptions = {}): Promise<string> {
  return run('podman', [...PODMAN_GLOBAL, ...args], { timeoutMs: 60_000, ...options });
}

/** `podman ARGS` as an argv, for a process the test watches (e.g. an attached `podman run`). */
export function podmanCommand(args: string[]): string[] {
  return ['podman', ...PODMAN_GLOBAL, ...args];
}

/** Whether an image with this name exists in local storage. */
export async function imageExists(name: string): Promise<boolean> {
  return podman(['image', 'exists', name]).then(
    () => true,
    () => false,
  );
}

/** An image's size in bytes, as podman counts it (its layers, uncompressed). */
export async function imageSize(name: string): Promise<number> {
  return Number((await podman(['image', 'inspect', '--format', '{{.Size}}', name])).trim());
}
