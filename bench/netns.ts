// A network namespace of the benchmark's own, for the comparison with Prometheus' blackbox_exporter: the
// exporter resolves names with the system resolver only, and the machine's resolver must never be asked
// about made-up names. Inside the namespace, /etc/netns/<name>/resolv.conf (which `ip netns exec` mounts
// over /etc/resolv.conf) names 127.0.0.1, where the benchmark's DNS fixture listens on port 53; nothing
// routes out of it. Needs root and iproute2; the namespace and its files are removed afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

/** Why the namespace cannot be made here, or undefined when it can. */
export function namespaceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return "no 'ip' command (iproute2)";
  }
  return undefined;
}

/** Runs `command` inside a fresh namespace with loopback up and 127.0.0.1 as its resolver; returns its stdout. */
export async function runInNamespace(
  command: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string }> {
  const name = `plp-bench-${process.pid}`;
  const etc = `/etc/netns/${name}`;
  try {
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    mkdirSync(etc, { recursive: true });
    writeFileSync(`${etc}/resolv.conf`, 'nameserver 127.0.0.1\n');
    const child = spawn('ip', ['netns', 'exec', name, ...command], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => {
      child.once('close', (c) => resolve(c));
      child.once('error', () => resolve(null));
    }).finally(() => clearTimeout(killer));
    return { code, stdout };
  } finally {
    try {
      execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    } catch {
      // Not made, or already gone.
    }
    rmSync(etc, { recursive: true, force: true });
  }
}
