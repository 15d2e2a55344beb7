// Run results as the engine produces them, for the report tests: a healthy private-endpoint target, the
// classic failures, and a generated worst case for the size limits.
import { FINDING_IDS } from '../../src/edge/finding.js';
import type { EdgeAuditView } from '../../src/report/edge-view.js';
import type {
  ClassifiedAddress,
  DnsAnswer,
  PortResult,
  ProxyOutcome,
  ProxyResult,
  ServiceProtocol,
  ResolverName,
  ServiceResult,
  RunResult,
  TargetResult,
  TlsResult,
} from '../../src/probe/types.js';

export const STARTED_AT = '2026-11-28T09:00:00.000Z';

const DIGICERT_ISSUER = 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04';

export function privateAddress(address: string): ClassifiedAddress {
  return { address, family: address.includes(':') ? 6 : 4, class: 'private', private: true };
}

export function tls(address: string, port: number, host: string, over: Partial<TlsResult> = {}): TlsResult {
  return {
    address,
    port,
    servername: host,
    outcome: 'ok',
    ms: 21,
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    azureRoot: true,
    cert: {
      subject: 'CN=*.azure-devices.net',
      issuer: DIGICERT_ISSUER,
      sans: ['*.azure-devices.net', '*.amqpws.azure-devices.net', '*.su.management-azure-devices.net'],
      notBefore: '2026-06-01T00:00:00.000Z',
      notAfter: '2027-05-27T23:59:59.000Z',
      daysLeft: 180,
      chainTop: 'CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US',
    },
    ...over,
  };
}

export function okPort(address: string, port: number, host: string): PortResult {
  return {
    port,
    ok: true,
    code: 'OK',
    reason: `port ${port}: TLS TLSv1.3 verified for ${host}`,
    tcp: [{ address, port, outcome: 'ok', ms: 3 }],
    tls: tls(address, port, host),
    service: OK_SERVICE[port] ?? { outcome: 'skipped', ms: 0, detail: `no exchange known for port ${port}` },
  };
}

/** What Azure's endpoints answer to the service check's credential-free exchanges. */
const OK_SERVICE: Record<number, ServiceResult> = {
  8883: { protocol: 'mqtt', outcome: 'ok', ms: 4, detail: 'CONNACK 5' },
  5671: { protocol: 'amqp', outcome: 'ok', ms: 4, detail: 'AMQP header' },
  443: { protocol: 'https', outcome: 'ok', ms: 6, detail: 'HTTP 401 iothub-errorcode', clockOffsetSeconds: 0.2 },
};

/** What the engine records for the exchange a handshake that did not verify stops. */
const NOT_TRIED_AFTER_MISMATCH: ServiceResult = {
  protocol: 'https',
  outcome: 'skipped',
  ms: 0,
  detail: 'not tried: TLS hostname-mismatch',
};

function systemAnswer(name: string, addresses: string[]): DnsAnswer {
  return { resolver: 'system', name, outcome: 'ok', addresses, cname: [], ms: 2 };
}

/**
 * The hub with MQTT blocked after TLS (`blockedDetail` says how) and the handshake on 443 stalled after 1,380
 * bytes: what a firewall filtering by application and a tunnel dropping large packets look like.
 */
export function blockedAndStalledTarget(blockedDetail = 'no answer within 5000 ms'): TargetResult {
  const hub = healthyTarget();
  const blocked: PortResult = {
    ...hub.ports[0]!,
    ok: false,
    code: 'APP_BLOCKED',
    service: { protocol: 'mqtt', outcome: 'blocked', ms: 5000, detail: blockedDetail },
  };
  const stalled: PortResult = {
    ...hub.ports[2]!,
    ok: false,
    code: 'TLS_STALLED',
    tls: tls('10.1.1.4', 443, hub.host, { outcome: 'stalled', ms: 5000, bytesReceived: 1380 }),
    service: undefined,
  };
  return { ...hub, status: 'unhealthy', code: 'APP_BLOCKED', ports: [blocked, stalled] };
}

