// Reading a file whose path comes from outside (a bind mount, an environment variable, a command-line
// argument) without trusting what is there. `fs.readFile` on a FIFO blocks a thread-pool thread in read()
// until a writer comes, possibly forever, and then neither signals nor process.exit (which joins the pool)
// end the process; on /dev/zero or a huge file it grows memory without bound. So the file is opened with
// O_NONBLOCK (a FIFO then opens at once instead of waiting for a writer; a regular file is unaffected),
// the handle is fstat'ed (the very file opened: no race with a rename between a stat and the open), anything
// but a regular file is refused, and at most `maxBytes` are read.
import fs from 'node:fs';

/** Why a file was refused. Errors from open() itself (ENOENT, EACCES ...) are passed on as Node raises them. */
export type RefusalCode = 'EISDIR' | 'ENOTREG' | 'EFBIG';

export class FileRefused extends Error {
  constructor(
    readonly code: RefusalCode,
    /** `a directory`, `a FIFO`, `larger than 256 KiB` ...: never file content. */
    readonly what: string,
  ) {
    super(code === 'EFBIG' ? `it is ${what}` : `it is ${what}, not a regular file`);
  }
}

/** Caps, each far above what the real file holds (a config.toml is a few kB; a CA bundle of every public root ~220 kB). */
export const MAX_BYTES = {
  configToml: 256 * 1024,
  resolvConf: 64 * 1024,
  hosts: 4 * 1024 * 1024,
  caBundle: 1024 * 1024,
} as const;

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0);
const CHUNK = 64 * 1024;

function kindOf(stats: fs.Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

/** The whole of a regular file of at most `maxBytes`; rejects with FileRefused or open()'s own error. */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await fs.promises.open(path, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new FileRefused(stats.isDirectory() ? 'EISDIR' : 'ENOTREG', kindOf(stats));
    // The size from fstat is not trusted (files in /proc say 0, a file may grow): the reads count.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new FileRefused('EFBIG', `larger than ${formatBytes(maxBytes)}`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
