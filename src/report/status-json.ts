// The `/status` document: the last run's result as the telemetry body carries it, at full
// detail (a local response has no message-size limit), with what only the running module knows — the
// upstream link and when edgeHub was last reached, run count and schedule. Before the first run
// completes the answer is still 200, with `lastRun: null`: a page or script polling during start-up gets
// a document it can read (upstream state included) instead of an error it must special-case.
import type { ModuleSnapshot, UpstreamView } from './snapshot.js';
import { historyView, type HistoryView } from './history.js';
import { telemetryBody, type TelemetryBody } from './telemetry.js';

export const STATUS_SCHEMA = 'privatelink-probe/status@1';

export interface StatusDocument {
  schema: typeof STATUS_SCHEMA;
  deviceId: string | null;
  moduleId: string | null;
  moduleVersion: string;
  startedAt: string;
  intervalSeconds: number;
  runCount: number;
  /** When the last run completed and when the next is due (ISO), or null. */
  lastRunAt: string | null;
  nextRunAt: string | null;
  upstream: UpstreamView;
  /** The telemetry body of the last run, or null before the first run completes. */
  lastRun: TelemetryBody | null;
  /** Each target's recent runs (status, code, step times), oldest first. */
  history: HistoryView;
}

export function statusDocument(s: ModuleSnapshot): StatusDocument {
  return {
    schema: STATUS_SCHEMA,
    deviceId: s.deviceId,
    moduleId: s.moduleId,
    moduleVersion: s.moduleVersion,
    startedAt: new Date(s.startedAt).toISOString(),
    intervalSeconds: s.intervalSeconds,
    runCount: s.runCount,
    lastRunAt: isoOrNull(s.lastCompletedAt),
    nextRunAt: isoOrNull(s.nextRunAt),
    upstream: s.upstream,
    lastRun: s.lastRun
      ? telemetryBody(s.lastRun, { deviceId: s.deviceId, moduleId: s.moduleId, edge: s.edge, budgetBytes: Infinity })
      : null,
    history: historyView(s.history),
  };
}

function isoOrNull(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString();
}