/** A private-endpoint target that works: resolves to a private address, every port connects and verifies. */
export function healthyTarget(
  name = 'hub',
  host = 'myhub.privatelink.azure-devices.net',
  over: Partial<TargetResult> = {},
): TargetResult {
  const address = '10.1.1.4';
  return {
    name,
    host,
    kind: 'iothub',
    cloud: 'public',
    form: 'privatelink',
    counterpart: host.replace('.privatelink.', '.'),
    ports: [8883, 5671, 443].map((p) => okPort(address, p, host)),
    dns: {
      answers: [systemAnswer(host, [address])],
      counterpartAnswers: [systemAnswer(host.replace('.privatelink.', '.'), [address])],
      resolver: 'system',
      addresses: [privateAddress(address)],
      cname: [],
      private: true,
      mismatch: false,
      ms: 4,
    },
    status: 'healthy',
    code: 'OK',
    reason: `${host} resolves to private ${address} via the system resolver; ports 8883, 5671, 443 verified`,
    startedAt: STARTED_AT,
    ms: 40,
    ...over,
  };
}

/** Blob storage whose private zone is not linked: the name resolves to the public frontend. */
export function publicBlobTarget(name = 'blob'): TargetResult {
  const host = 'factorylogs.blob.core.windows.net';
  const publicAddress = '203.0.113.40';
  const cname = ['factorylogs.privatelink.blob.core.windows.net', 'blob.ams07prdstr02a.store.core.windows.net'];
  return {
    name,
    host,
    kind: 'blob',
    cloud: 'public',
    form: 'public',
    counterpart: 'factorylogs.privatelink.blob.core.windows.net',
    ports: [
      {
        port: 443,
        ok: false,
        code: 'DNS_PUBLIC_ADDRESS',
        reason: 'not tried: DNS_PUBLIC_ADDRESS',
        skipped: true,
        tcp: [],
      },
    ],
    dns: {
      answers: [
        systemAnswer(host, [publicAddress]),
        {
          resolver: '10.0.0.4:53',
          name: host,
          outcome: 'ok',
          rcode: 'NOERROR',
          addresses: [publicAddress],
          cname,
          ttl: 60,
          ms: 9,
        },
      ],
      counterpartAnswers: [],
      resolver: 'system',
      addresses: [{ address: publicAddress, family: 4, class: 'public', private: false }],
      cname,
      private: false,
      mismatch: false,
      ms: 11,
    },
    status: 'unhealthy',
    code: 'DNS_PUBLIC_ADDRESS',
    reason:
      `${host} resolves to public ${publicAddress} via the system resolver: link the private DNS zone ` +
      "privatelink.blob.core.windows.net to the network's virtual network and make the on-premises resolver " +
      'forward blob.core.windows.net to the Azure DNS Private Resolver',
    startedAt: STARTED_AT,
    ms: 12,
  };
}

/** ACR reached by its privatelink name: the certificate covers only the public name. */
export function mismatchAcrTarget(name = 'acr'): TargetResult {
  const host = 'factoryacr.privatelink.azurecr.io';
  const base = healthyTarget(name, host, { kind: 'acr' });
  const reason =
    'TLS on 10.1.1.4:443: the endpoint is right, but its certificate covers *.azurecr.io, not factoryacr.privatelink.azurecr.io: configure clients with factoryacr.azurecr.io';
  const port: PortResult = {
    ...okPort('10.1.1.4', 443, host),
    ok: false,
    code: 'TLS_HOSTNAME_MISMATCH',
    reason,
    tls: tls('10.1.1.4', 443, host, {
      outcome: 'hostname-mismatch',
      error: 'ERR_TLS_CERT_ALTNAME_INVALID',
      counterpart: { servername: 'factoryacr.azurecr.io', outcome: 'ok', ms: 19 },
    }),
    service: NOT_TRIED_AFTER_MISMATCH,
  };
  return { ...base, ports: [port], status: 'unhealthy', code: 'TLS_HOSTNAME_MISMATCH', reason };
}

