// What the demo reads back from the emulated edgeHub: the module twin's reported properties and the
// messages on the module's outputs, typed with the module's own report shapes. Everything the screen shows
// comes from here, i.e. from what the real module wrote over MQTT, never from the demo's own bookkeeping.
import { reportedAcknowledgements, type AckEntry } from '../src/config/acknowledge.js';
import { isPlainObject } from '../src/config/json.js';
import type { AlertBody } from '../src/report/alerts.js';
import type { ReportedStatus, ReportedTarget } from '../src/report/reported.js';
import type { TelemetryBody } from '../src/report/telemetry.js';
import type { CapturedMessage } from '../test/support/emulator/index.js';

export type Reported = Record<string, unknown>;

export function reportedStatus(reported: Reported): ReportedStatus | undefined {
  return isPlainObject(reported.status) ? (reported.status as ReportedStatus) : undefined;
}

/** The targets in the twin's `results`, in the order the twin holds them. */
export function reportedTargets(reported: Reported): Array<[name: string, target: ReportedTarget]> {
  const results = reported.results;
  if (!isPlainObject(results)) return [];
  return Object.entries(results).filter((entry): entry is [string, ReportedTarget] => isPlainObject(entry[1]));
}

/** Every `{ value, ac, av, ad }` the module reported for a desired key. */
export function acknowledgements(reported: Reported): Array<[key: string, ack: AckEntry]> {
  return Object.entries(reportedAcknowledgements(reported)) as Array<[string, AckEntry]>;
}

export interface ResultMessage {
  body: TelemetryBody;
  properties: Record<string, string>;
}

export function resultMessages(messages: readonly CapturedMessage[]): ResultMessage[] {
  return messages
    .filter((m) => m.output === 'probeResults' && isPlainObject(m.body))
    .map((m) => ({ body: m.body as TelemetryBody, properties: m.properties }));
}

export function alertMessages(messages: readonly CapturedMessage[]): AlertBody[] {
  return messages.filter((m) => m.output === 'alerts' && isPlainObject(m.body)).map((m) => m.body as AlertBody);
}
