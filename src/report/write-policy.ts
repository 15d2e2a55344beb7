// When to write the twin and when to send telemetry. Twin updates are throttled per
// hub (S1: 50/s for the whole hub), so a fleet must not write on every run: the reported sections are
// written when something an operator acts on changed, and otherwise every `heartbeatRuns` runs so that
// `lastRunAt` proves the module is alive. Telemetry goes every run, or with `onChangeOnly` when a verdict
// changed plus a heartbeat.
//
// The caller keeps the counters and calls each function at most once per run, after the run: that is
// what makes "never more often than once per run" true. After a write IoT Hub acknowledged it sets
// `prevWritten = fingerprint(sections)` and `runsSinceWrite = 0`; after a send, `runsSinceSend = 0`.
import { createHash } from 'node:crypto';
import { isPlainObject } from '../config/json.js';
import { PORT_STEPS, stepTimeKey } from '../probe/steps.js';
import type { RunResult } from '../probe/types.js';
import type { ReportedSections } from './reported.js';

export const REPORTED_HEARTBEAT_RUNS = 12;
export const TELEMETRY_HEARTBEAT_RUNS = 24;

/**
 * A digest of what the sections say, leaving out what changes on every run without meaning anything:
 * the run's time, duration, count and next time; every measured duration (dns.ms, each step's `<step>Ms`);
 * certDaysLeft (its crossing of the expiry threshold changes the code, which counts); the history summary
 * (it moves with every run; a verdict change, which moves it for a reason, counts by itself); and the digits
 * of reasons (a SLOW, TLS_EXPIRING or FLAPPING reason quotes numbers). Keys are sorted, so the
 * order targets are configured in does not matter.
 */
export function fingerprint(sections: ReportedSections): string {
  return createHash('sha256')
    .update(stableJson(meaningful(sections)))
    .digest('hex');
}

function meaningful(sections: ReportedSections): unknown {
  const { lastRunAt: _at, lastRunMs: _ms, runCount: _count, nextRunAt: _next, ...status } = sections.status;
  const results = Object.entries(sections.results).map(
    ([key, { reason, dns, ports, history: _history, ...target }]) => {
      const { ms: _dnsMs, ...dnsMeaning } = dns;
      const portMeaning = Object.entries(ports).map(([port, { certDaysLeft: _days, ...p }]) => [
        port,
        withoutStepTimes(p),
      ]);
      return [
        key,
        { ...target, reason: reason?.replace(/\d+/g, '#'), dns: dnsMeaning, ports: Object.fromEntries(portMeaning) },
      ];
    },
  );
  return { status, results: Object.fromEntries(results), edge: sections.edge };
}

/** A port's entry without its steps' times (`tcpMs`, `tlsMs`, … for every step in PORT_STEPS). */
function withoutStepTimes(port: object): object {
  const times = new Set<string>(PORT_STEPS.map(({ step }) => stepTimeKey(step)));
  return Object.fromEntries(Object.entries(port).filter(([key]) => !times.has(key)));
}

function stableJson(value: unknown): string {
  if (!isPlainObject(value)) return JSON.stringify(value);
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`);
  return `{${entries.join(',')}}`;
}

export interface WriteReportedInput {
  /** fingerprint() of the sections last written and acknowledged; undefined before the first write. */
  prevWritten: string | undefined;
  /** fingerprint() of this run's sections. */
  next: string;
  /** Runs since the last write, this one included (1 on the run after a write). */
  runsSinceWrite: number;
  heartbeatRuns?: number;
}

export function shouldWriteReported({
  prevWritten,
  next,
  runsSinceWrite,
  heartbeatRuns = REPORTED_HEARTBEAT_RUNS,
}: WriteReportedInput): boolean {
  return prevWritten !== next || runsSinceWrite >= heartbeatRuns;
}

/** Runs between full-detail messages when nothing changed (hourly at the default 5-minute interval). */
export const FULL_DETAIL_HEARTBEAT_RUNS = 12;

/**
 * What decides between full detail and a summary: per target its status, code and the addresses in use, and
 * the set of targets. Anything else (times, certificate days) moves on every run without meaning a change.
 */
export function resultKey(run: RunResult | undefined): string {
  if (!run) return '';
  const targets = run.targets.map(
    (t) =>
      `${t.name}|${t.status}|${t.code}|${t.dns.addresses
        .map((a) => a.address)
        .sort()
        .join(',')}`,
  );
  return targets.sort().join('\n');
}

export interface MessageDetailInput {
  mode: 'auto' | 'full';
  /** resultKey() differs from the last run's. */
  changed: boolean;
  /** The run was asked for (`runNow`): whoever asked reads the message. */
  requested: boolean;
  /** Runs since the last full message, this one included; Infinity before the first. */
  runsSinceFull: number;
  heartbeatRuns?: number;
}

export function messageDetail({
  mode,
  changed,
  requested,
  runsSinceFull,
  heartbeatRuns = FULL_DETAIL_HEARTBEAT_RUNS,
}: MessageDetailInput): 'full' | 'summary' {
  return mode === 'full' || changed || requested || runsSinceFull >= heartbeatRuns ? 'full' : 'summary';
}

export interface SendTelemetryInput {
  onChangeOnly: boolean;
  /** A verdict changed in this run (verdictChanges() returned something). */
  changed: boolean;
  /** Runs since the last message, this one included; Infinity before the first one, so the first run sends. */
  runsSinceSend: number;
  heartbeatRuns?: number;
}

export function shouldSendTelemetry({
  onChangeOnly,
  changed,
  runsSinceSend,
  heartbeatRuns = TELEMETRY_HEARTBEAT_RUNS,
}: SendTelemetryInput): boolean {
  return !onChangeOnly || changed || runsSinceSend >= heartbeatRuns;
}
