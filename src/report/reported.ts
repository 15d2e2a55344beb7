// The module twin's reported sections `status`, `results` and `edge`, built from one run.
//
// Twin-safe by construction: no arrays (lists are joined into strings), every key through twinKeys(),
// every string cut to at most 512 UTF-8 bytes, no null or undefined values (absent means absent; the patch
// turns disappearances into nulls), and at most 5 nested objects counting properties.reported itself:
//   reported(1) › results(2) › <target>(3) › ports(4) › "<port>"(5) › ok
// (IoT Hub does not count the section root, so its count for that path is 4.)
//
// Size: the twin is a summary, telemetry carries the full text. With 32 targets × 3 ports the §4 keys
// alone weigh ≈ 13 KB, so what the strings may add shrinks as targets are added: the sections are built at
// the richest detail level that fits `budgetBytes` (TWIN_LEVELS, richest first; the last is the floor).
// The level is one for the whole document, so the shape of one target depends on how much everything
// weighs together, not on its neighbours' individual strings. Measured (test/report/size.test.ts), 32
// targets × 3 ports all failing, worst strings, every audit finding, a clock reading and each 443 behind a proxy
// with a 253-character name (named once in `status`, cut as hosts are): the floor is ≈ 18 KB,
// so with the acknowledgements of 32 targets the whole document stays ≤ 24 KB for hostnames up to ≈ 100
// characters (Azure's longest real names) and ≈ 29 KB, under IoT Hub's 32 KB, for 253-character ones.
import { fitString, TWIN_MAX_STRING_BYTES } from '../config/twin-safe.js';
import { PORT_STEPS, portSteps, stepTimeKey, stepTimes, type StepTimeKey } from '../probe/steps.js';
import type {
  ClockReading,
  Code,
  Kind,
  Overall,
  PortResult,
  ProxyOutcome,
  RunResult,
  ServiceOutcome,
  Status,
  TargetResult,
} from '../probe/types.js';
import { firstThatFits, withoutEmpty } from './budget.js';
import type { EdgeAuditView } from './edge-view.js';
import type { HistorySummary } from './history.js';
import { proxyUrl } from './probe-text.js';
import { summaryLine } from './summary.js';
import { twinKeys } from './twin-keys.js';

/**
 * Bytes the three sections may take. The whole reported document should stay within 24 KB (§4); the
 * rest is for the desired-key acknowledgements `{ value, ac, av, ad }`, written by the config layer.
 * Callers that know the acknowledgements' size pass `24 * 1024 - jsonBytes(acks)` instead.
 */
export const SECTIONS_BUDGET_BYTES = 18 * 1024;

export type ReportedPort = {
  ok: boolean;
  code: Code;
} & Partial<Record<StepTimeKey, number>> & {
    /** Negotiated TLS protocol, e.g. `TLSv1.3`. */
    tls?: string;
    /** On a TLS timeout or stall: the bytes the server had sent (more than zero: its flight is cut in transit). */
    tlsBytesReceived?: number;
    certDaysLeft?: number;
    /**
     * The service exchange after TLS, and what answered (left out when skipped: the code says why). Flat
     * rather than an object: one more level under the port would exceed the twin's nesting limit.
     */
    service?: ServiceOutcome;
    serviceDetail?: string;
    /**
     * On 443 behind a proxy: its CONNECT's outcome (`bypassed` when NO_PROXY exempts the name), its HTTP status,
     * and the direct path's code when the proxy path decided `code`. Flat, as `service` is.
     */
    proxy?: ProxyOutcome;
    proxyStatus?: number;
    directCode?: Code;
  };

export type ReportedDns = {
  /** The addresses connections use, joined with ','; ` +N more` when cut. */
  addresses: string;
  private: boolean;
  /** The CNAME chain of the answer in use, joined with ' > '. */
  cname?: string;
  ms?: number;
  resolver?: string;
  mismatch: boolean;
};

export type ReportedTarget = {
  status: Status;
  code: Code;
  reason?: string;
  host: string;
  kind: Kind;
  /** When status or code last changed (the run that saw the change), or when the target first appeared. */
  changedAt: string;
  dns: ReportedDns;
  ports: Record<string, ReportedPort>;
  /** The runs the module keeps in memory: verdict changes among them and the share that was not unhealthy. */
  history?: HistorySummary;
  /** While `code` is FLAPPING: what this run measured. */
  measured?: Code;
};

export type ReportedStatus = {
  overall: Overall;
  summary: string;
  lastRunAt: string;
  lastRunMs: number;
  runCount: number;
  nextRunAt: string;
  moduleVersion: string;
  upstream?: { hostname?: string; form: EdgeAuditView['upstream']['form']; policyOk: boolean; gateway?: string };
  /**
   * The HTTP proxy 443 went through (`http://host:port`, never with user information): once, not per port, cut
   * like `host`.
   */
  proxy?: string;
};

