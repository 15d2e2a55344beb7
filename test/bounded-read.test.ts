// Files from outside are read only when they are regular files, and only up to a cap: a FIFO, a device or
// a directory is refused at once (a FIFO with no writer used to block the read, and the process, forever),
// and nothing larger than the cap is held in memory. Real FIFOs (mkfifo) and /dev/zero, no mocks.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRefused, readRegularFile } from '../src/bounded-read.js';
import { readCaFile } from '../src/ca-file.js';
import { readEdgeContext } from '../src/edge/read.js';

let dir: string;
let fifo: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'plp-bounded-'));
  fifo = path.join(dir, 'config.toml');
  execFileSync('mkfifo', [fifo]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function refusal(file: string, maxBytes = 1024): Promise<FileRefused> {
  const error = await readRegularFile(file, maxBytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FileRefused);
  return error as FileRefused;
}

describe('readRegularFile', () => {
  it('refuses a FIFO without waiting for a writer', async () => {
    expect(await refusal(fifo)).toMatchObject({
      code: 'ENOTREG',
      message: 'it is a FIFO (named pipe), not a regular file',
    });
  });

  it('refuses a FIFO behind a symbolic link', async () => {
    const link = path.join(dir, 'link.toml');
    await symlink(fifo, link);
    expect((await refusal(link)).code).toBe('ENOTREG');
  });

  it('refuses /dev/zero (a character device) instead of reading without end', async () => {
    expect(await refusal('/dev/zero')).toMatchObject({
      code: 'ENOTREG',
      message: 'it is a character device, not a regular file',
    });
  });

  it('refuses a directory', async () => {
    expect(await refusal(dir)).toMatchObject({ code: 'EISDIR', message: 'it is a directory, not a regular file' });
  });

  it('reads a file of exactly the cap, and refuses one byte more without reading it all', async () => {
    const file = path.join(dir, 'exact.toml');
    await writeFile(file, 'x'.repeat(1024));
    expect((await readRegularFile(file, 1024)).length).toBe(1024);
    const huge = path.join(dir, 'huge.toml');
    await writeFile(huge, '');
    await truncate(huge, 8 * 1024 * 1024 * 1024); // 8 GiB, sparse
    expect(await refusal(huge, 256 * 1024)).toMatchObject({ code: 'EFBIG', message: 'it is larger than 256 KiB' });
  });

  it('reads a regular file whose size the kernel reports as 0 (procfs) by what the reads return', async () => {
    expect((await readRegularFile('/proc/self/status', 64 * 1024)).toString()).toContain('Pid:');
  });

  it('passes on open() errors as Node raises them', async () => {
    await expect(readRegularFile(path.join(dir, 'missing.toml'), 1024)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('the readers that use it', () => {
  it('config.toml, resolv.conf and hosts: a FIFO is an unreadable config.toml and no resolver context', async () => {
    const ctx = await readEdgeContext({ configTomlPath: fifo, resolvConfPath: fifo, hostsPath: '/dev/zero', env: {} });
    expect(ctx.configToml).toEqual({
      state: 'unreadable',
      cause: 'not-regular',
      reason: 'it is a FIFO (named pipe), not a regular file',
    });
    expect(ctx.resolvConf).toBeUndefined();
    expect(ctx.hosts).toBeUndefined();
  });

  it('a config.toml over 256 KiB is refused by its size', async () => {
    const big = path.join(dir, 'big.toml');
    await writeFile(big, `# ${'x'.repeat(256 * 1024)}\n`);
    const ctx = await readEdgeContext({ configTomlPath: big, resolvConfPath: big, hostsPath: big, env: {} });
    expect(ctx.configToml).toEqual({ state: 'unreadable', cause: 'too-large', reason: 'it is larger than 256 KiB' });
  });

  it('CA_FILE / --ca-file: a FIFO, a device or a file without a certificate is a clear error', async () => {
    await expect(readCaFile(fifo)).rejects.toThrow('it is a FIFO (named pipe), not a regular file');
    await expect(readCaFile('/dev/zero')).rejects.toThrow('it is a character device, not a regular file');
    const notPem = path.join(dir, 'not.pem');
    await writeFile(notPem, 'hello');
    await expect(readCaFile(notPem)).rejects.toThrow('no PEM certificate in it');
  });
});