/** The runtime's proxy in the proxied builders: as the engine shows it, without user information. */
export const PROXY_URL = 'http://proxy.factory.local:3128';

/** What the proxy answers to CONNECT when it does not open a tunnel, and the code that makes of the port. */
const PROXY_REFUSALS = {
  unreachable: { code: 'PROXY_UNREACHABLE', error: 'connect ECONNREFUSED 10.0.0.8:3128' },
  'auth-required': {
    code: 'PROXY_AUTH_REQUIRED',
    status: 407,
    error: 'HTTP/1.1 407 Proxy Authentication Required (the proxy asks for Basic)',
  },
  denied: { code: 'PROXY_DENIED', status: 403, error: 'HTTP/1.1 403 Forbidden' },
  'upstream-failed': { code: 'PROXY_UPSTREAM_FAILED', status: 502, error: 'HTTP/1.1 502 Bad Gateway' },
} as const satisfies Record<Exclude<ProxyOutcome, 'ok' | 'bypassed'>, Pick<PortResult, 'code'> & Partial<ProxyResult>>;

/**
 * Port 443 behind the runtime's proxy, as the engine records it on a network whose firewall refuses the direct
 * path: the path through the proxy decides (`ok`: its tunnel verified and HTTPS answered), the direct one is kept
 * beside it. `bypassed`: NO_PROXY exempts the name, the port is the direct path's alone.
 */
export function proxiedPort(host: string, outcome: ProxyOutcome = 'ok', url = PROXY_URL): PortResult {
  const address = '10.1.1.4';
  if (outcome === 'bypassed') return { ...okPort(address, 443, host), proxy: { url, outcome, ms: 0 } };
  const direct = {
    port: 443,
    tcp: [{ address, port: 443, outcome: 'refused' as const, ms: 1, error: 'ECONNREFUSED' }],
    direct: {
      ok: false,
      code: 'TCP_REFUSED' as const,
      reason: `${address}:443 (${host}) refused the connection: nothing listens there, or a firewall rejects it`,
    },
  };
  if (outcome === 'ok') {
    const through = okPort(host, 443, host);
    return {
      ...direct,
      ok: true,
      code: 'OK',
      reason: `through the proxy ${url}: ${through.reason}, HTTPS answered`,
      proxy: { url, outcome, status: 200, ms: 7, tls: { ...through.tls!, ms: 25 }, service: through.service },
    };
  }
  const { code, error, ...status } = PROXY_REFUSALS[outcome];
  return {
    ...direct,
    ok: false,
    code,
    reason: `the proxy ${url} could not take ${host}:443 (${error})`,
    proxy: { url, outcome, ...status, ms: 3, error },
  };
}

/** The healthy hub with its 443 behind the proxy; a refused CONNECT makes the target's verdict. */
export function proxiedTarget(name = 'hub', outcome: ProxyOutcome = 'ok'): TargetResult {
  const hub = healthyTarget(name);
  const port = proxiedPort(hub.host, outcome);
  const ports = [...hub.ports.slice(0, 2), port];
  return port.ok ? { ...hub, ports } : { ...hub, ports, status: 'unhealthy', code: port.code, reason: port.reason };
}

export function runOf(targets: TargetResult[], over: Partial<RunResult> = {}): RunResult {
  const overall =
    targets.length === 0
      ? 'unknown'
      : targets.some((t) => t.status === 'unhealthy')
        ? 'unhealthy'
        : targets.some((t) => t.status === 'degraded')
          ? 'degraded'
          : 'healthy';
  return {
    runId: 'c0ffee00-0000-4000-8000-000000000001',
    startedAt: STARTED_AT,
    durationMs: 57,
    overall,
    targets,
    ...over,
  };
}

