// The rules above TLS: the service exchange (APP_BLOCKED, APP_FOREIGN) and the proxy path (PROXY_*), each
// with a reason that names the fix, and where they stand among the TLS conditions.
import { describe, expect, it } from 'vitest';
import { describeName } from '../../src/probe/catalogue.js';
import { DEFAULT_SETTINGS } from '../../src/probe/defaults.js';
import type { ProxyResult, ServiceResult, TlsResult } from '../../src/probe/types.js';
import { portVerdict, proxyPathVerdict, targetVerdict, type VerdictInput } from '../../src/probe/verdict.js';

const HOST = 'myhub.privatelink.azure-devices.net';
const TLS: TlsResult = {
  address: '10.1.2.4',
  port: 443,
  servername: HOST,
  outcome: 'ok',
  ms: 5,
  protocol: 'TLSv1.3',
  azureRoot: true,
  cert: {
    subject: 'CN=*.azure-devices.net',
    issuer: 'CN=Microsoft Azure RSA TLS Issuing CA 03',
    sans: ['*.azure-devices.net', '*.privatelink.azure-devices.net'],
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-06-01T00:00:00.000Z',
    daysLeft: 185,
  },
};
const tcp = [{ address: '10.1.2.4', port: 443, outcome: 'ok' as const, ms: 1 }];

function input(host = HOST): Pick<VerdictInput, 'host' | 'kind' | 'name' | 'settings'> {
  const name = describeName(host);
  return { host, kind: name.kind, name, settings: DEFAULT_SETTINGS };
}

const service = (over: Partial<ServiceResult>): ServiceResult => ({
  protocol: 'mqtt',
  outcome: 'ok',
  ms: 4,
  detail: 'CONNACK 5',
  ...over,
});

describe('the service exchange', () => {
  it('an answer is OK and says so', () => {
    const v = portVerdict(input(), { port: 8883, tcp, tls: TLS, service: service({}) });
    expect(v).toMatchObject({ status: 'healthy', code: 'OK' });
    expect(v.reason).toContain('MQTT answered');
  });

  it('no answer after TLS is APP_BLOCKED: unhealthy, names application filtering and the protocol to allow', () => {
    const v = portVerdict(input(), {
      port: 8883,
      tcp,
      tls: TLS,
      service: service({ outcome: 'blocked', detail: 'no answer within 5000 ms' }),
    });
    expect(v).toMatchObject({ status: 'unhealthy', code: 'APP_BLOCKED' });
    expect(v.reason).toMatch(/MQTT on 10\.1\.2\.4:8883 .*TLS completed, but no answer within 5000 ms.*allow MQTT/);
  });

  it('an answer that is not Azure is APP_FOREIGN, degraded, with what answered in the reason', () => {
    const v = portVerdict(input(), {
      port: 443,
      tcp,
      tls: TLS,
      service: service({ protocol: 'https', outcome: 'foreign', detail: 'HTTP 403 Forbidden, Server: FortiGate' }),
    });
    expect(v).toMatchObject({ status: 'degraded', code: 'APP_FOREIGN' });
    expect(v.reason).toContain('HTTP 403 Forbidden, Server: FortiGate');
    expect(v.reason).toMatch(/block page/);
  });

  it('comes after a TLS failure (a skipped exchange says nothing) and before the degraded TLS conditions', () => {
    const failed = { ...TLS, outcome: 'untrusted' as const, error: 'UNABLE_TO_GET_ISSUER_CERT' };
    const skipped = service({ outcome: 'skipped', detail: 'not tried: TLS untrusted' });
    expect(portVerdict(input(), { port: 443, tcp, tls: failed, service: skipped }).code).toBe('TLS_UNTRUSTED');
    const inspected = { ...TLS, azureRoot: false };
    const blocked = service({ outcome: 'blocked', detail: 'closed after the request' });
    expect(portVerdict(input(), { port: 8883, tcp, tls: inspected, service: blocked }).code).toBe('APP_BLOCKED');
    const foreign = service({ protocol: 'https', outcome: 'foreign', detail: 'HTTP 200 OK' });
    expect(portVerdict(input(), { port: 443, tcp, tls: inspected, service: foreign }).code).toBe('APP_FOREIGN');
    expect(portVerdict(input(), { port: 443, tcp, tls: inspected }).code).toBe('TLS_INSPECTED');
  });
});

