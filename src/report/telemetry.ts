// The results message sent on output `probeResults` after a run, and the body `check --json` prints
// (docs/reference.md, Telemetry). Top-level keys and the keys of their items are the contract: `targets`
// (each target's verdict, the classified addresses in use and how its name resolved), `answers` (every
// resolver's answer for each target's name and its counterpart), `ports` (per target and port, the TCP result
// per address, the TLS handshake with the certificate and the counterpart-name handshake, the service exchange
// after it, and on 443 behind a proxy the path through it), `edge` (the runtime audit and the device's clock).
//
// Shape: each top-level key is a telemetry of the Plug and Play model's `messages` component, whose schemas
// nest at most 5 levels (DTDL), and a command's response, which carries the same body, adds one: so no key
// nests deeper than 4. That is why answers and ports are lists of their own, each item naming its target,
// and a certificate's SANs are one string joined with ','. Unknown values are left out, never null: DTDL has
// no null (the device id outside IoT Edge, the audit when none ran).
//
// Size: a message must stay under 64 KB for 32 targets. Full detail at its worst (253-character names,
// long chains, many addresses, certificates with dozens of SANs) weighs several hundred KB, so the body is
// built at the richest detail level that fits `budgetBytes` (TELEMETRY_LEVELS). Measured
// (test/report/size.test.ts), 32 targets × 3 ports, 253-character names, 512-byte reasons, every target
// flapping: ≈ 57 KB at the floor; with three resolvers × eight addresses and connectTo all on top, ≈ 59 KB;
// with each 443 also behind a proxy with a 253-character name, ≈ 62 KB and ≈ 64 KB; IoT Hub takes 256 KB. A
// typical run (a handful of targets) keeps everything. A list that was cut keeps its first items and gains a
// sibling `<list>Total` with the full count; text is cut at a UTF-8 boundary with '…'. Duplicates are left out
// at every level: an answer's name (it is the target's host, or `dns.counterpart` when the answer says
// `counterpart: true`), the TLS server names (the host, and the counterpart for the counterpart handshake) and a
// certificate already shown on an earlier port (or, through a proxy's tunnel, on any port).
import { fitString } from '../config/twin-safe.js';
import type {
  CertificateInfo,
  ClassifiedAddress,
  ClockReading,
  Cloud,
  Code,
  DnsAnswer,
  DnsOutcome,
  Kind,
  NameForm,
  Overall,
  PortResult,
  ProxyOutcome,
  ProxyResult,
  RunResult,
  ServiceOutcome,
  ServiceProtocol,
  ServiceResult,
  Status,
  TargetResult,
  TcpOutcome,
  TlsOutcome,
  TlsResult,
} from '../probe/types.js';
import { capList, firstThatFits, withoutEmpty } from './budget.js';
import type { EdgeAuditView, EdgeFinding } from './edge-view.js';
import { jsonMessage, type OutboundMessage } from './message.js';

export const RESULT_SCHEMA = 'privatelink-probe/result@2';
/** The compact body of a quiet run (see `summaryBody`). */
export const SUMMARY_SCHEMA = 'privatelink-probe/summary@2';
/** Under the 64 KB §5 promises for the body (the D2C limit is 256 KB, metered in 4 KB chunks). */
export const TELEMETRY_BUDGET_BYTES = 63 * 1024;

export interface TelemetryBody {
  schema: typeof RESULT_SCHEMA;
  /** Left out when unknown (outside IoT Edge, `check`). */
  deviceId?: string;
  moduleId?: string;
  runId: string;
  startedAt: string;
  durationMs: number;
  overall: Overall;
  targets: TelemetryTarget[];
  /** The targets' answers, target by target: the host's, then the counterpart's. */
  answers: TelemetryAnswer[];
  /** The targets' ports, target by target. */
  ports: TelemetryPort[];
  /** Left out when no audit ran and no clock was read. */
  edge?: TelemetryEdge;
}

export interface TelemetryTarget {
  name: string;
  host: string;
  kind: Kind;
  cloud: Cloud;
  status: Status;
  code: Code;
  reason: string;
  /** The addresses connections use, classified. */
  addresses: ClassifiedAddress[];
  addressesTotal?: number;
  dns: TelemetryDns;
  /** While `code` is FLAPPING: the verdict changes counted, the window, and the code this run measured. */
  flapping?: { changes: number; window: number; measured: Code };
}

