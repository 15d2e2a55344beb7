// One probe run: every target concurrently, each through at most five sequential steps (DNS, TCP, TLS,
// counterpart TLS or the service exchange, and the proxy's CONNECT on the proxy path), each bounded by
// `timeoutMs`, so a run ends within 5 × timeoutMs whatever the number of targets. Sockets and lookups share
// one in-flight bound, and every step listens for the run's abort on one StepSignals (step-signals.ts).
// Everything outside comes in through `deps`.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { classifyAddress, parsePrivateRanges, type PrivateRanges } from './address.js';
import { defaultPorts, describeName, isTlsPort, type NameInfo } from './catalogue.js';
import type { ProbeDeps } from './deps.js';
import { resolveSystem, resolveWithServer } from './dns.js';
import { createLimiter, type Limiter } from './limit.js';
import { StepSignals } from './step-signals.js';
import { roundMs, type StepOptions } from './step.js';
import { throughProxy } from './steps.js';
import { openTcp, probeTcp } from './tcp.js';
import { certificateCache, openTls, sharedTrust, type CertificateCache, type TlsTrust } from './tls.js';
import { clockReading, clockSkewed } from './clock.js';
import { probeService, serviceProtocol } from './service.js';
import { openTunnel } from './proxy.js';
import { proxyApplies } from './proxy-settings.js';
import type {
  ClassifiedAddress,
  DnsAnswer,
  Overall,
  PortResult,
  ProbeSettings,
  RunResult,
  TargetDns,
  TargetResult,
  TargetSpec,
  ClockReading,
  ProxyResult,
  ServiceResult,
  TcpResult,
  TlsResult,
} from './types.js';
import { dnsVerdict, portVerdict, proxyPathVerdict, targetVerdict, verdictOf, type VerdictInput } from './verdict.js';

/**
 * Steps a target goes through one after another: DNS, TCP, TLS, then either the counterpart-name handshake
 * (after a mismatch) or the service exchange (after a verified handshake) — four — and one more for the
 * proxy's CONNECT before TLS on the proxy path. Five bounds them all.
 */
export const SEQUENTIAL_STEPS = 5;

/** The longest a run can take, whatever the number of targets: each sequential step bounded by timeoutMs. */
export function runBoundMs(timeoutMs: number): number {
  return SEQUENTIAL_STEPS * timeoutMs;
}

export interface RunOptions {
  signal?: AbortSignal;
  runId?: string;
}

/** What every step of one run shares. */
interface RunContext {
  settings: ProbeSettings;
  deps: ProbeDeps;
  limiter: Limiter;
  trust: TlsTrust;
  /** Chains read in this run: each port of a target presents the same one. */
  certificates: CertificateCache;
  ranges: PrivateRanges;
  steps: StepSignals;
}

export async function runProbe(
  targets: readonly TargetSpec[],
  settings: ProbeSettings,
  deps: ProbeDeps,
  options: RunOptions = {},
): Promise<RunResult> {
  const ctx: RunContext = {
    settings,
    deps,
    limiter: createLimiter(settings.maxInFlight),
    trust: sharedTrust(settings.caPem),
    certificates: certificateCache(),
    ranges: parsePrivateRanges(settings.privateRanges),
    steps: new StepSignals(options.signal),
  };
  const startedAt = new Date(deps.now()).toISOString();
  const t0 = deps.elapsed();
  const results = await Promise.all(targets.map((t) => probeTarget(t, ctx))).finally(() => ctx.steps.close());
  const clock = clockReading(results);
  return {
    runId: options.runId ?? randomUUID(),
    startedAt,
    durationMs: Math.round(deps.elapsed() - t0),
    overall: overallOf(results, clock),
    targets: results,
    ...(clock ? { clock } : {}),
  };
}

/**
 * Worst status wins; a run without targets says nothing about the link. A skewed clock is unhealthy whatever
 * the targets say: every SAS token the runtime makes is rejected (CLOCK_SKEW, the audit's finding, says why).
 */
