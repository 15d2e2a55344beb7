// The status page in a real browser (testing.md, CI tier): Debian's headless chromium loads `/` from the
// HTTP server on loopback, and the DOM it builds — after its own HTML parser, not ours — must hold one row
// per target with the verdicts spelled out, and nothing a hostile name or reason tried to inject. A
// phone-sized screenshot is saved under bench/results/ for a human to look at.
//
// Without a browser the test is skipped with a message; under CI=true a missing browser fails it (.ci/run
// installs `chromium`). CHROMIUM_BIN overrides where the browser is looked for.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { healthyTarget, runOf } from '../report/factory.js';
import { NOW, snapshotOf, threeVerdictRun } from './snapshot-factory.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const browser = process.env.CHROMIUM_BIN ?? CANDIDATES.find((p) => existsSync(p));
const inCI = process.env.CI === 'true';
const SCREENSHOT = path.resolve('bench/results/status-page-phone.png');
const PHONE = { width: 420, height: 900 };

if (!browser && !inCI) {
  console.warn(`status page browser check SKIPPED: no chromium at ${CANDIDATES.join(', ')} (set CHROMIUM_BIN, or apt-get install chromium); CI never skips it`);
}

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

describe.skipIf(!browser && !inCI)('status page in headless chromium', () => {
  let server: HttpServer;
  let profile: string;

  const hostileReason = 'resolver answered <script>document.title="pwned"</script><img src=x onerror=alert(1)>';

  beforeAll(async () => {
    expect(browser, 'CI=true but no chromium found: .ci/run must apt-get install -y chromium').toBeDefined();
    const hostile = healthyTarget('custom', 'probe.factory.example', { kind: 'custom', status: 'unhealthy', code: 'DNS_FAILED', reason: hostileReason });
    const snapshot = snapshotOf({ lastRun: runOf([...threeVerdictRun().targets, hostile]) });
    server = await startHttpServer({ port: 0, host: '127.0.0.1', snapshot: () => snapshot, healthy: () => true, log: createLogger({ level: 'silent' }), now: () => NOW });
    profile = await mkdtemp(path.join(tmpdir(), 'plp-chromium-'));
  });

  afterAll(async () => {
    await server?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  const chromium = (...args: string[]) =>
    run(browser!, [...QUIET_FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });

  it('builds a DOM with one row per target, the verdicts spelled out and nothing injected', async () => {
    const { stdout: dom } = await chromium('--dump-dom', `http://127.0.0.1:${server.port}/`);
    const rows = [...dom.matchAll(/<tr class="target" data-target="([^"]+)" data-status="([^"]+)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((r) => `${r[1]}:${r[2]}`)).toEqual(['hub:healthy', 'dps:degraded', 'acr:unhealthy', 'blob:unhealthy', 'custom:unhealthy']);
    for (const [, , status, cells] of rows) expect(cells).toContain(`<span class="badge verdict v-${status}">${status}</span>`);
    expect(rows[2]![3]).toContain('<code>TLS_HOSTNAME_MISMATCH</code>');
    expect(dom).toMatch(/<p class="overall">Overall: <span class="badge verdict v-unhealthy">unhealthy<\/span><\/p>/);
    // The hostile reason is text in the DOM, not elements: the browser's parser found no script or image.
    expect(dom).not.toMatch(/<script|<img/i);
    expect(dom).toContain('resolver answered &lt;script&gt;document.title="pwned"&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(dom).toMatch(/<title>unhealthy · privatelink-probe · factory-gw-01<\/title>/);
  });

  it('renders a phone-sized screenshot into bench/results/', async () => {
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await rm(SCREENSHOT, { force: true });
    await chromium(`--window-size=${PHONE.width},${PHONE.height}`, `--screenshot=${SCREENSHOT}`, `http://127.0.0.1:${server.port}/`);
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([PHONE.width, PHONE.height]);
    expect(png.length).toBeGreaterThan(10_000);
  });
});