export function edgeAudit(over: Partial<EdgeAuditView> = {}): EdgeAuditView {
  return {
    configToml: 'found',
    provisioning: 'dps-symmetric-key',
    upstream: {
      hostname: 'myhub.privatelink.azure-devices.net',
      form: 'privatelink',
      policyOk: true,
      gateway: 'edgeHub',
    },
    findings: [
      {
        id: 'DOCKER_EMBEDDED_DNS',
        severity: 'info',
        text: "the module's nameserver is Docker's 127.0.0.11: results show what containers see, not the host",
      },
    ],
    ...over,
  };
}

// ---- the worst case the size limits are measured against --------------------------------------------------

/** A string of exactly `bytes` UTF-8 bytes mixing 1-, 2-, 3- and 4-byte characters (ends cut mid-character if naive). */
export function multibyteText(bytes: number): string {
  const pattern = 'aé€😀 ';
  let out = '';
  while (Buffer.byteLength(out) < bytes) out += pattern;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}

/** A valid hostname of exactly `length` characters ending in `suffix`, unique per index. */
export function longHost(index: number, length = 253, suffix = 'privatelink.azure-devices.net'): string {
  const head = `t${String(index).padStart(2, '0')}`;
  const labels: string[] = [];
  for (let left = length - head.length - suffix.length - 2; left > 0; left -= 64)
    labels.push('x'.repeat(Math.min(63, left)));
  const host = [head, ...labels, suffix].join('.');
  // A filler label that ended up one character short is made up in the first label.
  return host.length === length ? host : `${head}${'y'.repeat(length - host.length)}.${host.slice(head.length + 1)}`;
}

function ipv6(i: number, j: number): string {
  return `fd12:3456:789a:${(i + 1).toString(16)}:${(j + 1).toString(16)}:abcd:ef01:2345`;
}

export interface WorstCase {
  targets: number;
  /** 253 is DNS's limit; ≈ 100 is the longest real Azure name (a 50-character registry or hub name plus its zone). */
  hostLength: number;
  /** How many resolvers answered (the system resolver and explicit servers), for the name and its counterpart. */
  resolvers: number;
  /** IPv6 addresses per answer. */
  addresses: number;
  /** CNAME hops, each name `hostLength` long. */
  chain: number;
  /** connectTo 'all': one TCP result per address and port. */
  connectAll: boolean;
  sans: number;
}

/**
 * Worst strings, realistic structure: 32 targets × 3 ports, 253-character hostnames, 512-byte multi-byte
 * reasons on every target and port, IPv6 address lists, a long chain of long names, the system resolver
 * and one explicit server, TLS errors and certificates with a dozen SANs.
 */
export const WORST_STRINGS: WorstCase = {
  targets: 32,
  hostLength: 253,
  resolvers: 2,
  addresses: 4,
  chain: 4,
  connectAll: false,
  sans: 12,
};

/** Everything at its maximum at once: three resolvers, eight addresses, connect to all, 40 SANs. */
export const PATHOLOGICAL: WorstCase = {
  targets: 32,
  hostLength: 253,
  resolvers: 3,
  addresses: 8,
  chain: 5,
  connectAll: true,
  sans: 40,
};

