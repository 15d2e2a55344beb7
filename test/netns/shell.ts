// Running the system tools the tier drives (ip, nft) from the test process, which stays in the machine's
// own namespace: every command that touches a network names the tier's namespace explicitly (`ip -n`,
// `ip netns exec`), so nothing here can change the machine's own interfaces, routes or firewall.
import { execFile } from 'node:child_process';

export interface CommandOptions {
  /** Written to the command's standard input (e.g. an nft ruleset). */
  input?: string;
  /** Upper bound; the command is killed after it. Default 10 s. */
  timeoutMs?: number;
}

/** Runs a command; resolves with its standard output, rejects with its standard error. */
export function run(command: string, args: string[], options: CommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 10_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
    // A command that exits without reading its input (ip, nft after an error) must not raise EPIPE here:
    // its exit status and standard error say what went wrong.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

/** `ip ARGS`. */
export function ip(...args: string[]): Promise<string> {
  return run('ip', args);
}

/** Loads an nft ruleset inside a namespace (`nft -f -`): tables there belong to that namespace alone. */
export function nft(namespace: string, ruleset: string): Promise<string> {
  return run('ip', ['netns', 'exec', namespace, 'nft', '-f', '-'], { input: ruleset });
}

/** Pids of the processes living in a namespace (`ip netns pids`); empty when it is gone. */
export async function pidsIn(namespace: string): Promise<number[]> {
  const out = await ip('netns', 'pids', namespace).catch(() => '');
  return out
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

/** Names from `ip netns list` (its lines may carry an `(id: N)` suffix). */
export async function namespaceNames(): Promise<string[]> {
  const out = await ip('netns', 'list');
  return out
    .split('\n')
    .map((line) => line.split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}