export function overallOf(targets: ReadonlyArray<Pick<TargetResult, 'status'>>, clock?: ClockReading): Overall {
  if (targets.length === 0) return 'unknown';
  if (clockSkewed(clock) || targets.some((t) => t.status === 'unhealthy')) return 'unhealthy';
  if (targets.some((t) => t.status === 'degraded')) return 'degraded';
  return 'healthy';
}

async function probeTarget(target: TargetSpec, ctx: RunContext): Promise<TargetResult> {
  const startedAt = new Date(ctx.deps.now()).toISOString();
  const t0 = ctx.deps.elapsed();
  const name = describeName(target.host);
  const host = name.host;
  const kind = target.kind ?? name.kind;
  const portNumbers = target.ports && target.ports.length > 0 ? target.ports : defaultPorts(kind);

  const dns = await resolveTarget(host, name, ctx);
  const input: VerdictInput = {
    host,
    kind,
    name,
    dns,
    ports: [],
    expectedAddresses: target.expectedAddresses,
    counterpartPrivate: privateAddresses(dns.counterpartAnswers, ctx.ranges),
    settings: ctx.settings,
  };
  const dnsFailure = dnsVerdict(input);
  input.ports = dnsFailure
    ? // The name leads to the wrong place or nowhere: connecting would test someone else's endpoint.
      portNumbers.map((port) => ({
        port,
        ok: false,
        code: dnsFailure.code,
        reason: `not tried: ${dnsFailure.code}`,
        skipped: true,
        tcp: [],
      }))
    : await Promise.all(
        portNumbers.map((port) =>
          probePort(port, isTlsPort(port) || (target.tlsPorts?.includes(port) ?? false), input, ctx),
        ),
      );
  const verdict = dnsFailure ?? targetVerdict(input);
  return {
    name: target.name,
    host,
    kind,
    cloud: name.cloud,
    form: name.form,
    ...(name.counterpart ? { counterpart: name.counterpart } : {}),
    ports: input.ports,
    dns,
    status: verdict.status,
    code: verdict.code,
    reason: verdict.reason,
    startedAt,
    ms: Math.round(ctx.deps.elapsed() - t0),
  };
}

/** One step in flight: it holds a limiter slot until it ends, and listens for the run's abort. */
function step<T>(ctx: RunContext, work: (opts: StepOptions) => Promise<T>): Promise<T> {
  return ctx.limiter.run(() =>
    work({ timeoutMs: ctx.settings.timeoutMs, elapsed: ctx.deps.elapsed, signal: ctx.steps }),
  );
}

/** Every resolver asked about the name and its counterpart at once: one step, bounded by timeoutMs. */
async function resolveTarget(host: string, name: NameInfo, ctx: RunContext): Promise<TargetDns> {
  if (name.form === 'ip') {
    const addresses = [classifyAddress(host, ctx.ranges)];
    return {
      answers: [],
      counterpartAnswers: [],
      resolver: 'literal',
      addresses,
      cname: [],
      private: addresses.every((a) => a.private),
      mismatch: false,
      ms: 0,
    };
  }
  const { settings } = ctx;
  const useSystem = settings.systemDns || settings.dnsServers.length === 0;
  const ask = (n: string): Array<Promise<DnsAnswer>> => [
    ...(useSystem ? [step(ctx, (opts) => systemAnswer(n, ctx, opts))] : []),
    ...settings.dnsServers.map((server) => step(ctx, (opts) => resolveWithServer(n, server, opts))),
  ];
  const t0 = ctx.deps.elapsed();
  const [answers, counterpartAnswers] = await Promise.all([
    Promise.all(ask(host)),
    name.counterpart ? Promise.all(ask(name.counterpart)) : Promise.resolve([]),
  ]);
  const chosen = useSystem ? answers[0] : (answers.find((a) => a.outcome === 'ok') ?? answers[0]);
  const addresses =
    chosen && chosen.outcome === 'ok' ? chosen.addresses.map((a) => classifyAddress(a, ctx.ranges)) : [];
  return {
    answers,
    counterpartAnswers,
    resolver: chosen?.resolver ?? 'system',
    addresses,
    cname: chosen?.cname ?? [],
    private: addresses.length > 0 && addresses.every((a) => a.private),
    mismatch: resolversDisagree(answers),
    ms: roundMs(ctx.deps.elapsed() - t0),
  };
}

