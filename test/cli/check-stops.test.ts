// `check` ends promptly whatever it is pointed at and whenever it is stopped: a FIFO or a device given as
// --config-toml or --ca-file is a clear error at once (a FIFO used to block the read, Ctrl-C and SIGTERM
// included, forever; /dev/zero grew memory without bound), and SIGINT or SIGTERM during a run end it at
// once with the shell's exit code, no half-measured table. The bundle in a child process, real files.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModuleProcess } from '../support/module-process.js';

let dir: string;
let fifo: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'plp-check-stops-'));
  fifo = path.join(dir, 'config.toml');
  execFileSync('mkfifo', [fifo]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** `check` with these arguments, to its exit: the code, what it wrote, and how long it took. */
async function checkToExit(args: string[]): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = Date.now();
  const cli = startModuleProcess({}, ['check', ...args]);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 15_000);
  const code = await cli.exited;
  clearTimeout(timer);
  return { code, output: cli.lines.join('\n'), ms: Date.now() - t0 };
}

describe('check refuses files it cannot read as a regular file, at once', () => {
  it.each([
    ['a FIFO', () => fifo, 'it is a FIFO (named pipe), not a regular file'],
    ['/dev/zero', () => '/dev/zero', 'it is a character device, not a regular file'],
    ['a directory', () => dir, 'it is a directory: give the path of the file itself, e.g. /etc/aziot/config.toml'],
  ])('--config-toml %s: exit 2 with the reason, nothing probed', async (_what, file, reason) => {
    const r = await checkToExit(['--config-toml', file()]);
    expect(r.code).toBe(2);
    // That one line, before the usage: advice about the module's bind mount does not belong to a path typed here.
    expect(r.output.split('\n')[0]).toBe(`privatelink-probe check: --config-toml ${file()}: ${reason}`);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('--ca-file a FIFO: exit 2 naming it', async () => {
    const r = await checkToExit(['--hub', '127.0.0.1', '--ca-file', fifo]);
    expect(r.code).toBe(2);
    expect(r.output).toContain(`cannot use CA file ${fifo}: it is a FIFO (named pipe), not a regular file`);
  });
});

describe('a signal during a run ends check at once', () => {
  let listener: net.Server;
  let port: number;

  beforeAll(async () => {
    // Accepts TCP and never speaks TLS: the handshake step would wait out its whole 60 s timeout.
    const sockets = new Set<net.Socket>();
    listener = net.createServer((socket) => {
      sockets.add(socket);
      socket
        .on('error', () => undefined)
        .on('close', () => sockets.delete(socket))
        .resume();
    });
    listener.on('close', () => sockets.forEach((s) => s.destroy()));
    await new Promise<void>((resolve) => listener.listen(8883, '127.0.0.65', resolve));
    port = (listener.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s mid-handshake: exit %i within a second, no verdict printed', async (signal, exitCode) => {
    const connected = new Promise<void>((resolve) => listener.once('connection', () => resolve()));
    const cli = startModuleProcess({}, [
      'check',
      '--target',
      `stuck=127.0.0.65:${port}`,
      '--private-range',
      '127.0.0.0/8',
      '--timeout',
      '60000',
    ]);
    await connected;
    const { code, ms } = await cli.stop(signal);
    expect(code).toBe(exitCode);
    expect(ms).toBeLessThan(1_000);
    expect(cli.lines.join('\n')).toContain(
      `privatelink-probe check: interrupted by ${signal} before the run completed: no verdict`,
    );
    expect(cli.lines.join('\n')).not.toMatch(/TLS_FAILED|overall/);
  });
});
