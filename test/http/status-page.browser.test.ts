// The status page in a real browser (a CI tier): Debian's headless chromium loads `/` from the
// HTTP server on loopback, and the DOM it builds — after its own HTML parser, not ours — must hold one row
// per target with the verdicts spelled out, and nothing a hostile name or reason tried to inject. A
// phone-sized screenshot is saved under bench/results/ for a human to look at.
//
// Without a browser the test is skipped with a message; under CI=true a missing browser fails it (see
// test/support/chromium.ts).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../src/http/server.js';
import { browserChecksRun, headlessChromium, type HeadlessChromium } from '../support/chromium.js';
import { healthyTarget, runOf } from '../report/factory.js';
import { NOW, snapshotOf, threeVerdictRun } from './snapshot-factory.js';
import { serveSnapshot } from './serve.js';

const SCREENSHOT = path.resolve('bench/results/status-page-phone.png');
const PHONE = { width: 420, height: 900 };

describe.skipIf(!browserChecksRun('status page browser check'))('status page in headless chromium', () => {
  let server: HttpServer;
  let chromium: HeadlessChromium;

  const hostileReason = 'resolver answered <script>document.title="pwned"</script><img src=x onerror=alert(1)>';

  beforeAll(async () => {
    const hostile = healthyTarget('custom', 'probe.factory.example', {
      kind: 'custom',
      status: 'unhealthy',
      code: 'DNS_FAILED',
      reason: hostileReason,
    });
    const three = threeVerdictRun();
    const snapshot = snapshotOf({ lastRun: runOf([...three.targets, hostile], { clock: three.clock }) });
    server = await serveSnapshot(
      () => snapshot,
      () => NOW,
    );
    chromium = await headlessChromium();
  });

  afterAll(async () => {
    await server?.close();
    await chromium?.close();
  });

  it('builds a DOM with one row per target, the verdicts spelled out and nothing injected', async () => {
    const dom = await chromium.dumpDom(`http://127.0.0.1:${server.port}/`);
    const rows = [...dom.matchAll(/<tr class="target" data-target="([^"]+)" data-status="([^"]+)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((r) => `${r[1]}:${r[2]}`)).toEqual([
      'hub:healthy',
      'dps:degraded',
      'acr:unhealthy',
      'blob:unhealthy',
      'custom:unhealthy',
    ]);
    for (const [, , status, cells] of rows)
      expect(cells).toContain(`<span class="badge verdict v-${status}">${status}</span>`);
    expect(rows[2]![3]).toContain('<code>TLS_HOSTNAME_MISMATCH</code>');
    expect(dom).toMatch(/<p class="overall">Overall: <span class="badge verdict v-unhealthy">unhealthy<\/span><\/p>/);
    // The hostile reason is text in the DOM, not elements: the browser's parser found no script or image.
    expect(dom).not.toMatch(/<script|<img/i);
    expect(dom).toContain(
      'resolver answered &lt;script&gt;document.title="pwned"&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;',
    );
    expect(dom).toMatch(/<title>unhealthy · privatelink-probe · factory-gw-01<\/title>/);
  });

  it("shows each port's service answer under its code and the clock in the header", async () => {
    const dom = await chromium.dumpDom(`http://127.0.0.1:${server.port}/`);
    const hub = /<tr class="target" data-target="hub"[\s\S]*?<\/tr>/.exec(dom)![0];
    expect(hub).toContain('<code>OK</code><span class="service">mqtt ok CONNACK 5</span>');
    expect(hub).toContain('<span class="service">https ok HTTP 401 iothub-errorcode</span>');
    expect(dom).toMatch(/<dt>Clock<\/dt><dd>\+0\.2 s against hub's HTTPS Date \(this device is behind\)<\/dd>/);
  });

  it('renders a phone-sized screenshot into bench/results/', async () => {
    const png = await chromium.screenshot(`http://127.0.0.1:${server.port}/`, SCREENSHOT, PHONE);
    expect([png.width, png.height]).toEqual([PHONE.width, PHONE.height]);
    expect(png.bytes).toBeGreaterThan(10_000);
  });
});
