// The history on the status page in a real browser: headless chromium loads `/` with a long history (a day of
// runs: a flapping spell, an outage, recovery) and a short one (three runs), and the DOM it builds must hold
// a timeline and a latency plot per target. Screenshots at a phone's and a desktop's width are saved under
// bench/results/ for a human to look at (the README shows the phone one).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../src/http/server.js';
import type { RunResult } from '../../src/probe/types.js';
import { DEFAULT_FLAPPING, withFlapping } from '../../src/report/flapping.js';
import { RunHistory } from '../../src/report/history.js';
import { healthyTarget, runOf, STARTED_AT, VERDICT_SHAPES } from '../report/factory.js';
import { browserChecksRun, headlessChromium, type HeadlessChromium } from '../support/chromium.js';
import { snapshotOf } from './snapshot-factory.js';
import { serveSnapshot } from './serve.js';

const RUNS = 288;
/** The hub: steady, then flapping (runs 100–130), then down (200–230), then healthy. The blob: three runs only. */
const hubVerdict = (i: number) => (i >= 100 && i < 130 ? i % 2 : i >= 200 && i < 230 ? 1 : 0);

function day(): { history: RunHistory; last: RunResult } {
  const history = new RunHistory();
  let last: RunResult | undefined;
  for (let i = 0; i < RUNS; i++) {
    const startedAt = new Date(Date.parse(STARTED_AT) + i * 300_000).toISOString();
    const hubShape = VERDICT_SHAPES[hubVerdict(i)]!;
    // Latency that wanders, with a spike during the outage's approach.
    const hub = healthyTarget('hub', undefined, {
      ...hubShape,
      startedAt,
      dns: { ...healthyTarget().dns, ms: 5 + (i % 7) + (i > 190 && i < 200 ? 400 : 0) },
    });
    const blob = healthyTarget('blob', 'acct.privatelink.blob.core.windows.net', { kind: 'blob', startedAt });
    const targets = i >= RUNS - 3 ? [hub, blob] : [hub];
    const measured = runOf(targets, { startedAt });
    last = withFlapping(measured, history.record(measured, DEFAULT_FLAPPING), DEFAULT_FLAPPING);
  }
  return { history, last: last! };
}

describe.skipIf(!browserChecksRun('status page history browser check'))(
  'status page history in headless chromium',
  () => {
    let server: HttpServer;
    let chromium: HeadlessChromium;

    beforeAll(async () => {
      const { history, last } = day();
      const snapshot = snapshotOf({ lastRun: last, history, runCount: RUNS });
      const now = Date.parse(last.startedAt) + 60_000;
      server = await serveSnapshot(
        () => snapshot,
        () => now,
      );
      chromium = await headlessChromium();
    });

    afterAll(async () => {
      await server?.close();
      await chromium?.close();
    });

    it('builds a timeline and a plot per target, for a long and a short history', async () => {
      const dom = await chromium.dumpDom(`http://127.0.0.1:${server.port}/`);
      const blocks = [...dom.matchAll(/<div class="history" data-target="(\w+)">([\s\S]*?)<\/div>\s*<\/div>/g)];
      expect(blocks.map((b) => b[1])).toEqual(['hub', 'blob']);
      const hub = blocks[0]![2]!;
      // Steady (run 100 is healthy like those before it), 29 flips (one segment each), steady, the outage, recovery.
      expect([...hub.matchAll(/<rect /g)]).toHaveLength(1 + 29 + 1 + 1 + 1);
      expect(hub).toMatch(/<title>unhealthy DNS_TIMEOUT, 30 runs from [^<]+<\/title>/);
      expect(hub).toContain('288 runs');
      expect([...hub.matchAll(/<polyline /g)].length).toBeGreaterThanOrEqual(1);
      expect([...blocks[1]![2]!.matchAll(/<rect /g)]).toHaveLength(1);
      expect(blocks[1]![2]).toContain('3 runs · 0 changes · 100% not unhealthy');
    });

    it('renders at a phone and a desktop width into bench/results/', async () => {
      for (const [name, size] of [
        ['status-page-history-phone.png', { width: 390, height: 1400 }],
        ['status-page-history-desktop.png', { width: 1280, height: 1400 }],
      ] as const) {
        const png = await chromium.screenshot(
          `http://127.0.0.1:${server.port}/`,
          path.resolve('bench/results', name),
          size,
        );
        expect([png.width, png.height]).toEqual([size.width, size.height]);
        expect(png.bytes).toBeGreaterThan(10_000);
      }
    });
  },
);
