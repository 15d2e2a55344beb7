// Module snapshots as the running module publishes them, for the endpoint, page and metrics tests: a run
// with one target of each verdict (healthy hub, degraded DPS, two unhealthy), built on the report tests'
// target factory.
import type { EdgeAudit } from '../../src/edge/audit.js';
import type { ModuleSnapshot } from '../../src/report/snapshot.js';
import type { RunResult } from '../../src/probe/types.js';
import { DEFAULT_FLAPPING } from '../../src/report/flapping.js';
import { RunHistory } from '../../src/report/history.js';
import { edgeAudit, healthyTarget, mismatchAcrTarget, publicBlobTarget, runOf, STARTED_AT } from '../report/factory.js';

/** When the pages are rendered: five minutes after the run. */
export const NOW = Date.parse(STARTED_AT) + 5 * 60_000;
export const RUN_COMPLETED_AT = Date.parse(STARTED_AT) + 57;

export const DPS_REASON =
  'certificate of mydps.azure-devices-provisioning.net on 10.1.1.4:443 expires in 12 days (2026-12-10)';

export function threeVerdictRun(): RunResult {
  const dps = healthyTarget('dps', 'mydps.azure-devices-provisioning.net', {
    kind: 'dps',
    status: 'degraded',
    code: 'TLS_EXPIRING',
    reason: DPS_REASON,
  });
  // The clock as the engine reads it: from the hub's HTTPS answer, the only one with a Date (factory.ts okPort).
  return runOf([healthyTarget(), dps, mismatchAcrTarget(), publicBlobTarget()], {
    clock: { offsetSeconds: 0.2, source: 'hub' },
  });
}

export function edge(over: Partial<EdgeAudit> = {}): EdgeAudit {
  return { ...edgeAudit(), autoTargets: [], resolvers: ['127.0.0.11'], upstreamPorts: [8883, 443], ...over };
}

export function snapshotOf(over: Partial<ModuleSnapshot> = {}): ModuleSnapshot {
  const lastRun = 'lastRun' in over ? over.lastRun : threeVerdictRun();
  return {
    deviceId: 'factory-gw-01',
    moduleId: 'PrivateLinkProbe',
    iothub: 'myhub.azure-devices.net',
    moduleVersion: '0.1.0',
    startedAt: Date.parse(STARTED_AT) - 3_600_000,
    intervalSeconds: 300,
    runCount: 13,
    lastRun,
    lastCompletedAt: lastRun ? RUN_COMPLETED_AT : undefined,
    nextRunAt: Date.parse(STARTED_AT) + 300_000,
    changedAt: Object.fromEntries(
      (lastRun?.targets ?? []).map((t, i) => [t.name, new Date(Date.parse(STARTED_AT) - i * 60_000).toISOString()]),
    ),
    edge: edge(),
    upstream: {
      state: 'connected',
      hostname: 'myhub.azure-devices.net',
      lastContactAt: '2026-11-28T09:00:01.000Z',
      queued: 2,
      dropped: 5,
    },
    history: historyOf(lastRun ? [lastRun] : []),
    ...over,
  };
}

/** The history a module would keep after these runs, oldest first. */
export function historyOf(runs: readonly RunResult[]): RunHistory {
  const history = new RunHistory();
  for (const run of runs) history.record(run, DEFAULT_FLAPPING);
  return history;
}

/** Before the first run completes: nothing measured, the upstream still connecting. */
export function startingSnapshot(over: Partial<ModuleSnapshot> = {}): ModuleSnapshot {
  return snapshotOf({
    lastRun: undefined,
    runCount: 0,
    startedAt: NOW - 5_000,
    upstream: { state: 'connecting', hostname: 'myhub.azure-devices.net', lastContactAt: null, queued: 0, dropped: 0 },
    ...over,
  });
}