/**
 * The runtime audit and the device's clock. The audit's three keys are there whenever it ran; when it could
 * not run, the clock is still reported (a skewed clock makes `overall` unhealthy and must show why).
 */
export type ReportedEdge = {
  configToml?: EdgeAuditView['configToml'];
  provisioning?: string;
  findings?: Record<string, string>;
  /** Server time − device time (s) from the `Date` of a verified HTTPS answer; absent when none carried one. */
  clock?: ClockReading;
};

export type ReportedSections = {
  status: ReportedStatus;
  results: Record<string, ReportedTarget>;
  /** null when no audit ran and no clock was read (the patch then deletes an old `edge` section). */
  edge: ReportedEdge | null;
};

/** What changedAt is carried over from: the previous run's sections, or the twin's as read at start-up. */
export type PreviousResults = { results?: Readonly<Record<string, PreviousEntry | null | undefined>> };
type PreviousEntry = Partial<Pick<ReportedTarget, 'status' | 'code' | 'changedAt'>>;

export interface ReportedContext {
  edge: EdgeAuditView | null;
  moduleVersion: string;
  /** ISO time of the next scheduled run. */
  nextRunAt: string;
  /** Runs since the module started, this one included. */
  runCount: number;
  previous?: PreviousResults;
  budgetBytes?: number;
  /** Each target's history summary, by target name. */
  history?: (name: string) => HistorySummary | undefined;
}

/** How much the twin keeps at one detail level (bytes of text, a count of addresses). */
interface TwinDetail {
  /** 0 leaves the reason out: at that level a reason could no longer name a fix, and telemetry has it whole. */
  reason: number;
  /** The CNAME chain, finding texts, provisioning. */
  text: number;
  addresses: number;
  host: number;
  /**
   * dns.ms and per port each step's time (`tcpMs`, `tlsMs`, …), tls, tlsBytesReceived, certDaysLeft, service,
   * serviceDetail (cut to `text`), proxy, proxyStatus and directCode: what was measured, beside the verdict.
   */
  measurements: boolean;
  /** dns.cname and dns.resolver: how the name was resolved, beside what it resolved to. */
  answerPath: boolean;
}

const TWIN_LEVELS: readonly [TwinDetail, ...TwinDetail[]] = [
  // A small installation keeps every text whole (512 bytes is the twin's per-string limit): the fix is its end.
  {
    reason: TWIN_MAX_STRING_BYTES,
    text: TWIN_MAX_STRING_BYTES,
    addresses: 4,
    host: TWIN_MAX_STRING_BYTES,
    measurements: true,
    answerPath: true,
  },
  { reason: 200, text: 200, addresses: 4, host: TWIN_MAX_STRING_BYTES, measurements: true, answerPath: true },
  { reason: 120, text: 120, addresses: 2, host: TWIN_MAX_STRING_BYTES, measurements: true, answerPath: true },
  { reason: 80, text: 80, addresses: 1, host: 128, measurements: true, answerPath: true },
  { reason: 64, text: 64, addresses: 1, host: 64, measurements: false, answerPath: true },
  // The floor: the verdict, where the name leads and since when; nothing an operator could not get from telemetry.
  { reason: 0, text: 40, addresses: 1, host: 64, measurements: false, answerPath: false },
];

/** Versions, times, resolver endpoints, protocol names: short by nature, cut in case they are not. */
const IDENTIFIER_BYTES = 64;

export function reportedSections(run: RunResult, ctx: ReportedContext): ReportedSections {
  const keys = twinKeys(run.targets.map((t) => t.name));
  const changedAt = keys.map((key, i) => changedAtOf(run.targets[i]!, ctx.previous?.results?.[key], run.startedAt));
  const status = statusSection(run, ctx);
  const proxy = proxyUrl(run);
  return firstThatFits(
    TWIN_LEVELS,
    (detail) => ({
      // Cut as hosts are: at the floor a 253-character proxy name would not fit beside 32 targets.
      status: proxy === undefined ? status : { ...status, proxy: fitString(proxy, detail.host) },
      results: Object.fromEntries(
        run.targets.map((t, i) => [keys[i]!, targetEntry(t, changedAt[i]!, detail, ctx.history?.(t.name))]),
      ),
      edge: edgeSection(ctx.edge, run.clock, detail),
    }),
    ctx.budgetBytes ?? SECTIONS_BUDGET_BYTES,
  );
}

/** Kept while status and code stay the same; the run's start when they change or the target is new. */
function changedAtOf(t: TargetResult, prev: PreviousEntry | null | undefined, now: string): string {
  return prev && prev.status === t.status && prev.code === t.code && typeof prev.changedAt === 'string'
    ? prev.changedAt
    : now;
}

