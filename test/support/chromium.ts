// Debian's headless chromium for the status-page checks (a CI tier): a DOM dump and a screenshot
// of a page served on loopback. Where no browser exists the checks are skipped with a loud message; under
// CI=true they never are (.ci/run installs `chromium`), so a missing browser fails there instead.
// CHROMIUM_BIN overrides where the browser is looked for.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const browser = process.env.CHROMIUM_BIN ?? CANDIDATES.find((p) => existsSync(p));
const inCI = process.env.CI === 'true';

// Flags that keep the browser to the one page on loopback: no update checks, sync, proxies or first-run work.
const QUIET_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-proxy-server',
  '--hide-scrollbars',
];

const run = promisify(execFile);

/**
 * Whether the browser checks named `what` run here: yes with a browser, and always under CI. When they
 * do not, says so on the console (a skipped check must not pass unnoticed).
 */
export function browserChecksRun(what: string): boolean {
  if (browser || inCI) return true;
  console.warn(
    `${what} SKIPPED: no chromium at ${CANDIDATES.join(', ')} (set CHROMIUM_BIN, or apt-get install chromium); CI never skips it`,
  );
  return false;
}

export interface Screenshot {
  width: number;
  height: number;
  bytes: number;
}

export interface HeadlessChromium {
  /** The DOM chromium built from the page (after its own HTML parser), serialized. */
  dumpDom(url: string): Promise<string>;
  /** Renders the page at `size` into `file` (its folder is created) and reads back the PNG's dimensions. */
  screenshot(url: string, file: string, size: { width: number; height: number }): Promise<Screenshot>;
  /** Removes the throwaway profile. */
  close(): Promise<void>;
}

/** A browser with a throwaway profile; fails (as CI must) when there is none. */
export async function headlessChromium(): Promise<HeadlessChromium> {
  if (!browser) throw new Error('CI=true but no chromium found: .ci/run must apt-get install -y chromium');
  const profile = await mkdtemp(path.join(tmpdir(), 'plp-chromium-'));
  const chromium = (...args: string[]) =>
    run(browser, [...QUIET_FLAGS, `--user-data-dir=${profile}`, ...args], {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  return {
    async dumpDom(url) {
      return (await chromium('--dump-dom', url)).stdout;
    },
    async screenshot(url, file, size) {
      await mkdir(path.dirname(file), { recursive: true });
      await rm(file, { force: true });
      await chromium(`--window-size=${size.width},${size.height}`, `--screenshot=${file}`, url);
      const png = await readFile(file);
      if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error(`${file} is not a PNG`);
      // IHDR: width and height, big-endian, at bytes 16 and 20.
      return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), bytes: png.length };
    },
    close: () => rm(profile, { recursive: true, force: true }),
  };
}
