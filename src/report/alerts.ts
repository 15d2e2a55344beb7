// Alerts on output `alerts`: one message each time a target's verdict changes, so a
// route or a Logic App can page someone without parsing every results message.
//
// A verdict changes when the status or the code differs from the previous run's. A target that is new
// (first run, or just configured) counts as changed from 'unknown'. A target that was removed from the
// configuration gets one last alert to 'unknown' without a code: whoever opened an incident on its
// earlier alert needs a message that closes it, and "removed" is the honest verdict. Nothing in the body is
// null (DTDL, the Plug and Play model's language, has no null): what is unknown is left out.
import type { Code, Overall, RunResult } from '../probe/types.js';
import { withoutEmpty } from './budget.js';
import { jsonMessage, type OutboundMessage } from './message.js';

export const ALERT_SCHEMA = 'privatelink-probe/alert@2';
export const REMOVED_REASON = 'no longer probed: the target was removed from the configuration';

export interface Alert {
  target: string;
  host: string;
  from: Overall;
  to: Overall;
  /** The new code; left out for a removed target. */
  code?: Code;
  reason: string;
  /** When the run that saw the change started. */
  at: string;
}

export function verdictChanges(prev: RunResult | undefined, next: RunResult): Alert[] {
  const before = new Map((prev?.targets ?? []).map((t) => [t.name, t]));
  const now = new Set(next.targets.map((t) => t.name));
  const changed = next.targets.flatMap((t): Alert[] => {
    const old = before.get(t.name);
    if (old && old.status === t.status && old.code === t.code) return [];
    return [
      {
        target: t.name,
        host: t.host,
        from: old?.status ?? 'unknown',
        to: t.status,
        code: t.code,
        reason: t.reason,
        at: next.startedAt,
      },
    ];
  });
  const removed = [...before.values()]
    .filter((t) => !now.has(t.name))
    .map((t): Alert => ({
      target: t.name,
      host: t.host,
      from: t.status,
      to: 'unknown',
      reason: REMOVED_REASON,
      at: next.startedAt,
    }));
  return [...changed, ...removed];
}

export interface AlertBody extends Alert {
  schema: typeof ALERT_SCHEMA;
  /** Left out when unknown. */
  deviceId?: string;
  moduleId?: string;
}

/** Properties `schema` and `to` (so a route can pick e.g. `to = 'unhealthy'`) besides the body. */
export function alertMessage(alert: Alert, ctx: { deviceId: string | null; moduleId: string | null }): OutboundMessage {
  const body: AlertBody = withoutEmpty({
    schema: ALERT_SCHEMA,
    deviceId: ctx.deviceId ?? undefined,
    moduleId: ctx.moduleId ?? undefined,
    ...alert,
  });
  return jsonMessage(body, { schema: ALERT_SCHEMA, to: alert.to });
}