function statusSection(run: RunResult, ctx: ReportedContext): ReportedStatus {
  const up = ctx.edge?.upstream;
  return withoutEmpty({
    overall: run.overall,
    summary: fitString(summaryLine(run)),
    lastRunAt: fitString(run.startedAt, IDENTIFIER_BYTES),
    lastRunMs: whole(run.durationMs) ?? 0,
    runCount: whole(ctx.runCount) ?? 0,
    nextRunAt: fitString(ctx.nextRunAt, IDENTIFIER_BYTES),
    moduleVersion: fitString(ctx.moduleVersion, IDENTIFIER_BYTES),
    upstream: up
      ? withoutEmpty({
          hostname: up.hostname === null ? undefined : fitString(up.hostname),
          form: up.form,
          policyOk: up.policyOk,
          gateway: up.gateway === null ? undefined : fitString(up.gateway),
        })
      : undefined,
  });
}

function targetEntry(
  t: TargetResult,
  changedAt: string,
  detail: TwinDetail,
  history: HistorySummary | undefined,
): ReportedTarget {
  const portKeys = twinKeys(t.ports.map((p) => String(p.port)));
  return withoutEmpty({
    status: t.status,
    code: t.code,
    reason: detail.reason > 0 ? fitString(t.reason, detail.reason) : undefined,
    host: fitString(t.host, detail.host),
    kind: t.kind,
    changedAt: fitString(changedAt, IDENTIFIER_BYTES),
    dns: withoutEmpty({
      addresses: fitString(
        joinCapped(
          t.dns.addresses.map((a) => a.address),
          detail.addresses,
        ),
      ),
      private: t.dns.private,
      cname: detail.answerPath ? fitString(t.dns.cname.join(' > '), detail.text) : undefined,
      ms: detail.measurements ? whole(t.dns.ms) : undefined,
      resolver: detail.answerPath ? fitString(t.dns.resolver, IDENTIFIER_BYTES) : undefined,
      mismatch: t.dns.mismatch,
    }),
    ports: Object.fromEntries(t.ports.map((p, i) => [portKeys[i]!, portEntry(p, detail)])),
    history: detail.measurements ? history : undefined,
    measured: t.flapping?.measured.code,
  });
}

function portEntry(p: PortResult, detail: TwinDetail): ReportedPort {
  if (!detail.measurements) return { ok: p.ok, code: p.code };
  const times = stepTimes(portSteps(p));
  return withoutEmpty({
    ok: p.ok,
    code: p.code,
    ...Object.fromEntries(PORT_STEPS.map(({ step }) => [stepTimeKey(step), whole(times[step])])),
    tls: p.tls?.protocol === undefined ? undefined : fitString(p.tls.protocol, IDENTIFIER_BYTES),
    tlsBytesReceived: whole(p.tls?.bytesReceived),
    certDaysLeft: whole(p.tls?.cert?.daysLeft),
    ...serviceFields(p, detail),
    ...proxyFields(p),
  });
}

function serviceFields(p: PortResult, detail: TwinDetail): Pick<ReportedPort, 'service' | 'serviceDetail'> {
  const service = p.service;
  if (!service || service.outcome === 'skipped') return {};
  return { service: service.outcome, serviceDetail: fitString(service.detail, detail.text) };
}

function proxyFields(p: PortResult): Pick<ReportedPort, 'proxy' | 'proxyStatus' | 'directCode'> {
  if (!p.proxy) return {};
  return { proxy: p.proxy.outcome, proxyStatus: whole(p.proxy.status), directCode: p.direct?.code };
}

function edgeSection(
  edge: EdgeAuditView | null,
  clock: ClockReading | undefined,
  detail: TwinDetail,
): ReportedEdge | null {
  const clockEntry = clock && { offsetSeconds: clock.offsetSeconds, source: fitString(clock.source, IDENTIFIER_BYTES) };
  if (!edge) return clockEntry ? { clock: clockEntry } : null;
  const keys = twinKeys(edge.findings.map((f) => f.id));
  return withoutEmpty({
    configToml: edge.configToml,
    provisioning: fitString(edge.provisioning, detail.text),
    findings: Object.fromEntries(edge.findings.map((f, i) => [keys[i]!, fitString(f.text, detail.text)])),
    clock: clockEntry,
  });
}

/** `a,b,c +2 more`: the first `max` items, then how many were left out. */
function joinCapped(items: readonly string[], max: number): string {
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} +${items.length - max} more` : shown;
}

/** A whole number, or undefined for a missing or non-finite one (the twin accepts only finite numbers); never -0. */
function whole(n: number | undefined): number | undefined {
  return n !== undefined && Number.isFinite(n) ? Math.round(n) + 0 : undefined;
}