/** Each target fails TLS_HOSTNAME_MISMATCH on every port: the longest code, every block of evidence present. */
export function worstCaseRun(worst: WorstCase = WORST_STRINGS): RunResult {
  const { hostLength } = worst;
  const targets = Array.from({ length: worst.targets }, (_, i): TargetResult => {
    const host = longHost(i, hostLength);
    const counterpart = host.replace('.privatelink.', '.');
    const addresses = Array.from({ length: worst.addresses }, (_, j) => ipv6(i, j));
    const chain = Array.from({ length: worst.chain }, (_, j) => longHost(i * 10 + j, hostLength, 'cloudapp.azure.com'));
    const resolvers = (['system', '[fd00:aaaa:bbbb::53]:53', '[fd00:aaaa:cccc::53]:5353'] as const).slice(
      0,
      worst.resolvers,
    );
    const answer = (resolver: ResolverName, name: string): DnsAnswer =>
      resolver === 'system'
        ? { resolver, name, outcome: 'ok', addresses, cname: [], ms: 1234 }
        : { resolver, name, outcome: 'ok', rcode: 'NOERROR', addresses, cname: chain, ttl: 10, ms: 1234 };
    const reason = multibyteText(512);
    const ports = [8883, 5671, 443].map((port): PortResult => ({
      port,
      ok: false,
      code: 'TLS_HOSTNAME_MISMATCH',
      reason,
      tcp: (worst.connectAll ? addresses : addresses.slice(0, 1)).map((address) => ({
        address,
        port,
        outcome: 'ok',
        ms: 1234,
      })),
      tls: tls(addresses[0]!, port, host, {
        outcome: 'hostname-mismatch',
        error: multibyteText(300),
        ms: 1234,
        cert: {
          subject: `CN=${longHost(i, hostLength, 'azurecr.io')}`,
          issuer: `${DIGICERT_ISSUER}, OU=${'Issuing '.repeat(20)}`,
          sans: Array.from({ length: worst.sans }, (_, k) => `*.z${k}.blob.storage.azure.net`),
          notBefore: '2026-06-01T00:00:00.000Z',
          notAfter: '2027-05-27T23:59:59.000Z',
          daysLeft: 180,
          chainTop: 'CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US',
        },
        counterpart: { servername: counterpart, outcome: 'ok', ms: 1234 },
      }),
      service: { ...NOT_TRIED_AFTER_MISMATCH, protocol: PROTOCOLS[port] },
    }));
    return {
      name: `target-${String(i).padStart(2, '0')}`,
      host,
      kind: 'acrData',
      cloud: 'public',
      form: 'privatelink',
      counterpart,
      ports,
      dns: {
        answers: resolvers.map((r) => answer(r, host)),
        counterpartAnswers: resolvers.map((r) => answer(r, counterpart)),
        resolver: resolvers[resolvers.length - 1]!,
        addresses: addresses.map(privateAddress),
        cname: chain,
        private: true,
        mismatch: true,
        ms: 1234,
      },
      status: 'unhealthy',
      code: 'TLS_HOSTNAME_MISMATCH',
      reason,
      startedAt: STARTED_AT,
      ms: 4321,
    };
  });
  return runOf(targets, { durationMs: 9876, clock: { offsetSeconds: -86400.5, source: targets.at(-1)?.name ?? '' } });
}

const PROTOCOLS: Record<number, ServiceProtocol> = { 8883: 'mqtt', 5671: 'amqp', 443: 'https' };

/**
 * The same targets answered by something that is not Azure on every port (APP_FOREIGN): the handshake verified,
 * so the evidence is the exchange's detail (up to 160 characters from the wire, here multi-byte) instead of the
 * TLS error and the counterpart handshake.
 */
export function foreignServiceRun(worst: WorstCase = WORST_STRINGS): RunResult {
  const run = worstCaseRun(worst);
  const targets = run.targets.map((t): TargetResult => {
    const ports = t.ports.map((p): PortResult => ({
      ...p,
      ok: true,
      code: 'APP_FOREIGN',
      tls: { ...p.tls!, outcome: 'ok', error: undefined, counterpart: undefined },
      service: { protocol: PROTOCOLS[p.port], outcome: 'foreign', ms: 1234, detail: multibyteText(480) },
    }));
    return { ...t, ports, status: 'degraded', code: 'APP_FOREIGN' };
  });
  return { ...run, targets, overall: 'degraded' };
}

/**
 * The same targets with 443 behind a proxy whose name is 253 characters long, the direct path's verdict with its
 * 512-byte reason kept beside the proxy path's. `ok`: the tunnel opened and its handshake failed with the longest
 * error (the most evidence); `upstream-failed`: the proxy could not reach the name (the longest code and outcome).
 */
