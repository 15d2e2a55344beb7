// The results message sent on output `probeResults` after a run, and the body `check --json` prints
// (the README's telemetry reference). Top-level keys and per-target keys are the contract; inside `dns` and `ports` the body
// carries the evidence: every resolver's answer for the name and its counterpart, the classified
// addresses in use, the CNAME chain, per-port and per-address TCP results, the TLS handshake with the
// certificate and the counterpart-name handshake.
//
// Size: a message must stay under 64 KB for 32 targets. Full detail at its worst (253-character names,
// long chains, many addresses, certificates with dozens of SANs) weighs several hundred KB, so the body is
// built at the richest detail level that fits `budgetBytes` (TELEMETRY_LEVELS). Measured
// (test/report/size.test.ts), 32 targets × 3 ports, 253-character names, 512-byte reasons: ≈ 62 KB at the
// floor; with three resolvers × eight addresses and connectTo all on top, ≈ 68 KB, over the 64 KB aim but
// far under IoT Hub's 256 KB. A typical run (a handful of targets) keeps everything. A list that was cut keeps
// its first items and gains a sibling `<list>Total` with the full count; text is cut at a UTF-8 boundary
// with '…'. Duplicates are left out at every level: an answer's name (it is the target's host, or the
// counterpart for `counterpartAnswers`), a TCP result's port, the TLS server names (the host, and the
// counterpart for the counterpart handshake) and a certificate already shown on an earlier port.
import { fitString } from '../config/twin-safe.js';
import type {
  CertificateInfo,
  ClassifiedAddress,
  Cloud,
  Code,
  DnsAnswer,
  DnsOutcome,
  Kind,
  NameForm,
  Overall,
  PortResult,
  RunResult,
  Status,
  TargetResult,
  TcpOutcome,
  TlsOutcome,
  TlsResult,
} from '../probe/types.js';
import { capList, firstThatFits, withoutEmpty } from './budget.js';
import type { EdgeAuditView, EdgeFinding } from './edge-view.js';
import { jsonMessage, type OutboundMessage } from './message.js';

export const RESULT_SCHEMA = 'privatelink-probe/result@1';
/** The compact body of a quiet run (see `summaryBody`). */
export const SUMMARY_SCHEMA = 'privatelink-probe/summary@1';
/** Under the 64 KB §5 promises for the body (the D2C limit is 256 KB, metered in 4 KB chunks). */
export const TELEMETRY_BUDGET_BYTES = 63 * 1024;

export interface TelemetryBody {
  schema: typeof RESULT_SCHEMA;
  deviceId: string | null;
  moduleId: string | null;
  runId: string;
  startedAt: string;
  durationMs: number;
  overall: Overall;
  targets: TelemetryTarget[];
  edge: TelemetryEdge | null;
}

export interface TelemetryTarget {
  name: string;
  host: string;
  kind: Kind;
  cloud: Cloud;
  status: Status;
  code: Code;
  reason: string;
  dns: TelemetryDns;
  ports: TelemetryPort[];
  /** While `code` is FLAPPING: the verdict changes counted, the window, and the code this run measured. */
  flapping?: { changes: number; window: number; measured: Code };
}

export interface TelemetryDns {
  form: NameForm;
  /** Which resolver's answer connections use. */
  resolver: string;
  addresses: ClassifiedAddress[];
  addressesTotal?: number;
  cname: string[];
  cnameTotal?: number;
  private: boolean;
  mismatch: boolean;
  ms: number;
  /** One per resolver asked about the host: the system resolver first, then each explicit server. */
  answers: TelemetryAnswer[];
  /** `x.privatelink.<zone>` ↔ `x.<zone>`, when the host has one; left out with counterpartAnswers at the tightest levels. */
  counterpart?: string;
  counterpartAnswers?: TelemetryAnswer[];
}

/** A DnsAnswer without its name; rcode, cname, ttl, ms and error are left out at the tighter levels. */
export interface TelemetryAnswer {
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
  port: number;
  ok: boolean;
  code: Code;
  /** Left out at the tightest levels. */
  reason?: string;
  tcp: Array<{ address: string; outcome: TcpOutcome; ms: number; error?: string }>;
  tcpTotal?: number;
  /** The handshake with SNI = the target's host. */
  tls?: TelemetryTls;
}

export interface TelemetryCert {
  notAfter: string;
  daysLeft: number;
  /** The rest is left out at the tightest level. */
  subject?: string;
  issuer?: string;
  sans?: string[];
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
  cert?: TelemetryCert;
  /** Instead of `cert`: the same certificate as on this earlier port of the target. */
  sameCertAs?: number;
  /** On a hostname mismatch, the handshake with SNI = dns.counterpart on the same address. */
  counterpart?: { outcome: TlsOutcome; ms: number; error?: string };
}