/**
 * The system resolver's answer. On EAI_AGAIN (a resolver that is down, or one that answered SERVFAIL: getaddrinfo
 * cannot say which) its nameservers are asked directly with what is left of the step: when none of them answers
 * at all, the failure is the resolver's own (timeout, or `error` such as ECONNREFUSED), not the zone's.
 */
async function systemAnswer(name: string, ctx: RunContext, opts: StepOptions): Promise<DnsAnswer> {
  const answer = await resolveSystem(name, ctx.deps.lookup, opts);
  const nameservers = ctx.settings.systemNameservers ?? [];
  const left = ctx.settings.timeoutMs - answer.ms;
  if (answer.outcome !== 'temporary-failure' || nameservers.length === 0 || left < 50) return answer;
  const direct = await Promise.all(nameservers.map((ns) => resolveWithServer(name, ns, { ...opts, timeoutMs: left })));
  const ms = roundMs(answer.ms + Math.max(...direct.map((d) => d.ms)));
  // A nameserver whose answers cannot be read is what getaddrinfo's "temporary failure" was about: name it.
  const malformed = direct.find((d) => d.outcome === 'malformed');
  if (malformed)
    return {
      ...answer,
      outcome: 'malformed',
      error: `EAI_AGAIN; nameserver ${malformed.resolver}: ${malformed.error}`,
      ms,
    };
  if (direct.some((d) => d.outcome !== 'timeout' && d.outcome !== 'error')) return answer;
  const down = direct
    .map((d) => `${d.resolver} ${d.outcome === 'timeout' ? 'silent' : (d.error ?? 'error')}`)
    .join(', ');
  return {
    ...answer,
    outcome: direct.some((d) => d.outcome === 'timeout') ? 'timeout' : 'error',
    error: `EAI_AGAIN, and no nameserver answers: ${down}`,
    ms,
  };
}

/** Two resolvers disagree when their outcomes or address sets differ. */
function resolversDisagree(answers: readonly DnsAnswer[]): boolean {
  const signatures = new Set(answers.map((a) => `${a.outcome}|${[...a.addresses].sort().join(',')}`));
  return signatures.size > 1;
}

function privateAddresses(answers: readonly DnsAnswer[], ranges: PrivateRanges): string[] {
  const found = answers
    .filter((a) => a.outcome === 'ok')
    .flatMap((a) => a.addresses.map((ad): ClassifiedAddress => classifyAddress(ad, ranges)))
    .filter((a) => a.private)
    .map((a) => a.address);
  return [...new Set(found)];
}

/**
 * TCP to the first address (or to all), then, on a TLS port, the handshake and the service exchange on the first
 * address's own connection: one connection measures every step (the other addresses get a plain connect). On 443
 * behind a proxy, the path through it runs beside the direct one.
 */
async function probePort(port: number, speaksTls: boolean, input: VerdictInput, ctx: RunContext): Promise<PortResult> {
  const addresses = input.dns.addresses.map((a) => a.address);
  const targets = ctx.settings.connectTo === 'all' ? addresses : addresses.slice(0, 1);
  if (targets.length === 0) {
    const v = verdictOf('DNS_NO_ANSWER', `no address to connect to for ${input.host}`);
    return { port, ok: false, code: v.code, reason: v.reason, skipped: true, tcp: [] };
  }
  const [first, ...others] = targets as [string, ...string[]];
  const [proxy, { tcp: firstTcp, tls, service }, ...otherTcp] = await Promise.all([
    proxyPath(port, input, ctx),
    step(ctx, (opts) => connectAndShake(first, port, speaksTls, input, ctx, opts)),
    ...others.map((address) =>
      step(ctx, async (opts) => ({ tcp: await probeTcp(address, port, ctx.deps.connect, opts) })),
    ),
  ]);
  const tcp = [firstTcp, ...otherTcp.map((o) => o.tcp)];
  const direct = portVerdict(input, { port, tcp, tls, service });
  // Behind a proxy the runtime's 443 goes through it: that path decides, the direct one is kept beside it.
  const verdict = throughProxy(proxy) ? proxyPathVerdict(input, port, proxy) : direct;
  return {
    port,
    ok: verdict.status !== 'unhealthy',
    code: verdict.code,
    reason: verdict.reason,
    tcp,
    ...(tls ? { tls } : {}),
    ...(service ? { service } : {}),
    ...(proxy ? { proxy } : {}),
    ...(verdict === direct
      ? {}
      : { direct: { ok: direct.status !== 'unhealthy', code: direct.code, reason: direct.reason } }),
  };
}