export interface TelemetryDns {
  form: NameForm;
  /** Which resolver's answer connections use. */
  resolver: string;
  cname: string[];
  cnameTotal?: number;
  private: boolean;
  mismatch: boolean;
  ms: number;
  /** `x.privatelink.<zone>` ↔ `x.<zone>`, when the host has one; left out with its answers at the tightest levels. */
  counterpart?: string;
}

/**
 * What one resolver said about a target's name (the system resolver first, then each explicit server), or
 * about its counterpart when `counterpart` is true; rcode, cname, ttl, ms and error are left out at the
 * tighter levels.
 */
export interface TelemetryAnswer {
  target: string;
  counterpart?: true;
  resolver: string;
  outcome: DnsOutcome;
  addresses: string[];
  addressesTotal?: number;
  rcode?: string;
  cname?: string[];
  cnameTotal?: number;
  ttl?: number;
  ms?: number;
  error?: string;
}

export interface TelemetryPort {
  target: string;
  port: number;
  ok: boolean;
  code: Code;
  /** Left out at the tightest levels. */
  reason?: string;
  /** Not connected to: the target's DNS verdict failed or gave no address. */
  skipped?: true;
  tcp: Array<{ address: string; outcome: TcpOutcome; ms: number; error?: string }>;
  tcpTotal?: number;
  /** The handshake with SNI = the target's host. */
  tls?: TelemetryTls;
  /** The exchange of the port's protocol after a verified handshake (absent when the service check is off). */
  service?: TelemetryService;
  /**
   * On 443 behind a proxy: the path the runtime takes, through it. `ok`, `code` and `reason` are then that path's,
   * and `tcp`, `tls` and `service` the direct path's measurements.
   */
  proxy?: TelemetryProxy;
  /** When the proxy path decided `code`: the direct path's verdict (its reason left out with the ports' reasons). */
  direct?: { code: Code; reason?: string };
}

/**
 * `CONNECT host:443` through the runtime's proxy, then TLS and the service exchange through the tunnel. `url`
 * (never with user information) and `error` are left out with the ports' reasons: the target's reason names the
 * proxy and quotes its answer, and `status` stays.
 */
export interface TelemetryProxy {
  url?: string;
  outcome: ProxyOutcome;
  /** The proxy's HTTP status to CONNECT, when it answered one. */
  status?: number;
  ms: number;
  /** Why it is not `ok` (errno, the status line). */
  error?: string;
  tls?: TelemetryTunnelTls;
  service?: TelemetryService;
}

/**
 * The handshake through the tunnel, shaped as `tls`, without what it cannot have or the body cannot nest: its
 * address is the target's host (the proxy chose where to connect), there is no counterpart handshake, and a
 * certificate object would nest one level deeper than DTDL allows. `sameCertAs` names the port whose direct
 * handshake showed the same certificate; without it (a proxy that re-signs), the port's reason names the chain.
 */
export type TelemetryTunnelTls = Omit<TelemetryTls, 'address' | 'cert' | 'counterpart'>;

/**
 * `detail` is cut like the other texts, and left out with the ports' reasons at the tighter levels (the target's
 * reason still quotes the deciding port's); there a skipped exchange is left out whole: it never ran, and the
 * port's code says why.
 */
export interface TelemetryService {
  protocol?: ServiceProtocol;
  outcome: ServiceOutcome;
  ms: number;
  detail?: string;
}

export interface TelemetryCert {
  notAfter: string;
  daysLeft: number;
  /** The rest is left out at the tightest level. */
  subject?: string;
  issuer?: string;
  /** DNS and IP SANs joined with ','. */
  sans?: string;
  sansTotal?: number;
  notBefore?: string;
  chainTop?: string;
}

