import { describe, expect, it } from 'vitest';
import { describeName } from '../../src/probe/catalogue.js';
import { DEFAULT_SETTINGS } from '../../src/probe/defaults.js';
import type { DnsAnswer, PortResult, TargetDns, TlsResult } from '../../src/probe/types.js';
import { CODE_STATUS } from '../../src/probe/types.js';
import { dnsVerdict, portVerdict, targetVerdict, type VerdictInput } from '../../src/probe/verdict.js';

const HOST = 'myhub.privatelink.azure-devices.net';

function answer(over: Partial<DnsAnswer> = {}): DnsAnswer {
  return { resolver: 'system', name: HOST, outcome: 'ok', addresses: ['10.1.2.4'], cname: [], ms: 3, ...over };
}

function dns(over: Partial<TargetDns> = {}): TargetDns {
  return {
    answers: [answer()],
    counterpartAnswers: [],
    resolver: 'system',
    addresses: [{ address: '10.1.2.4', family: 4, class: 'private', private: true }],
    cname: [],
    private: true,
    mismatch: false,
    ms: 3,
    ...over,
  };
}

const GOOD_TLS: TlsResult = {
  address: '10.1.2.4',
  port: 8883,
  servername: HOST,
  outcome: 'ok',
  ms: 5,
  protocol: 'TLSv1.3',
  cert: {
    subject: 'CN=*.azure-devices.net',
    issuer: 'CN=Microsoft Azure RSA TLS Issuing CA 03',
    sans: ['*.azure-devices.net', '*.privatelink.azure-devices.net'],
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-06-01T00:00:00.000Z',
    daysLeft: 185,
    chainTop: 'CN=DigiCert Global Root G2, O=DigiCert Inc',
  },
  azureRoot: true,
};

function input(over: Partial<VerdictInput> = {}): VerdictInput {
  const host = over.host ?? HOST;
  const name = describeName(host);
  return { host, kind: name.kind, name, dns: dns(), ports: [], settings: DEFAULT_SETTINGS, ...over };
}

function port(p: Pick<PortResult, 'port' | 'tcp' | 'tls'>, base: VerdictInput = input()): PortResult {
  const v = portVerdict(base, p);
  return { ...p, ok: v.status !== 'unhealthy', code: v.code, reason: v.reason };
}

const okTcp = (portNo: number) => [{ address: '10.1.2.4', port: portNo, outcome: 'ok' as const, ms: 1 }];