describe('the proxy path', () => {
  const proxy = (over: Partial<ProxyResult>): ProxyResult => ({
    url: 'http://proxy.factory.local:3128',
    outcome: 'ok',
    status: 200,
    ms: 3,
    ...over,
  });

  it.each([
    [
      { outcome: 'unreachable', error: 'ECONNREFUSED' },
      'PROXY_UNREACHABLE',
      /cannot be reached \(ECONNREFUSED\).*https_proxy/,
    ],
    [{ outcome: 'auth-required', status: 407 }, 'PROXY_AUTH_REQUIRED', /asks for credentials.*user:password@host:port/],
    [
      { outcome: 'denied', status: 403 },
      'PROXY_DENIED',
      /refuses CONNECT to myhub\.privatelink\.azure-devices\.net:443.*policy/,
    ],
  ] as const)('%o → %s', (over, code, reason) => {
    const v = proxyPathVerdict(input(), 443, proxy(over));
    expect(v).toMatchObject({ status: 'unhealthy', code });
    expect(v.reason).toMatch(reason);
    expect(v.reason).toContain('http://proxy.factory.local:3128');
  });

  it('a 5xx for a privatelink name: the proxy does not see the private zone; forward it or NO_PROXY', () => {
    const v = proxyPathVerdict(
      input(),
      443,
      proxy({ outcome: 'upstream-failed', status: 500, error: 'HTTP/1.0 500 Unable to connect' }),
    );
    expect(v).toMatchObject({ status: 'unhealthy', code: 'PROXY_UPSTREAM_FAILED' });
    expect(v.reason).toMatch(/does not see the private zone privatelink\.azure-devices\.net.*forward.*NO_PROXY/);
    const custom = proxyPathVerdict(
      input('api.factory.example'),
      443,
      proxy({ outcome: 'upstream-failed', status: 502 }),
    );
    expect(custom.reason).toMatch(/cannot resolve or reach it.*NO_PROXY/);
  });

  it('through the tunnel, the handshake and the exchange are judged as on the direct path, said to be through the proxy', () => {
    const ok = proxyPathVerdict(
      input(),
      443,
      proxy({ tls: TLS, service: service({ protocol: 'https', detail: 'HTTP 401 iothub-errorcode' }) }),
    );
    expect(ok).toMatchObject({ code: 'OK' });
    expect(ok.reason).toMatch(/^through the proxy http:\/\/proxy\.factory\.local:3128: /);
    const inspected = proxyPathVerdict(input(), 443, proxy({ tls: { ...TLS, azureRoot: false } }));
    expect(inspected.code).toBe('TLS_INSPECTED');
  });
});

describe('SLOW behind a proxy', () => {
  it("counts the proxy path's own step on a proxied port, not the direct connect a firewall drops", () => {
    const name = describeName(HOST);
    const dropped = [{ address: '10.1.2.4', port: 443, outcome: 'timeout' as const, ms: 1000, error: 'no answer' }];
    const viaProxy = {
      port: 443,
      ok: true,
      code: 'OK' as const,
      reason: 'through the proxy',
      tcp: dropped,
      proxy: { url: 'http://proxy.factory.local:3128', outcome: 'ok' as const, status: 200, ms: 20, tls: TLS },
      direct: { ok: false, code: 'TCP_TIMEOUT' as const, reason: 'dropped' },
    };
    const dns = {
      answers: [
        { resolver: 'system' as const, name: HOST, outcome: 'ok' as const, addresses: ['10.1.2.4'], cname: [], ms: 2 },
      ],
      counterpartAnswers: [],
      resolver: 'system' as const,
      addresses: [{ address: '10.1.2.4', family: 4 as const, class: 'private' as const, private: true }],
      cname: [],
      private: true,
      mismatch: false,
      ms: 2,
    };
    const v = targetVerdict({
      host: HOST,
      kind: name.kind,
      name,
      dns,
      ports: [viaProxy],
      settings: { ...DEFAULT_SETTINGS, timeoutMs: 1000 },
    });
    expect(v.code).toBe('OK');
    const slowProxy = { ...viaProxy, proxy: { ...viaProxy.proxy, ms: 900 } };
    const slow = targetVerdict({
      host: HOST,
      kind: name.kind,
      name,
      dns,
      ports: [slowProxy],
      settings: { ...DEFAULT_SETTINGS, timeoutMs: 1000 },
    });
    expect(slow).toMatchObject({ code: 'SLOW' });
    expect(slow.reason).toMatch(/proxy's CONNECT for port 443/);
  });
});