export interface TelemetryTls {
  /** Left out at the tightest level, with cipher, azureRoot and error. */
  address?: string;
  outcome: TlsOutcome;
  ms: number;
  protocol?: string;
  cipher?: string;
  azureRoot?: boolean;
  error?: string;
  /** On a TLS timeout or stall: the bytes the server had sent (more than zero: `stalled`). */
  bytesReceived?: number;
  cert?: TelemetryCert;
  /** Instead of `cert`: the same certificate as on this earlier port of the target. */
  sameCertAs?: number;
  /** On a hostname mismatch, the handshake with SNI = dns.counterpart on the same address. */
  counterpart?: { outcome: TlsOutcome; ms: number; error?: string };
}

/**
 * The runtime audit and the device's clock. The audit's keys are there whenever it ran; when it could not run,
 * the clock is still carried (a skewed clock makes `overall` unhealthy and must show why).
 */
export interface TelemetryEdge {
  configToml?: EdgeAuditView['configToml'];
  provisioning?: string;
  /** The audit's, with unknown values left out. */
  upstream?: { hostname?: string; form: EdgeAuditView['upstream']['form']; policyOk: boolean; gateway?: string };
  findings?: EdgeFinding[];
  /** Server time − device time (s) from the `Date` of a verified HTTPS answer; absent when none carried one. */
  clock?: ClockReading;
}

export interface TelemetryContext {
  deviceId: string | null;
  moduleId: string | null;
  edge: EdgeAuditView | null;
  /** Infinity for the whole detail (`check --json` on a terminal has no message limit). */
  budgetBytes?: number;
}

/** How much detail one level keeps: items per list, bytes per free text, which optional blocks. */
interface TelemetryDetail {
  /** Addresses per answer, TCP results per port. */
  list: number;
  /** CNAME hops: names up to 253 characters each. */
  chain: number;
  sans: number;
  text: number;
  /** rcode, cname, ttl, ms and error of every answer. */
  answerDetail: boolean;
  /** Which answers are kept: the host's and the counterpart's (with the counterpart name), the host's, none. */
  answers: 'both' | 'host' | 'none';
  /**
   * address (the first address that connected), cipher, azureRoot and error of a handshake, and subject,
   * issuer, SANs, notBefore and chainTop of its certificate; without them a handshake is its outcome,
   * time, protocol and the certificate's validity.
   */
  tlsDetail: boolean;
  /** Each port's own reason (the target's reason is the deciding port's), and its service exchange's detail. */
  portReason: boolean;
}

const TELEMETRY_LEVELS: readonly [TelemetryDetail, ...TelemetryDetail[]] = [
  {
    list: Infinity,
    chain: Infinity,
    sans: Infinity,
    text: Infinity,
    answerDetail: true,
    answers: 'both',
    tlsDetail: true,
    portReason: true,
  },
  { list: 8, chain: 8, sans: 8, text: 512, answerDetail: true, answers: 'both', tlsDetail: true, portReason: true },
  { list: 3, chain: 3, sans: 3, text: 256, answerDetail: false, answers: 'both', tlsDetail: true, portReason: true },
  { list: 1, chain: 1, sans: 1, text: 160, answerDetail: false, answers: 'host', tlsDetail: true, portReason: false },
  { list: 1, chain: 1, sans: 0, text: 128, answerDetail: false, answers: 'host', tlsDetail: false, portReason: false },
  { list: 1, chain: 0, sans: 0, text: 96, answerDetail: false, answers: 'host', tlsDetail: false, portReason: false },
  // Answers and ports name their target in result@2 (≈ 3 KB more for 32 targets × 3 ports): the floor leaves the
  // answers out, the target's addresses, resolver and mismatch flag still say what was resolved.
  { list: 1, chain: 0, sans: 0, text: 96, answerDetail: false, answers: 'none', tlsDetail: false, portReason: false },
];

/** What every results message starts with: who sent it and which run it is. */
function runHeader(run: RunResult, ctx: Pick<TelemetryContext, 'deviceId' | 'moduleId'>) {
  return {
    deviceId: ctx.deviceId ?? undefined,
    moduleId: ctx.moduleId ?? undefined,
    runId: run.runId,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    overall: run.overall,
  };
}

