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
import type { ModuleSnapshot } from '../../src/report/snapshot.js';
import { browserChecksRun, headlessChromium, type HeadlessChromium } from '../support/chromium.js';
import { healthyTarget, PROXY_URL, proxiedTarget, runOf } from '../report/factory.js';
import { NOW, snapshotOf, threeVerdictRun } from './snapshot-factory.js';
import { serveSnapshot } from './serve.js';

const SCREENSHOT = path.resolve('bench/results/status-page-phone.png');
const PHONE = { width: 420, height: 900 };

describe.skipIf(!browserChecksRun('status page browser check'))('status page in headless chromium', () => {
  let server: HttpServer;
  let chromium: HeadlessChromium;
  /** What the server shows: the run below, or another one a test puts in its place for its duration. */
  let snapshot: ModuleSnapshot;

  const hostileReason = 'resolver answered <script>document.title="pwned"</script><img src=x onerror=alert(1)>';

  beforeAll(async () => {
    const hostile = healthyTarget('custom', 'probe.factory.example', {
      kind: 'custom',
      status: 'unhealthy',
      code: 'DNS_FAILED',
      reason: hostileReason,
    });
    const three = threeVerdictRun();
    snapshot = snapshotOf({ lastRun: runOf([...three.targets, hostile], { clock: three.clock }) });
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

  it('shows under a proxied port the path through the proxy and the direct code, and the proxy in the header', async () => {
    const shown = snapshot;
    snapshot = snapshotOf({ lastRun: runOf([proxiedTarget('hub'), proxiedTarget('dps', 'upstream-failed')]) });
    try {
      const dom = await chromium.dumpDom(`http://127.0.0.1:${server.port}/`);
      const row = (name: string) => new RegExp(`<tr class="target" data-target="${name}"[\\s\\S]*?</tr>`).exec(dom)![0];
      expect(row('hub')).toContain(
        `<code>OK</code><span class="service">through proxy ${PROXY_URL}: CONNECT 200, TLS ok, https ok HTTP 401 iothub-errorcode</span>` +
          '<span class="service">direct: <code>TCP_REFUSED</code></span>',
      );
      expect(row('dps')).toContain(
        `<code>PROXY_UPSTREAM_FAILED</code><span class="service warn">through proxy ${PROXY_URL}: CONNECT upstream-failed: HTTP/1.1 502 Bad Gateway</span>`,
      );
      expect(dom).toContain(
        `<dt>Proxy</dt><dd>${PROXY_URL} <span class="muted">(443 through it, direct beside it)</span></dd>`,
      );
    } finally {
      snapshot = shown;
    }
  });

  it('renders a phone-sized screenshot into bench/results/', async () => {
    const png = await chromium.screenshot(`http://127.0.0.1:${server.port}/`, SCREENSHOT, PHONE);
    expect([png.width, png.height]).toEqual([PHONE.width, PHONE.height]);
    expect(png.bytes).toBeGreaterThan(10_000);
  });
});