/**
 * The runtime sends only its WebSocket upstream (and image pulls) on 443 through `https_proxy`; 8883 and 5671
 * always go direct. Undefined when no proxy concerns this port; `bypassed` when NO_PROXY exempts the name.
 */
async function proxyPath(port: number, input: VerdictInput, ctx: RunContext): Promise<ProxyResult | undefined> {
  const proxy = ctx.settings.proxy;
  if (!proxy || port !== PROXIED_PORT) return undefined;
  if (!proxyApplies(proxy, input.host, port)) return { url: proxy.url, outcome: 'bypassed', ms: 0 };
  return step(ctx, async (opts) => {
    const { result, socket } = await openTunnel(proxy, input.host, port, ctx.deps.connect, opts);
    if (!socket) return result;
    // Through the tunnel the proxy chose the address: the handshake is labelled with the name, and there is no
    // counterpart handshake (it would open a direct connection).
    const { tls, service } = await shakeAndExchange(socket, input.host, port, input, ctx, opts, false);
    return { ...result, tls, ...(service ? { service } : {}) };
  });
}

const PROXIED_PORT = 443;

interface Connection {
  tcp: TcpResult;
  tls?: TlsResult;
  service?: ServiceResult;
}

async function connectAndShake(
  address: string,
  port: number,
  speaksTls: boolean,
  input: VerdictInput,
  ctx: RunContext,
  opts: StepOptions,
): Promise<Connection> {
  const { result: tcp, socket } = await openTcp(address, port, ctx.deps.connect, opts);
  if (!socket) return { tcp };
  if (!speaksTls) {
    socket.destroy();
    return { tcp };
  }
  return { tcp, ...(await shakeAndExchange(socket, address, port, input, ctx, opts, true)) };
}

/** The handshake on a connection the caller opened, then the service exchange on it when the check is on. */
async function shakeAndExchange(
  socket: net.Socket,
  address: string,
  port: number,
  input: VerdictInput,
  ctx: RunContext,
  opts: StepOptions,
  withCounterpart: boolean,
): Promise<{ tls: TlsResult; service?: ServiceResult }> {
  const counterpart = withCounterpart && input.name.counterpart && net.isIP(input.host) === 0;
  const { result: tls, socket: verified } = await openTls(address, port, input.host, ctx.trust, {
    ...opts,
    socket,
    now: ctx.deps.now,
    knownRoots: ctx.settings.knownRoots,
    certificates: ctx.certificates,
    ...(counterpart ? { counterpart: input.name.counterpart } : {}),
  });
  if (!ctx.settings.serviceCheck) {
    verified?.end(() => verified.destroy());
    return { tls };
  }
  if (!verified) return { tls, service: notTried(port, `TLS ${tls.outcome}`) };
  return { tls, service: await probeService(verified, input.host, input.kind, port, { ...opts, now: ctx.deps.now }) };
}

/** The exchange that was not made: the handshake did not verify, so whatever answers is not known to be Azure. */
function notTried(port: number, why: string): ServiceResult {
  const protocol = serviceProtocol(port);
  return { ...(protocol ? { protocol } : {}), outcome: 'skipped', ms: 0, detail: `not tried: ${why}` };
}