export function telemetryBody(run: RunResult, ctx: TelemetryContext): TelemetryBody {
  return firstThatFits(
    TELEMETRY_LEVELS,
    (detail) =>
      withoutEmpty({
        schema: RESULT_SCHEMA,
        ...runHeader(run, ctx),
        targets: run.targets.map((t) => telemetryTarget(t, detail)),
        answers: run.targets.flatMap((t) => targetAnswers(t, detail)),
        ports: run.targets.flatMap((t) => t.ports.map((p, i) => telemetryPort(t, p, i, detail))),
        edge: telemetryEdge(ctx.edge, run.clock, detail),
      }),
    ctx.budgetBytes ?? TELEMETRY_BUDGET_BYTES,
  );
}

export function telemetryMessage(body: TelemetryBody | SummaryBody): OutboundMessage {
  return jsonMessage(body, { schema: body.schema, overall: body.overall });
}

/**
 * A quiet run's message: the verdicts, the addresses in use, the step times and the device's clock, without the
 * evidence (answers, chains, certificates, reasons, what answered the service exchange) that the last full
 * message already carried. IoT Hub meters device-to-cloud messages in 4 KB units: this body keeps a run of 5
 * targets × 3 ports in one unit, where the full one takes several. Each target and port is a subset of the full
 * one's fields, under the same names.
 */
export interface SummaryBody extends Omit<TelemetryBody, 'schema' | 'targets' | 'answers' | 'ports' | 'edge'> {
  schema: typeof SUMMARY_SCHEMA;
  targets: SummaryTarget[];
  ports: SummaryPort[];
  /** The audit's part when it ran; the clock whenever it was read. */
  edge?: {
    configToml?: EdgeAuditView['configToml'];
    findings?: Array<Pick<EdgeFinding, 'id' | 'severity'>>;
    clock?: ClockReading;
  };
}

export interface SummaryTarget {
  name: string;
  status: Status;
  code: Code;
  addresses: Array<Pick<ClassifiedAddress, 'address'>>;
  addressesTotal?: number;
  dns: { private: boolean; ms: number };
  flapping?: TelemetryTarget['flapping'];
}

export interface SummaryPort {
  target: string;
  port: number;
  ok: boolean;
  code: Code;
  tcp: Array<{ ms: number }>;
  tls?: { ms: number };
  /** Left out when the exchange was skipped. */
  service?: { ms: number };
  /** On 443 behind a proxy: its CONNECT's outcome (the path's time is in the full body). */
  proxy?: { outcome: ProxyOutcome };
}

/**
 * Addresses per target in a summary (the count says when more were cut; a change of any address sends full
 * detail): 5 targets with two IPv6 addresses each and every audit finding still fit one 4 KB unit.
 */
const SUMMARY_ADDRESSES = 2;

export function summaryBody(run: RunResult, ctx: Omit<TelemetryContext, 'budgetBytes'>): SummaryBody {
  return withoutEmpty({
    schema: SUMMARY_SCHEMA,
    ...runHeader(run, ctx),
    targets: run.targets.map((t) => {
      const addresses = capList(t.dns.addresses, SUMMARY_ADDRESSES);
      return withoutEmpty({
        name: t.name,
        status: t.status,
        code: t.code,
        addresses: addresses.list.map((a) => ({ address: a.address })),
        addressesTotal: addresses.total,
        dns: { private: t.dns.private, ms: t.dns.ms },
        flapping: flappingRecord(t),
      });
    }),
    ports: run.targets.flatMap((t) =>
      t.ports.map((p) =>
        withoutEmpty({
          target: t.name,
          port: p.port,
          ok: p.ok,
          code: p.code,
          tcp: p.tcp.slice(0, 1).map((c) => ({ ms: c.ms })),
          tls: p.tls ? { ms: p.tls.ms } : undefined,
          service: p.service && p.service.outcome !== 'skipped' ? { ms: p.service.ms } : undefined,
          proxy: p.proxy && { outcome: p.proxy.outcome },
        }),
      ),
    ),
    edge: summaryEdge(ctx.edge, run.clock),
  });
}

function summaryEdge(edge: EdgeAuditView | null, clock: ClockReading | undefined): SummaryBody['edge'] {
  const clockEntry = clockRecord(clock);
  if (!edge) return clockEntry && { clock: clockEntry };
  return withoutEmpty({
    configToml: edge.configToml,
    findings: edge.findings.map((f) => ({ id: f.id, severity: f.severity })),
    clock: clockEntry,
  });
}

