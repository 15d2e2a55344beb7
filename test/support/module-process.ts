// The module as users run it: the built CLI's `run` command in a child process, with the environment
// edgeAgent would give it. Output is collected line by line so tests can wait for what it logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: the nearest folder above this file with a package.json (from test/ or dist/test/). */
export function repositoryRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** The entry point the container runs: the esbuild bundle (`npm test` builds it first). */
export const CLI_ENTRY = path.resolve(
  repositoryRoot(),
  process.env.PLP_CLI_ENTRY ?? 'dist/bundle/privatelink-probe.mjs',
);

export interface ModuleProcess {
  child: ChildProcess;
  lines: string[];
  /**
   * Resolves with the first line (old or new) that matches, from index `from` of `lines` on (default 0: a line
   * already seen counts; `lines.length` taken before acting: only what follows); rejects after timeoutMs or on exit.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Sends the signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
  exited: Promise<number | null>;
}

/**
 * `env` over a minimal base (JSON logs, no HTTP port); a variable given as undefined is left unset. `nodeArgs`
 * go to node before the entry point (e.g. `--expose-gc` and an `--import` of test instrumentation).
 */
export function startModuleProcess(
  env: Record<string, string | undefined>,
  args: string[] = ['run'],
  nodeArgs: string[] = [],
): ModuleProcess {
  const child = spawn(process.execPath, [...nodeArgs, CLI_ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer, carry: { rest: string }) => {
    const text = carry.rest + chunk.toString('utf8');
    const parts = text.split('\n');
    carry.rest = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.length > 0));
    for (const w of waiters) w();
  };
  const out = { rest: '' };
  const err = { rest: '' };
  child.stdout!.on('data', (c: Buffer) => collect(c, out));
  child.stderr!.on('data', (c: Buffer) => collect(c, err));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      for (const w of waiters) w();
      resolve(code);
    }),
  );

  return {
    child,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.slice(from).find((l) => pattern.test(l));
          if (found !== undefined) return finish(() => resolve(found));
          if (child.exitCode !== null)
            finish(() =>
              reject(
                new Error(
                  `module exited (${child.exitCode}) before a line matched ${pattern}:\n${lines.slice(-20).join('\n')}`,
                ),
              ),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`no line matched ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)),
            ),
          timeoutMs,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      const t0 = Date.now();
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
}