export interface TelemetryEdge {
  configToml: EdgeAuditView['configToml'];
  provisioning: string;
  upstream: EdgeAuditView['upstream'];
  findings: EdgeFinding[];
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
  /** The counterpart name and what each resolver said about it. */
  counterpartAnswers: boolean;
  /**
   * address (the first address that connected), cipher, azureRoot and error of a handshake, and subject,
   * issuer, SANs, notBefore and chainTop of its certificate; without them a handshake is its outcome,
   * time, protocol and the certificate's validity.
   */
  tlsDetail: boolean;
  /** Each port's own reason (the target's reason is the deciding port's). */
  portReason: boolean;
}

const TELEMETRY_LEVELS: readonly [TelemetryDetail, ...TelemetryDetail[]] = [
  { list: Infinity, chain: Infinity, sans: Infinity, text: Infinity, answerDetail: true, counterpartAnswers: true, tlsDetail: true, portReason: true },
  { list: 8, chain: 8, sans: 8, text: 512, answerDetail: true, counterpartAnswers: true, tlsDetail: true, portReason: true },
  { list: 3, chain: 3, sans: 3, text: 256, answerDetail: false, counterpartAnswers: true, tlsDetail: true, portReason: true },
  { list: 1, chain: 1, sans: 1, text: 160, answerDetail: false, counterpartAnswers: false, tlsDetail: true, portReason: false },
  { list: 1, chain: 1, sans: 0, text: 128, answerDetail: false, counterpartAnswers: false, tlsDetail: false, portReason: false },
  { list: 1, chain: 0, sans: 0, text: 96, answerDetail: false, counterpartAnswers: false, tlsDetail: false, portReason: false },
];

export function telemetryBody(run: RunResult, ctx: TelemetryContext): TelemetryBody {
  return firstThatFits(
    TELEMETRY_LEVELS,
    (detail) => ({
      schema: RESULT_SCHEMA,
      deviceId: ctx.deviceId,
      moduleId: ctx.moduleId,
      runId: run.runId,
      startedAt: run.startedAt,
      durationMs: run.durationMs,
      overall: run.overall,
      targets: run.targets.map((t) => telemetryTarget(t, detail)),
      edge: ctx.edge ? telemetryEdge(ctx.edge, detail) : null,
    }),
    ctx.budgetBytes ?? TELEMETRY_BUDGET_BYTES,
  );
}

export function telemetryMessage(body: TelemetryBody | SummaryBody): OutboundMessage {
  return jsonMessage(body, { schema: body.schema, overall: body.overall });
}

/**
 * A quiet run's message: the verdicts, the addresses in use and the step times, without the evidence (answers,
 * chains, certificates, reasons) that the last full message already carried. IoT Hub meters device-to-cloud
 * messages in 4 KB units: this body keeps a run of 5 targets × 3 ports in one unit, where the full one takes
 * several. Each target is a subset of the full target's fields, under the same names.
 */
export interface SummaryBody extends Omit<TelemetryBody, 'schema' | 'targets' | 'edge'> {
  schema: typeof SUMMARY_SCHEMA;
  targets: SummaryTarget[];
  edge: { configToml: EdgeAuditView['configToml']; findings: Array<Pick<EdgeFinding, 'id' | 'severity'>> } | null;
}

export interface SummaryTarget {
  name: string;
  status: Status;
  code: Code;
  dns: { addresses: Array<Pick<ClassifiedAddress, 'address'>>; addressesTotal?: number; private: boolean; ms: number };
  ports: Array<{ port: number; ok: boolean; code: Code; tcp: Array<{ ms: number }>; tls?: { ms: number } }>;
  flapping?: TelemetryTarget['flapping'];
}

/**
 * Addresses per target in a summary (the count says when more were cut; a change of any address sends full
 * detail): 5 targets with two IPv6 addresses each and every audit finding still fit one 4 KB unit.
 */
const SUMMARY_ADDRESSES = 2;