function telemetryTarget(t: TargetResult, detail: TelemetryDetail): TelemetryTarget {
  const addresses = capList(t.dns.addresses, detail.list);
  const cname = capList(t.dns.cname, detail.chain);
  return withoutEmpty({
    name: t.name,
    host: t.host,
    kind: t.kind,
    cloud: t.cloud,
    status: t.status,
    code: t.code,
    reason: fitString(t.reason, detail.text),
    addresses: addresses.list,
    addressesTotal: addresses.total,
    dns: withoutEmpty({
      form: t.form,
      resolver: t.dns.resolver,
      cname: cname.list,
      cnameTotal: cname.total,
      private: t.dns.private,
      mismatch: t.dns.mismatch,
      ms: t.dns.ms,
      counterpart: detail.answers === 'both' ? t.counterpart : undefined,
    }),
    flapping: flappingRecord(t),
  });
}

/** The target's answers about its host, then about its counterpart, as far as the level keeps them. */
function targetAnswers(t: TargetResult, detail: TelemetryDetail): TelemetryAnswer[] {
  if (detail.answers === 'none') return [];
  const host = t.dns.answers.map((a) => telemetryAnswer(t.name, false, a, detail));
  return detail.answers === 'both'
    ? [...host, ...t.dns.counterpartAnswers.map((a) => telemetryAnswer(t.name, true, a, detail))]
    : host;
}

function flappingRecord(t: TargetResult): TelemetryTarget['flapping'] {
  return t.flapping && { changes: t.flapping.changes, window: t.flapping.window, measured: t.flapping.measured.code };
}

/** The first of `ports` whose direct handshake presented `cert`, if any. */
function firstPortWithCert(ports: readonly PortResult[], cert: CertificateInfo | undefined): number | undefined {
  if (!cert) return undefined;
  const same = JSON.stringify(cert);
  return ports.find((p) => p.tls?.cert !== undefined && JSON.stringify(p.tls.cert) === same)?.port;
}

function telemetryAnswer(target: string, counterpart: boolean, a: DnsAnswer, detail: TelemetryDetail): TelemetryAnswer {
  const addresses = capList(a.addresses, detail.list);
  const brief = {
    target,
    counterpart: counterpart || undefined,
    resolver: a.resolver,
    outcome: a.outcome,
    addresses: addresses.list,
    addressesTotal: addresses.total,
  } as const;
  if (!detail.answerDetail) return withoutEmpty(brief);
  const cname = capList(a.cname, detail.chain);
  return withoutEmpty({
    ...brief,
    rcode: a.rcode,
    cname: cname.list,
    cnameTotal: cname.total,
    ttl: a.ttl,
    ms: a.ms,
    error: optionalText(a.error, detail),
  });
}

/** Port `i` of target `t`; a certificate an earlier port showed is named by that port instead of repeated. */
function telemetryPort(t: TargetResult, p: PortResult, i: number, detail: TelemetryDetail): TelemetryPort {
  const tcp = capList(p.tcp, detail.list);
  const sameCertAs = firstPortWithCert(t.ports.slice(0, i), p.tls?.cert);
  return withoutEmpty({
    target: t.name,
    port: p.port,
    ok: p.ok,
    code: p.code,
    reason: detail.portReason ? fitString(p.reason, detail.text) : undefined,
    skipped: p.skipped,
    tcp: tcp.list.map((c) =>
      withoutEmpty({ address: c.address, outcome: c.outcome, ms: c.ms, error: optionalText(c.error, detail) }),
    ),
    tcpTotal: tcp.total,
    tls: p.tls ? telemetryTls(p.tls, sameCertAs, detail) : undefined,
    service: p.service && telemetryService(p.service, detail),
    proxy: p.proxy && telemetryProxy(p.proxy, firstPortWithCert(t.ports, p.proxy.tls?.cert), detail),
    direct:
      p.direct &&
      withoutEmpty({
        code: p.direct.code,
        reason: detail.portReason ? fitString(p.direct.reason, detail.text) : undefined,
      }),
  });
}

