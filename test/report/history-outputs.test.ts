// What the history and the flapping flag add to each output: the twin's per-target summary (which must not
// make the twin be written on every run), the telemetry's flapping record, /status's history and the
// Prometheus counter of verdict changes.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probe/types.js';
import { DEFAULT_FLAPPING, withFlapping } from '../../src/report/flapping.js';
import { RunHistory } from '../../src/report/history.js';
import { createMetrics } from '../../src/report/metrics.js';
import { reportedSections } from '../../src/report/reported.js';
import { statusDocument } from '../../src/report/status-json.js';
import { telemetryBody } from '../../src/report/telemetry.js';
import { fingerprint } from '../../src/report/write-policy.js';
import { snapshotOf } from '../http/snapshot-factory.js';
import { edgeAudit, runsOf } from './factory.js';

/** Healthy and down in turn: flagged from the 5th run on. */
function flappingRuns(count: number): { history: RunHistory; runs: RunResult[] } {
  const history = new RunHistory();
  const runs = runsOf(Array.from({ length: count }, (_, i) => i % 2)).map((run) =>
    withFlapping(run, history.record(run, DEFAULT_FLAPPING), DEFAULT_FLAPPING),
  );
  return { history, runs };
}

const sectionsOf = (run: RunResult, history: RunHistory) =>
  reportedSections(run, {
    edge: edgeAudit(),
    moduleVersion: '0.1.0',
    nextRunAt: run.startedAt,
    runCount: 1,
    history: (name) => history.summary(name),
  });

describe('history in the outputs', () => {
  it('the twin carries each target summary and the measured code behind FLAPPING; the summary alone never forces a write', () => {
    const { history, runs } = flappingRuns(8);
    const results = sectionsOf(runs.at(-1)!, history).results;
    expect(results.hub).toMatchObject({
      status: 'degraded',
      code: 'FLAPPING',
      measured: 'DNS_TIMEOUT',
      history: { runs: 8, changes: 7, availabilityPct: 50 },
    });
    // The same sections with another summary (as the window slides) read as unchanged.
    const sections = sectionsOf(runs.at(-1)!, history);
    const moved = {
      ...sections,
      results: { hub: { ...sections.results.hub!, history: { runs: 9, changes: 8, availabilityPct: 44.4 } } },
    };
    expect(fingerprint(moved)).toBe(fingerprint(sections));
  });

  it('telemetry says how often it flipped and what the run measured', () => {
    const { runs } = flappingRuns(6);
    const target = telemetryBody(runs.at(-1)!, { deviceId: 'd', moduleId: 'm', edge: null }).targets[0]!;
    expect(target).toMatchObject({ code: 'FLAPPING', flapping: { changes: 5, window: 12, measured: 'DNS_TIMEOUT' } });
    expect(telemetryBody(runs[0]!, { deviceId: 'd', moduleId: 'm', edge: null }).targets[0]).not.toHaveProperty(
      'flapping',
    );
  });

  it('/status carries every kept run, oldest first; /metrics counts the verdict changes', async () => {
    const { history, runs } = flappingRuns(300);
    const snapshot = snapshotOf({ lastRun: runs.at(-1)!, history });
    const doc = statusDocument(snapshot);
    expect(doc.history.capacity).toBe(288);
    expect(doc.history.targets.hub).toHaveLength(288);
    expect(doc.history.targets.hub![0]).toMatchObject({
      at: Date.parse(runs[12]!.startedAt),
      status: 'healthy',
      code: 'OK',
    });
    const text = await createMetrics({ snapshot: () => snapshot }).render();
    expect(text).toContain('# TYPE privatelink_probe_verdict_changes_total counter');
    expect(text).toMatch(/^privatelink_probe_verdict_changes_total\{target="hub",[^}]*\} 299$/m);
  });
});
