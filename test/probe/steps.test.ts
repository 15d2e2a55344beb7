// A port's steps as one list, and the outputs that loop over it: each step in PORT_STEPS shows up in the twin's
// port entry, the history, the step_seconds metric and check's table without being named in any of them.
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/table.js';
import { PORT_STEPS, portSteps, stepTimeKey } from '../../src/probe/steps.js';
import { RunHistory } from '../../src/report/history.js';
import { DEFAULT_FLAPPING } from '../../src/report/flapping.js';
import { createMetrics } from '../../src/report/metrics.js';
import { reportedSections } from '../../src/report/reported.js';
import { snapshotOf } from '../http/snapshot-factory.js';
import type { PortResult, TargetResult } from '../../src/probe/types.js';
import { edgeAudit, healthyTarget, runOf } from '../report/factory.js';

describe('port steps', () => {
  // Port 443 goes through a proxy, so it has every step there is.
  const healthy = healthyTarget('hub');
  const target = {
    ...healthy,
    ports: healthy.ports.map((p) =>
      p.port === 443
        ? { ...p, proxy: { url: 'http://proxy.factory.local:3128', outcome: 'ok', status: 200, ms: 7 } }
        : p,
    ),
  } satisfies TargetResult;
  const run = runOf([target]);
  const proxied = target.ports.find((p) => p.port === 443)!;

  it('lists every step on every address, in order', () => {
    const port = target.ports[0]!;
    expect(portSteps(port).map((s) => s.step)).toEqual(['tcp', 'tls', 'service']);
    expect(portSteps(proxied).map((s) => s.step)).toEqual(PORT_STEPS.map((s) => s.step));
    expect(
      portSteps({ ...port, tcp: [...port.tcp, { ...port.tcp[0]!, address: '10.1.1.9', ms: 3 }] }).map(
        (s) => `${s.step}@${s.address}`,
      ),
    ).toEqual([
      `tcp@${port.tcp[0]!.address}`,
      'tcp@10.1.1.9',
      `tls@${port.tls!.address}`,
      `service@${port.tls!.address}`,
    ]);
  });

  it('leaves out an exchange that never ran, and a proxy NO_PROXY bypassed', () => {
    const port = { ...proxied, service: { outcome: 'skipped', ms: 0, detail: 'not tried' } } satisfies PortResult;
    expect(portSteps(port).map((s) => s.step)).toEqual(['tcp', 'tls', 'proxy']);
    const bypassed: PortResult = {
      ...proxied,
      proxy: { url: 'http://proxy.factory.local:3128', outcome: 'bypassed', ms: 0 },
    };
    expect(portSteps(bypassed).map((s) => s.step)).toEqual(['tcp', 'tls', 'service']);
  });

  it('reaches the twin, the history, the metrics and the table for every step', async () => {
    const sections = reportedSections(run, {
      edge: edgeAudit(),
      moduleVersion: '0.1.0',
      nextRunAt: run.startedAt,
      runCount: 1,
    });
    const history = new RunHistory();
    history.record(run, DEFAULT_FLAPPING);
    const text = await createMetrics({ snapshot: () => snapshotOf({ lastRun: run, history }) }).render();
    const table = formatTable(run);
    for (const { step, title } of PORT_STEPS) {
      const ms = portSteps(proxied).find((s) => s.step === step)!.ms;
      expect(sections.results.hub!.ports['443']![stepTimeKey(step)]).toBe(Math.round(ms));
      const slowest = Math.max(
        ...target.ports.flatMap((p) => portSteps(p).filter((s) => s.step === step)).map((s) => s.ms),
      );
      expect(history.entries('hub')[0]![stepTimeKey(step)]).toBe(Math.round(slowest));
      expect(text).toMatch(
        new RegExp(`^privatelink_probe_step_seconds\\{[^}]*port="443",step="${step}"[^}]*\\} ${ms / 1000}$`, 'm'),
      );
      expect(table.split('\n')[0]).toContain(title);
    }
  });
});