function telemetryProxy(proxy: ProxyResult, sameCertAs: number | undefined, detail: TelemetryDetail): TelemetryProxy {
  return withoutEmpty({
    url: detail.portReason ? fitString(proxy.url, detail.text) : undefined,
    outcome: proxy.outcome,
    status: proxy.status,
    ms: proxy.ms,
    error: detail.portReason ? optionalText(proxy.error, detail) : undefined,
    tls: proxy.tls && tunnelTls(proxy.tls, sameCertAs, detail),
    service: proxy.service && telemetryService(proxy.service, detail),
  });
}

function tunnelTls(tls: TlsResult, sameCertAs: number | undefined, detail: TelemetryDetail): TelemetryTunnelTls {
  const { address: _address, cert: _cert, counterpart: _counterpart, ...shown } = telemetryTls(tls, sameCertAs, detail);
  return shown;
}

function telemetryService(service: ServiceResult, detail: TelemetryDetail): TelemetryService | undefined {
  if (!detail.portReason && service.outcome === 'skipped') return undefined;
  return withoutEmpty({
    protocol: service.protocol,
    outcome: service.outcome,
    ms: service.ms,
    detail: detail.portReason ? fitString(service.detail, detail.text) : undefined,
  });
}

function telemetryTls(tls: TlsResult, sameCertAs: number | undefined, detail: TelemetryDetail): TelemetryTls {
  const counterpart = tls.counterpart;
  return withoutEmpty({
    address: detail.tlsDetail ? tls.address : undefined,
    outcome: tls.outcome,
    ms: tls.ms,
    protocol: tls.protocol,
    cipher: detail.tlsDetail ? tls.cipher : undefined,
    azureRoot: detail.tlsDetail ? tls.azureRoot : undefined,
    error: detail.tlsDetail ? optionalText(tls.error, detail) : undefined,
    bytesReceived: tls.bytesReceived,
    cert: tls.cert && sameCertAs === undefined ? telemetryCert(tls.cert, detail) : undefined,
    sameCertAs,
    counterpart: counterpart
      ? withoutEmpty({
          outcome: counterpart.outcome,
          ms: counterpart.ms,
          error: detail.tlsDetail ? optionalText(counterpart.error, detail) : undefined,
        })
      : undefined,
  });
}

function telemetryCert(cert: CertificateInfo, detail: TelemetryDetail): TelemetryCert {
  if (!detail.tlsDetail) return { notAfter: cert.notAfter, daysLeft: cert.daysLeft };
  const sans = capList(cert.sans, detail.sans);
  return withoutEmpty({
    notAfter: cert.notAfter,
    daysLeft: cert.daysLeft,
    subject: fitString(cert.subject, detail.text),
    issuer: fitString(cert.issuer, detail.text),
    sans: sans.list.join(','),
    sansTotal: sans.total,
    notBefore: cert.notBefore,
    chainTop: optionalText(cert.chainTop, detail),
  });
}

function telemetryEdge(
  edge: EdgeAuditView | null,
  clock: ClockReading | undefined,
  detail: TelemetryDetail,
): TelemetryEdge | undefined {
  const clockEntry = clockRecord(clock);
  if (!edge) return clockEntry && { clock: clockEntry };
  const { hostname, form, policyOk, gateway } = edge.upstream;
  return withoutEmpty({
    configToml: edge.configToml,
    provisioning: fitString(edge.provisioning, detail.text),
    upstream: withoutEmpty({ hostname: hostname ?? undefined, form, policyOk, gateway: gateway ?? undefined }),
    findings: edge.findings.map((f) => ({ id: f.id, severity: f.severity, text: fitString(f.text, detail.text) })),
    clock: clockEntry,
  });
}

/** A copy, so the body never shares an object with the run. */
function clockRecord(clock: ClockReading | undefined): ClockReading | undefined {
  return clock && { offsetSeconds: clock.offsetSeconds, source: clock.source };
}

function optionalText(text: string | undefined, detail: TelemetryDetail): string | undefined {
  return text === undefined ? undefined : fitString(text, detail.text);
}
