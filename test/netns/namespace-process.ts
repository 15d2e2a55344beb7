// A process started by the test inside one of its namespaces: `ip netns exec <ns> <command>`. `ip netns
// exec` enters the namespace and execs the command in place, so the child's pid, pipes and IPC channel
// are the command's own: the test can talk to a fixture inside the namespace over IPC and stop it by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Reply, Request } from './fixtures/rpc.js';

export interface StartOptions {
  /** The whole environment of the process (nothing of the test's own is passed on). */
  env: Record<string, string>;
  /** Open an IPC channel (for the fixture hosts in `fixtures/`). */
  ipc?: boolean;
}

export interface NamespaceProcess {
  readonly child: ChildProcess;
  /** Standard output and error, line by line, in arrival order. */
  readonly lines: string[];
  /** Resolves with the first line (old or new) that matches; rejects after timeoutMs or on exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** One request to a fixture host (fixtures/rpc.ts); rejects with its error, on exit or after timeoutMs. */
  call<T>(op: string, args: unknown, timeoutMs: number): Promise<T>;
  readonly exited: Promise<number | null>;
  /** Sends the signal (SIGKILL after 5 s) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startInNamespace(namespace: string, command: string[], options: StartOptions): NamespaceProcess {
  return startWatched(['ip', 'netns', 'exec', namespace, ...command], options, `${command.join(' ')} in ${namespace}`);
}

/**
 * Any command, watched the same way: its output lines, waits on them, its exit. `what` names it in errors.
 * (The container tier runs podman so, from the machine's own namespace, with --network naming the tier's.)
 */
export function startWatched(argv: string[], options: StartOptions, what: string): NamespaceProcess {
  const [program, ...args] = argv;
  const child = spawn(program!, args, {
    env: options.env,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l !== ''));
      notify();
    });
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      notify();
      resolve(code);
    });
    // A command that cannot start at all (no `ip`) also counts as ended.
    child.once('error', () => {
      exitCode = null;
      notify();
      resolve(null);
    });
  });
  const ended = () => exitCode !== undefined;
  const tail = () => lines.slice(-20).join('\n');

  /** Re-checks `settled` after every output line, exit and message until it resolves or time runs out. */
  function waitUntil<T>(settled: () => T | undefined, timeoutMs: number, awaited: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (f: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        f();
      };
      const check = () => {
        const value = settled();
        if (value !== undefined) return finish(() => resolve(value));
        if (ended()) finish(() => reject(new Error(`${what} exited (${exitCode}) before ${awaited}:\n${tail()}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${awaited} within ${timeoutMs} ms from ${what}:\n${tail()}`))),
        timeoutMs,
      );
      listeners.add(check);
      check();
    });
  }

  const replies = new Map<number, Reply>();
  child.on('message', (message: Reply) => {
    replies.set(message.id, message);
    notify();
  });
  let nextId = 1;

  return {
    child,
    lines,
    exited,
    waitForLine: (pattern, timeoutMs) =>
      waitUntil(() => lines.find((l) => pattern.test(l)), timeoutMs, `a line matching ${pattern}`),
    async call<T>(op: string, args: unknown, timeoutMs: number): Promise<T> {
      const request: Request = { id: nextId++, op, args };
      child.send(request);
      const reply = await waitUntil(() => replies.get(request.id), timeoutMs, `an answer to ${op}`);
      if (!reply.ok) throw new Error(`${op} in ${what}: ${reply.error}`);
      return reply.value as T;
    },
    async stop(signal = 'SIGTERM') {
      if (ended()) return;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** Runs a command to its end inside a namespace; kills it and rejects after timeoutMs. */
export function runInNamespace(
  namespace: string,
  command: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<CommandResult> {
  return runWatched(
    ['ip', 'netns', 'exec', namespace, ...command],
    env,
    timeoutMs,
    `${command.join(' ')} in ${namespace}`,
  );
}

/** Any command run to its end, the same way. */
export async function runWatched(
  argv: string[],
  env: Record<string, string>,
  timeoutMs: number,
  what: string,
): Promise<CommandResult> {
  const started = performance.now();
  const proc = startWatched(argv, { env }, what);
  const stdout: string[] = [];
  const stderr: string[] = [];
  proc.child.stdout!.on('data', (c: Buffer) => stdout.push(c.toString('utf8')));
  proc.child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString('utf8')));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const code = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (code === 'timeout') {
    await proc.stop('SIGKILL');
    throw new Error(`${what} did not end within ${timeoutMs} ms:\n${proc.lines.slice(-20).join('\n')}`);
  }
  return { code, stdout: stdout.join(''), stderr: stderr.join(''), ms: performance.now() - started };
}
