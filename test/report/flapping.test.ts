import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probe/types.js';
import { verdictChanges } from '../../src/report/alerts.js';
import { DEFAULT_FLAPPING, withFlapping, type FlappingRule } from '../../src/report/flapping.js';
import { RunHistory } from '../../src/report/history.js';
import { healthyTarget, runOf, runsOf, STARTED_AT, VERDICT_SHAPES as SHAPES } from './factory.js';

/** Each run as the module reports it: the history kept, FLAPPING in front of flagged targets. */
function reported(verdicts: readonly number[], rule: FlappingRule = DEFAULT_FLAPPING): RunResult[] {
  const history = new RunHistory();
  return runsOf(verdicts).map((run) => withFlapping(run, history.record(run, rule), rule));
}

/** The oracle: how many of runs i-window+1 … i have a verdict other than the run before. */
function changesUpTo(seq: readonly number[], i: number, window: number): number {
  let changes = 0;
  for (let k = Math.max(1, i - window + 1); k <= i; k++) if (seq[k] !== seq[k - 1]) changes++;
  return changes;
}

const flagged = (run: RunResult) => run.targets[0]!.code === 'FLAPPING';
const verdicts = fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 120 });
const rules = fc.record({ changes: fc.integer({ min: 1, max: 8 }), window: fc.integer({ min: 1, max: 24 }) });

describe('flapping rules', () => {
  it('never flags a steady target, whatever the history length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 600 }), rules, (v, length, rule) => {
        expect(reported(Array(length).fill(v), rule).some(flagged)).toBe(false);
      }),
    );
  });

  it('flags exactly when the changes in the window reach the threshold, and clears only after a stable window', () => {
    fc.assert(
      fc.property(verdicts, rules, (seq, rule) => {
        const runs = reported(seq, rule);
        runs.forEach((run, i) => {
          const changes = changesUpTo(seq, i, rule.window);
          const was = i > 0 && flagged(runs[i - 1]!);
          if (changes >= rule.changes) expect(flagged(run)).toBe(true);
          if (!was && flagged(run)) expect(changes).toBeGreaterThanOrEqual(rule.changes);
          if (changes === 0) expect(flagged(run)).toBe(false);
          if (was && !flagged(run)) expect(changes).toBe(0);
          if (flagged(run)) {
            expect(run.targets[0]).toMatchObject({ status: 'degraded', flapping: { changes, window: rule.window } });
            expect(run.targets[0]!.flapping!.measured.code).toBe(SHAPES[seq[i]!]!.code);
          }
        });
      }),
    );
  });

  it('alerts once when flapping starts and once when it ends, not on every flip', () => {
    // Healthy and down in turn for 20 runs, then healthy for good.
    const seq = [...Array.from({ length: 20 }, (_, i) => i % 2), ...Array(14).fill(0)];
    const runs = reported(seq);
    const alerts = runs.map((run, i) => verdictChanges(runs[i - 1], run));
    const flagStart = runs.findIndex(flagged);
    // The 4th change (runs 1–4 each changed) crosses the default threshold of 4 within 12 runs.
    expect(flagStart).toBe(4);
    expect(alerts[flagStart]).toMatchObject([{ to: 'degraded', code: 'FLAPPING' }]);
    const flagEnd = runs.findIndex((run, i) => i > flagStart && !flagged(run));
    // Cleared after 12 stable runs (the last flip was run 19, to healthy at 20).
    expect(flagEnd).toBe(20 + 12);
    expect(alerts.slice(flagStart + 1, flagEnd).flat()).toEqual([]);
    expect(alerts[flagEnd]).toMatchObject([{ from: 'degraded', to: 'healthy', code: 'OK' }]);
    expect(runs[flagStart]!.targets[0]!.reason).toMatch(
      /^the verdict changed 4 times in the last 12 runs \(now OK: reachable\)/,
    );
    expect(runs[flagStart]!.overall).toBe('degraded');
  });
});

describe('run history', () => {
  it('keeps the last runs of each target in fixed room, oldest first, and forgets targets no longer probed', () => {
    const history = new RunHistory(10);
    for (const run of runsOf(Array.from({ length: 25 }, (_, i) => (i < 20 ? 0 : 1))))
      history.record(run, DEFAULT_FLAPPING);
    const entries = history.entries('hub');
    expect(entries).toHaveLength(10);
    expect(entries[0]!.at).toBe(Date.parse(STARTED_AT) + 15 * 300_000);
    expect(entries.map((e) => e.code)).toEqual([...Array(5).fill('OK'), ...Array(5).fill('DNS_TIMEOUT')]);
    expect(entries[0]).toMatchObject({
      status: 'healthy',
      dnsMs: expect.any(Number),
      tcpMs: expect.any(Number),
      tlsMs: expect.any(Number),
    });
    expect(history.entries('hub', 3)).toEqual(entries.slice(-3));
    expect(history.summary('hub')).toEqual({ runs: 10, changes: 1, availabilityPct: 50 });
    expect(history.changesTotal()).toEqual({ hub: 1 });
    history.record(runOf([healthyTarget('blob', 'acct.privatelink.blob.core.windows.net')]), DEFAULT_FLAPPING);
    expect(history.targets()).toEqual(['blob']);
  });
});