export function proxiedWorstRun(
  worst: WorstCase = WORST_STRINGS,
  outcome: Extract<ProxyOutcome, 'ok' | 'upstream-failed'> = 'ok',
): RunResult {
  const run = worstCaseRun(worst);
  const url = `http://${longHost(98, 253, 'factory.example')}:3128`;
  const targets = run.targets.map((t): TargetResult => {
    const ports = t.ports.map((p): PortResult => {
      if (p.port !== 443) return p;
      const direct = { ok: false, code: 'TLS_HOSTNAME_MISMATCH' as const, reason: p.reason };
      if (outcome === 'upstream-failed') {
        const error = `HTTP/1.1 502 ${multibyteText(300)}`;
        const proxy = { url, outcome, status: 502, ms: 1234, error };
        return { ...p, code: 'PROXY_UPSTREAM_FAILED', proxy, direct };
      }
      const tunnel: TlsResult = {
        ...p.tls!,
        address: t.host,
        outcome: 'untrusted',
        counterpart: undefined,
        cert: { ...p.tls!.cert!, issuer: `CN=${multibyteText(200)}` },
      };
      const proxy = { url, outcome, status: 200, ms: 1234, tls: tunnel, service: p.service };
      return { ...p, code: 'TLS_UNTRUSTED', proxy, direct };
    });
    return { ...t, ports };
  });
  return { ...run, targets };
}

/** Every finding the audit knows (21), each with a 512-byte text: more than the twin keeps. */
export function worstEdge(hostLength = 253): EdgeAuditView {
  return edgeAudit({
    upstream: { hostname: longHost(99, hostLength), form: 'privatelink', policyOk: false, gateway: 'edgeHub' },
    findings: FINDING_IDS.map((id) => ({ id, severity: 'warning', text: multibyteText(512) })),
  });
}

/**
 * The desired-key acknowledgements `{ value, ac, av, ad }` that share the reported document with the
 * sections, as the config layer writes them for a configuration with every key set and `run`'s targets.
 */
export function acknowledgements(run: RunResult): Record<string, unknown> {
  const ack = (value: unknown) => ({ value, ac: 200, av: 4711, ad: 'applied' });
  return {
    intervalSeconds: ack(300),
    timeoutMs: ack(5000),
    serviceCheck: ack(true),
    hostnamePolicy: ack('privatelink'),
    dns: ack({
      servers: '[fd00:aaaa:bbbb::53]:53,[fd00:aaaa:cccc::53]:5353',
      system: true,
      privateRanges: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7',
    }),
    targets: ack(
      Object.fromEntries(
        run.targets.map((t) => [t.name, { host: t.host, kind: t.kind, ports: t.ports.map((p) => p.port).join(',') }]),
      ),
    ),
    autoTargets: ack(true),
    telemetry: ack({ enabled: true, output: 'probeResults', onChangeOnly: false, detail: 'auto' }),
    flapping: ack({ enabled: true, changes: 4, window: 12 }),
  };
}

/** One target's verdicts, as runs five minutes apart: 0 healthy OK, 1 unhealthy DNS_TIMEOUT, 2 degraded SLOW. */
export const VERDICT_SHAPES = [
  { status: 'healthy', code: 'OK', reason: 'reachable' },
  { status: 'unhealthy', code: 'DNS_TIMEOUT', reason: 'the system resolver did not answer' },
  { status: 'degraded', code: 'SLOW', reason: 'slow' },
] as const;

export function runsOf(verdicts: readonly number[]): RunResult[] {
  return verdicts.map((v, i) => {
    const startedAt = new Date(Date.parse(STARTED_AT) + i * 300_000).toISOString();
    return runOf([healthyTarget('hub', undefined, { ...VERDICT_SHAPES[v]!, startedAt })], { startedAt });
  });
}

/** The results body's top-level keys, in order (result@2): the contract consumers read. */
export const RESULT_BODY_KEYS = [
  'schema',
  'deviceId',
  'moduleId',
  'runId',
  'startedAt',
  'durationMs',
  'overall',
  'targets',
  'answers',
  'ports',
  'edge',
] as const;

/** The same without the keys a body leaves out when unknown (DTDL has no null). */
export const resultBodyKeysWithout = (...absent: string[]): string[] =>
  RESULT_BODY_KEYS.filter((k) => !absent.includes(k));