describe('verdict table', () => {
  it('every code has a status of the contract', () => {
    for (const [code, status] of Object.entries(CODE_STATUS)) {
      expect(['healthy', 'degraded', 'unhealthy']).toContain(status);
      expect(code === 'OK').toBe(status === 'healthy');
    }
  });

  it('a private answer with verified TLS on every port is OK and names the address', () => {
    const i = input();
    i.ports = [port({ port: 8883, tcp: okTcp(8883), tls: GOOD_TLS })];
    const v = targetVerdict(i);
    expect(v).toMatchObject({ status: 'healthy', code: 'OK' });
    expect(v.reason).toContain('10.1.2.4');
  });

  it.each([
    ['nxdomain', 'DNS_NXDOMAIN'],
    ['servfail', 'DNS_SERVFAIL'],
    ['refused', 'DNS_REFUSED'],
    ['timeout', 'DNS_TIMEOUT'],
    ['no-answer', 'DNS_NO_ANSWER'],
    ['cname-loop', 'DNS_CNAME_LOOP'],
    ['cname-too-long', 'DNS_CNAME_LOOP'],
    ['malformed', 'DNS_MALFORMED'],
    ['error', 'DNS_FAILED'],
  ] as const)('DNS outcome %s gives %s', (outcome, code) => {
    const v = dnsVerdict(input({ dns: dns({ answers: [answer({ outcome, addresses: [] })], addresses: [] }) }));
    expect(v).toMatchObject({ code, status: 'unhealthy' });
  });

  it('NXDOMAIN for a privatelink name names the private zone', () => {
    const v = dnsVerdict(
      input({ dns: dns({ answers: [answer({ outcome: 'nxdomain', addresses: [] })], addresses: [] }) }),
    );
    expect(v?.reason).toContain('privatelink.azure-devices.net');
  });

  it('a public answer is DNS_PUBLIC_ADDRESS naming the address, the private zone and the forwarder zone', () => {
    const v = dnsVerdict(
      input({
        dns: dns({
          addresses: [{ address: '203.0.113.10', family: 4, class: 'public', private: false }],
          private: false,
        }),
      }),
    );
    expect(v?.code).toBe('DNS_PUBLIC_ADDRESS');
    expect(v?.reason).toContain('public 203.0.113.10');
    expect(v?.reason).toContain('private DNS zone privatelink.azure-devices.net');
    expect(v?.reason).toContain('forward azure-devices.net');
  });

  it('a public answer while the counterpart resolves privately says the record exists', () => {
    const i = input({
      host: 'acct.blob.core.windows.net',
      dns: dns({
        addresses: [{ address: '203.0.113.10', family: 4, class: 'public', private: false }],
        private: false,
      }),
      counterpartPrivate: ['10.1.1.5'],
    });
    const v = dnsVerdict(i);
    expect(v?.reason).toContain('acct.privatelink.blob.core.windows.net resolves to private 10.1.1.5');
  });

  it('a loopback or link-local address counts as public unless configured private', () => {
    const v = dnsVerdict(
      input({ dns: dns({ addresses: [{ address: '169.254.1.1', family: 4, class: 'link-local', private: false }] }) }),
    );
    expect(v?.code).toBe('DNS_PUBLIC_ADDRESS');
  });

  it('an address outside the pin is DNS_UNEXPECTED_ADDRESS', () => {
    const v = dnsVerdict(input({ expectedAddresses: ['10.9.9.9'] }));
    expect(v).toMatchObject({ code: 'DNS_UNEXPECTED_ADDRESS', status: 'unhealthy' });
    expect(v?.reason).toContain('10.1.2.4');
  });

  it.each([
    ['refused', 'TCP_REFUSED'],
    ['timeout', 'TCP_TIMEOUT'],
    ['unreachable', 'TCP_UNREACHABLE'],
    ['reset', 'TCP_RESET'],
    ['error', 'TCP_FAILED'],
  ] as const)('TCP outcome %s gives %s', (outcome, code) => {
    const v = portVerdict(input(), { port: 5671, tcp: [{ address: '10.1.2.4', port: 5671, outcome, ms: 1 }] });
    expect(v).toMatchObject({ code, status: 'unhealthy' });
    expect(v.reason).toContain('10.1.2.4:5671');
  });

  it.each([
    ['hostname-mismatch', 'TLS_HOSTNAME_MISMATCH'],
    ['untrusted', 'TLS_UNTRUSTED'],
    ['expired', 'TLS_EXPIRED'],
    ['not-yet-valid', 'TLS_NOT_YET_VALID'],
    ['timeout', 'TLS_TIMEOUT'],
    ['failed', 'TLS_FAILED'],
  ] as const)('TLS outcome %s gives %s', (outcome, code) => {
    const v = portVerdict(input(), { port: 443, tcp: okTcp(443), tls: { ...GOOD_TLS, port: 443, outcome } });
    expect(v).toMatchObject({ code, status: 'unhealthy' });
  });

  it('a handshake that stalled after the first bytes is TLS_STALLED with the MTU fix; none at all is TLS_TIMEOUT with both causes', () => {
    const at = (outcome: 'stalled' | 'timeout', bytesReceived: number) =>
      portVerdict(input(), { port: 8883, tcp: okTcp(8883), tls: { ...GOOD_TLS, outcome, bytesReceived } });
    const stalled = at('stalled', 517);
    expect(stalled).toMatchObject({ code: 'TLS_STALLED', status: 'unhealthy' });
    expect(stalled.reason).toBe(
      `TLS on 10.1.2.4:8883 (${HOST}): the handshake stalled after the server's first 517 bytes: the rest of its first flight ` +
        "(the certificate chain) is cut in transit, typically packets above a tunnel's path MTU are dropped (IPsec/VPN without " +
        'TCP MSS clamping) or a middlebox drops the certificate; clamp the TCP MSS on the tunnel or lower its MTU',
    );
    const timeout = at('timeout', 0);
    expect(timeout).toMatchObject({ code: 'TLS_TIMEOUT', status: 'unhealthy' });
    expect(timeout.reason).toBe(
      `TLS on 10.1.2.4:8883 (${HOST}): TCP connected, but no byte of a TLS handshake came back within the timeout: ` +
        'something accepts TCP on port 8883 but does not speak TLS, or the path drops large packets (a tunnel without TCP ' +
        "MSS clamping loses the server's full-size first segment); check what listens there, or clamp the TCP MSS on the tunnel",
    );
  });

  it('a hostname mismatch whose counterpart verifies tells to use the counterpart name', () => {
    const tls: TlsResult = {
      ...GOOD_TLS,
      outcome: 'hostname-mismatch',
      cert: { ...GOOD_TLS.cert!, sans: ['*.azure-devices.net'] },
      counterpart: { servername: 'myhub.azure-devices.net', outcome: 'ok', ms: 4 },
    };
    const v = portVerdict(input(), { port: 8883, tcp: okTcp(8883), tls });
    expect(v.reason).toContain('covers *.azure-devices.net');
    expect(v.reason).toContain('configure clients with myhub.azure-devices.net');
  });

  it('a certificate with 14 days or fewer left is TLS_EXPIRING (degraded), 15 is fine', () => {
    const at = (daysLeft: number) =>
      portVerdict(input(), { port: 443, tcp: okTcp(443), tls: { ...GOOD_TLS, cert: { ...GOOD_TLS.cert!, daysLeft } } });
    expect(at(14)).toMatchObject({ code: 'TLS_EXPIRING', status: 'degraded' });
    expect(at(15).code).toBe('OK');
  });

  it('an Azure kind whose chain ends in an unknown root is TLS_INSPECTED; a custom kind is not', () => {
    const tls = { ...GOOD_TLS, azureRoot: false, cert: { ...GOOD_TLS.cert!, chainTop: 'CN=Contoso Inspection Root' } };
    expect(portVerdict(input(), { port: 443, tcp: okTcp(443), tls }).code).toBe('TLS_INSPECTED');
    const custom = input({ host: 'historian.factory.example' });
    expect(portVerdict(custom, { port: 443, tcp: okTcp(443), tls }).code).toBe('OK');
  });

  it('an unhealthy port makes the target unhealthy with that port reason', () => {
    const i = input();
    i.ports = [
      port({ port: 8883, tcp: okTcp(8883), tls: GOOD_TLS }),
      port({ port: 5671, tcp: [{ address: '10.1.2.4', port: 5671, outcome: 'timeout', ms: 5000 }] }),
    ];
    expect(targetVerdict(i)).toMatchObject({ status: 'unhealthy', code: 'TCP_TIMEOUT' });
  });

  it('resolvers that disagree make an otherwise healthy target DNS_RESOLVER_MISMATCH', () => {
    const i = input({
      dns: dns({
        mismatch: true,
        answers: [answer(), answer({ resolver: '127.0.0.1:53', outcome: 'nxdomain', addresses: [] })],
      }),
    });
    i.ports = [port({ port: 8883, tcp: okTcp(8883), tls: GOOD_TLS })];
    const v = targetVerdict(i);
    expect(v).toMatchObject({ status: 'degraded', code: 'DNS_RESOLVER_MISMATCH' });
    expect(v.reason).toContain('127.0.0.1:53: nxdomain');
  });

  it('a public name under the privatelink policy is HOSTNAME_POLICY naming the privatelink name', () => {
    const i = input({ host: 'myhub.azure-devices.net' });
    i.ports = [port({ port: 8883, tcp: okTcp(8883), tls: { ...GOOD_TLS, servername: 'myhub.azure-devices.net' } }, i)];
    const v = targetVerdict(i);
    expect(v).toMatchObject({ status: 'degraded', code: 'HOSTNAME_POLICY' });
    expect(v.reason).toContain('configure myhub.privatelink.azure-devices.net');
    expect(targetVerdict({ ...i, settings: { ...DEFAULT_SETTINGS, hostnamePolicy: 'any' } }).code).toBe('OK');
  });

  it('a step slower than half the timeout is SLOW', () => {
    const i = input({ dns: dns({ ms: 2600 }) });
    i.ports = [port({ port: 8883, tcp: okTcp(8883), tls: GOOD_TLS })];
    expect(targetVerdict(i)).toMatchObject({ status: 'degraded', code: 'SLOW' });
    expect(targetVerdict({ ...i, settings: { ...DEFAULT_SETTINGS, slowMs: 3000 } }).code).toBe('OK');
  });
});

describe('system resolver failures', () => {
  it('EAI_AGAIN from getaddrinfo points at the resolv.conf nameservers before the zones', () => {
    const v = dnsVerdict(
      input({
        dns: dns({
          answers: [answer({ outcome: 'temporary-failure', error: 'EAI_AGAIN', addresses: [] })],
          addresses: [],
        }),
      }),
    );
    expect(v?.code).toBe('DNS_SERVFAIL');
    expect(v?.reason).toContain('nameservers in resolv.conf are down or unreachable');
  });
});