export function summaryBody(run: RunResult, ctx: Omit<TelemetryContext, 'budgetBytes'>): SummaryBody {
  return {
    schema: SUMMARY_SCHEMA,
    deviceId: ctx.deviceId,
    moduleId: ctx.moduleId,
    runId: run.runId,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    overall: run.overall,
    targets: run.targets.map((t) => {
      const addresses = capList(t.dns.addresses, SUMMARY_ADDRESSES);
      return withoutEmpty({
        name: t.name,
        status: t.status,
        code: t.code,
        dns: withoutEmpty({ addresses: addresses.list.map((a) => ({ address: a.address })), addressesTotal: addresses.total, private: t.dns.private, ms: t.dns.ms }),
        ports: t.ports.map((p) => withoutEmpty({ port: p.port, ok: p.ok, code: p.code, tcp: p.tcp.slice(0, 1).map((c) => ({ ms: c.ms })), tls: p.tls ? { ms: p.tls.ms } : undefined })),
        flapping: flappingRecord(t),
      });
    }),
    edge: ctx.edge ? { configToml: ctx.edge.configToml, findings: ctx.edge.findings.map((f) => ({ id: f.id, severity: f.severity })) } : null,
  };
}

function telemetryTarget(t: TargetResult, detail: TelemetryDetail): TelemetryTarget {
  const addresses = capList(t.dns.addresses, detail.list);
  const cname = capList(t.dns.cname, detail.chain);
  return {
    name: t.name,
    host: t.host,
    kind: t.kind,
    cloud: t.cloud,
    status: t.status,
    code: t.code,
    reason: fitString(t.reason, detail.text),
    dns: withoutEmpty({
      form: t.form,
      resolver: t.dns.resolver,
      addresses: addresses.list,
      addressesTotal: addresses.total,
      cname: cname.list,
      cnameTotal: cname.total,
      private: t.dns.private,
      mismatch: t.dns.mismatch,
      ms: t.dns.ms,
      answers: t.dns.answers.map((a) => telemetryAnswer(a, detail)),
      counterpart: detail.counterpartAnswers ? t.counterpart : undefined,
      counterpartAnswers: detail.counterpartAnswers ? t.dns.counterpartAnswers.map((a) => telemetryAnswer(a, detail)) : undefined,
    }),
    ports: t.ports.map((p, i) => telemetryPort(p, firstPortWithCert(t.ports, i), detail)),
    ...(t.flapping ? { flapping: flappingRecord(t) } : {}),
  };
}

function flappingRecord(t: TargetResult): TelemetryTarget['flapping'] {
  return t.flapping && { changes: t.flapping.changes, window: t.flapping.window, measured: t.flapping.measured.code };
}

/** The earlier port of the target that presented the same certificate as port `i`, if any. */
function firstPortWithCert(ports: readonly PortResult[], i: number): number | undefined {
  const cert = ports[i]!.tls?.cert;
  if (!cert) return undefined;
  const same = JSON.stringify(cert);
  return ports.slice(0, i).find((p) => p.tls?.cert !== undefined && JSON.stringify(p.tls.cert) === same)?.port;
}

function telemetryAnswer(a: DnsAnswer, detail: TelemetryDetail): TelemetryAnswer {
  const addresses = capList(a.addresses, detail.list);
  const brief = { resolver: a.resolver, outcome: a.outcome, addresses: addresses.list, addressesTotal: addresses.total };
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

function telemetryPort(p: PortResult, sameCertAs: number | undefined, detail: TelemetryDetail): TelemetryPort {
  const tcp = capList(p.tcp, detail.list);
  return withoutEmpty({
    port: p.port,
    ok: p.ok,
    code: p.code,
    reason: detail.portReason ? fitString(p.reason, detail.text) : undefined,
    tcp: tcp.list.map((c) => withoutEmpty({ address: c.address, outcome: c.outcome, ms: c.ms, error: optionalText(c.error, detail) })),
    tcpTotal: tcp.total,
    tls: p.tls ? telemetryTls(p.tls, sameCertAs, detail) : undefined,
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
    cert: tls.cert && sameCertAs === undefined ? telemetryCert(tls.cert, detail) : undefined,
    sameCertAs,
    counterpart: counterpart
      ? withoutEmpty({ outcome: counterpart.outcome, ms: counterpart.ms, error: detail.tlsDetail ? optionalText(counterpart.error, detail) : undefined })
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
    sans: sans.list,
    sansTotal: sans.total,
    notBefore: cert.notBefore,
    chainTop: optionalText(cert.chainTop, detail),
  });
}

function telemetryEdge(edge: EdgeAuditView, detail: TelemetryDetail): TelemetryEdge {
  return {
    configToml: edge.configToml,
    provisioning: fitString(edge.provisioning, detail.text),
    upstream: edge.upstream,
    findings: edge.findings.map((f) => ({ id: f.id, severity: f.severity, text: fitString(f.text, detail.text) })),
  };
}

function optionalText(text: string | undefined, detail: TelemetryDetail): string | undefined {
  return text === undefined ? undefined : fitString(text, detail.text);
}
