// The status page's history section: a timeline per target (one segment per run of unchanged verdict, each
// titled with its code and times) and a latency plot, inline SVG whose size does not grow with steady runs.
import { describe, expect, it } from 'vitest';
import { renderStatusPage } from '../../src/report/status-page.js';
import { historyOf, NOW, snapshotOf } from '../http/snapshot-factory.js';
import { healthyTarget, runOf, runsOf } from './factory.js';

const page = (verdicts: number[]) => {
  const runs = runsOf(verdicts);
  return renderStatusPage(snapshotOf({ lastRun: runs.at(-1)!, history: historyOf(runs) }), { now: NOW });
};
const segments = (text: string) => [
  ...text.matchAll(
    /<rect x="(\d+)" width="(\d+)" height="1" fill="[^"]+" data-status="(\w+)"><title>([^<]*)<\/title><\/rect>/g,
  ),
];

describe('status page history', () => {
  it('draws one segment per run of unchanged verdict, titled with the code, the run count and the times', () => {
    const text = page([0, 0, 0, 1, 1, 0]);
    expect(segments(text).map((m) => [m[1], m[2], m[3]])).toEqual([
      ['0', '3', 'healthy'],
      ['3', '2', 'unhealthy'],
      ['5', '1', 'healthy'],
    ]);
    expect(segments(text)[1]![4]).toBe(
      'unhealthy DNS_TIMEOUT, 2 runs from 2026-11-28 09:15 UTC to 2026-11-28 09:20 UTC',
    );
    expect(text).toContain('<h3>hub <span class="muted">6 runs · 2 changes · 66.7% not unhealthy</span></h3>');
    expect(text).toMatch(
      /<polyline points="0,[\d.]+ 1,[\d.]+ 2,[\d.]+ 3,[\d.]+ 4,[\d.]+ 5,[\d.]+" fill="none" stroke="#0969da"/,
    );
  });

  it('stays small for a steady target however long its history, and bounds the plot for a long one', () => {
    const steady = page(Array(288).fill(0));
    expect(segments(steady)).toHaveLength(1);
    const flipping = page(Array.from({ length: 288 }, (_, i) => i % 2));
    expect(segments(flipping)).toHaveLength(288);
    const points = /<polyline points="([^"]+)"/.exec(flipping)![1]!.split(' ');
    expect(points.length).toBeLessThanOrEqual(96);
  });

  it('escapes a hostile target name in the history as everywhere else', () => {
    const hostile = healthyTarget('x"><script>alert(1)</script>');
    const run = runOf([hostile]);
    const text = renderStatusPage(snapshotOf({ lastRun: run, history: historyOf([run]) }), { now: NOW });
    expect(text).not.toContain('<script>alert(1)');
    expect(text).toContain('data-target="x&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
  });

  it('has no history section before the first run', () => {
    expect(renderStatusPage(snapshotOf({ lastRun: undefined }), { now: NOW })).not.toContain('id="history"');
  });
});
