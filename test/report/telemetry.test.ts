import { describe, expect, it } from 'vitest';
import {
  RESULT_SCHEMA,
  summaryBody,
  telemetryBody,
  telemetryMessage,
  type TelemetryBody,
} from '../../src/report/telemetry.js';
import type { RunResult } from '../../src/probe/types.js';
import {
  edgeAudit,
  foreignServiceRun,
  healthyTarget,
  mismatchAcrTarget,
  multibyteText,
  PATHOLOGICAL,
  PROXY_URL,
  proxiedTarget,
  proxiedWorstRun,
  publicBlobTarget,
  runOf,
  STARTED_AT,
  tls,
  worstCaseRun,
  worstEdge,
  RESULT_BODY_KEYS,
  resultBodyKeysWithout,
} from './factory.js';

const ids = { deviceId: 'factory-gw-01', moduleId: 'PrivateLinkProbe' };
const mixedRun = (): RunResult => runOf([healthyTarget('hub'), publicBlobTarget('blob'), mismatchAcrTarget('acr')]);

describe('telemetry body', () => {
  it("has exactly the contract's top-level keys and target keys", () => {
    const body = telemetryBody(mixedRun(), { ...ids, edge: edgeAudit() });
    expect(Object.keys(body)).toEqual(RESULT_BODY_KEYS);
    expect(body).toMatchObject({
      schema: 'privatelink-probe/result@2',
      ...ids,
      runId: 'c0ffee00-0000-4000-8000-000000000001',
      startedAt: STARTED_AT,
      durationMs: 57,
      overall: 'unhealthy',
    });
    for (const target of body.targets)
      expect(Object.keys(target)).toEqual([
        'name',
        'host',
        'kind',
        'cloud',
        'status',
        'code',
        'reason',
        'addresses',
        'dns',
      ]);
    expect(body.answers.map((a) => a.target)).toEqual(['hub', 'hub', 'blob', 'blob', 'acr', 'acr']);
    expect(body.ports.map((p) => `${p.target}:${p.port}`)).toEqual([
      'hub:8883',
      'hub:5671',
      'hub:443',
      'blob:443',
      'acr:443',
    ]);
  });

  it('is what check --json prints, without the unknown device and module ids and without an audit: never null', () => {
    const body = telemetryBody(mixedRun(), { deviceId: null, moduleId: null, edge: null });
    expect(Object.keys(body)).toEqual(resultBodyKeysWithout('deviceId', 'moduleId', 'edge'));
    expect(JSON.stringify(body)).not.toContain('null');
  });

  it('carries the DNS evidence in full: every resolver, the whole chain, the classified addresses and the counterpart', () => {
    const body = telemetryBody(mixedRun(), { ...ids, edge: null });
    const blob = body.targets[1]!;
    expect(blob).toMatchObject({
      name: 'blob',
      host: 'factorylogs.blob.core.windows.net',
      kind: 'blob',
      cloud: 'public',
      status: 'unhealthy',
      code: 'DNS_PUBLIC_ADDRESS',
    });
    expect(blob.reason).toBe(publicBlobTarget().reason);
    expect(blob.addresses).toEqual([{ address: '203.0.113.40', family: 4, class: 'public', private: false }]);
    expect(blob.dns).toEqual({
      form: 'public',
      resolver: 'system',
      cname: ['factorylogs.privatelink.blob.core.windows.net', 'blob.ams07prdstr02a.store.core.windows.net'],
      private: false,
      mismatch: false,
      ms: 11,
      counterpart: 'factorylogs.privatelink.blob.core.windows.net',
    });
    // The blob's counterpart was not resolved (publicBlobTarget has no counterpart answers): its host's answers only.
    expect(body.answers.filter((a) => a.target === 'blob')).toEqual([
      { target: 'blob', resolver: 'system', outcome: 'ok', addresses: ['203.0.113.40'], cname: [], ms: 2 },
      {
        target: 'blob',
        resolver: '10.0.0.4:53',
        outcome: 'ok',
        rcode: 'NOERROR',
        addresses: ['203.0.113.40'],
        cname: ['factorylogs.privatelink.blob.core.windows.net', 'blob.ams07prdstr02a.store.core.windows.net'],
        ttl: 60,
        ms: 9,
      },
    ]);
    expect(body.answers.filter((a) => a.target === 'hub').map((a) => [a.counterpart, a.addresses])).toEqual([
      [undefined, ['10.1.1.4']],
      [true, ['10.1.1.4']],
    ]);
  });

  it('carries each port with its TCP results per address and the TLS handshake with the certificate and the counterpart handshake', () => {
    const acr = telemetryBody(mixedRun(), { ...ids, edge: null }).ports.filter((p) => p.target === 'acr');
    expect(acr).toEqual([
      {
        target: 'acr',
        port: 443,
        ok: false,
        code: 'TLS_HOSTNAME_MISMATCH',
        reason: mismatchAcrTarget().reason,
        tcp: [{ address: '10.1.1.4', outcome: 'ok', ms: 3 }],
        tls: {
          address: '10.1.1.4',
          outcome: 'hostname-mismatch',
          ms: 21,
          protocol: 'TLSv1.3',
          cipher: 'TLS_AES_256_GCM_SHA384',
          azureRoot: true,
          error: 'ERR_TLS_CERT_ALTNAME_INVALID',
          cert: {
            subject: 'CN=*.azure-devices.net',
            issuer: 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04',
            sans: '*.azure-devices.net,*.amqpws.azure-devices.net,*.su.management-azure-devices.net',
            notBefore: '2026-06-01T00:00:00.000Z',
            notAfter: '2027-05-27T23:59:59.000Z',
            daysLeft: 180,
            chainTop: 'CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US',
          },
          counterpart: { outcome: 'ok', ms: 19 },
        },
        service: { protocol: 'https', outcome: 'skipped', ms: 0, detail: 'not tried: TLS hostname-mismatch' },
      },
    ]);
  });

  it("carries each port's service exchange: protocol, outcome, time and what answered", () => {
    const hub = telemetryBody(mixedRun(), { ...ids, edge: null }).ports.filter((p) => p.target === 'hub');
    expect(hub.map((p) => p.service)).toEqual([
      { protocol: 'mqtt', outcome: 'ok', ms: 4, detail: 'CONNACK 5' },
      { protocol: 'amqp', outcome: 'ok', ms: 4, detail: 'AMQP header' },
      { protocol: 'https', outcome: 'ok', ms: 6, detail: 'HTTP 401 iothub-errorcode' },
    ]);
  });

  it('carries the bytes a stalled handshake received', () => {
    const target = healthyTarget('hub');
    const stalled = {
      ...target.ports[0]!,
      ok: false,
      code: 'TLS_STALLED' as const,
      tls: tls('10.1.1.4', 8883, target.host, { outcome: 'stalled', error: 'timeout', bytesReceived: 1380 }),
      service: undefined,
    };
    const body = telemetryBody(runOf([{ ...target, ports: [stalled] }]), { ...ids, edge: null });
    expect(body.ports[0]!.tls).toMatchObject({ outcome: 'stalled', bytesReceived: 1380 });
    expect(body.ports[0]).not.toHaveProperty('service');
  });

  it("carries the device's clock in edge.clock, also when the audit could not run", () => {
    const run = runOf([healthyTarget('hub')], { clock: { offsetSeconds: -412.3, source: 'hub' } });
    expect(telemetryBody(run, { ...ids, edge: edgeAudit() }).edge).toMatchObject({
      configToml: 'found',
      clock: { offsetSeconds: -412.3, source: 'hub' },
    });
    expect(telemetryBody(run, { ...ids, edge: null }).edge).toEqual({
      clock: { offsetSeconds: -412.3, source: 'hub' },
    });
    // No Date read: no clock, and without an audit no edge key at all.
    expect(telemetryBody(runOf([healthyTarget('hub')]), { ...ids, edge: null })).not.toHaveProperty('edge');
  });

  it("carries a proxied port's path through the proxy: CONNECT, the tunnel's handshake and exchange, the direct verdict", () => {
    const body = telemetryBody(runOf([proxiedTarget('hub')]), { ...ids, edge: null });
    const port = body.ports.find((p) => p.port === 443)!;
    expect(port).toMatchObject({ ok: true, code: 'OK', tcp: [{ outcome: 'refused' }] });
    expect(port).not.toHaveProperty('tls');
    expect(port.proxy).toEqual({
      url: PROXY_URL,
      outcome: 'ok',
      status: 200,
      ms: 7,
      // Shaped as tls, its certificate named by the port whose direct handshake showed the same one.
      tls: {
        outcome: 'ok',
        ms: 25,
        protocol: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        azureRoot: true,
        sameCertAs: 8883,
      },
      service: { protocol: 'https', outcome: 'ok', ms: 6, detail: 'HTTP 401 iothub-errorcode' },
    });
    expect(port.direct).toEqual({ code: 'TCP_REFUSED', reason: proxiedTarget().ports[2]!.direct!.reason });
    expect(body.ports.find((p) => p.port === 8883)).not.toHaveProperty('proxy');
  });

  it('carries a refused CONNECT with its status and answer, and a bypassed proxy without a direct verdict', () => {
    const run = runOf([proxiedTarget('hub', 'auth-required'), proxiedTarget('dps', 'bypassed')]);
    const [refused, bypassed] = telemetryBody(run, { ...ids, edge: null }).ports.filter((p) => p.port === 443);
    expect(refused).toMatchObject({ ok: false, code: 'PROXY_AUTH_REQUIRED', direct: { code: 'TCP_REFUSED' } });
    expect(refused!.proxy).toEqual({
      url: PROXY_URL,
      outcome: 'auth-required',
      status: 407,
      ms: 3,
      error: 'HTTP/1.1 407 Proxy Authentication Required (the proxy asks for Basic)',
    });
    expect(bypassed!.proxy).toEqual({ url: PROXY_URL, outcome: 'bypassed', ms: 0 });
    expect(bypassed).not.toHaveProperty('direct');
    expect(bypassed!.tls).toMatchObject({ outcome: 'ok' });
  });

  it("the summary adds each proxied port's outcome only", () => {
    const run = runOf([proxiedTarget('hub', 'upstream-failed'), healthyTarget('dps')]);
    const ports = summaryBody(run, { ...ids, edge: null }).ports;
    expect(ports[2]).toEqual({
      target: 'hub',
      port: 443,
      ok: false,
      code: 'PROXY_UPSTREAM_FAILED',
      tcp: [{ ms: 1 }],
      proxy: { outcome: 'upstream-failed' },
    });
    expect(ports.filter((p) => p.proxy)).toHaveLength(1);
  });

  it('shows a certificate once per target and points later ports at it', () => {
    const hub = telemetryBody(mixedRun(), { ...ids, edge: null }).ports.filter((p) => p.target === 'hub');
    expect(hub.map((p) => p.port)).toEqual([8883, 5671, 443]);
    expect(hub[0]!.tls!.cert?.subject).toBe('CN=*.azure-devices.net');
    expect(hub.slice(1).map((p) => [p.tls!.cert, p.tls!.sameCertAs])).toEqual([
      [undefined, 8883],
      [undefined, 8883],
    ]);
  });

  it('carries the edge audit with findings as { id, severity, text }', () => {
    const body = telemetryBody(mixedRun(), { ...ids, edge: edgeAudit() });
    expect(body.edge).toEqual({
      configToml: 'found',
      provisioning: 'dps-symmetric-key',
      upstream: {
        hostname: 'myhub.privatelink.azure-devices.net',
        form: 'privatelink',
        policyOk: true,
        gateway: 'edgeHub',
      },
      findings: [{ id: 'DOCKER_EMBEDDED_DNS', severity: 'info', text: edgeAudit().findings[0]!.text }],
    });
  });
});

describe('telemetry under its budget', () => {
  const worst = (): TelemetryBody => telemetryBody(worstCaseRun(), { ...ids, edge: edgeAudit() });

  it('says how many items a shortened list had', () => {
    const body = worst();
    const target = body.targets[0]!;
    expect(target.addresses).toHaveLength(1);
    expect(target.addressesTotal).toBe(4);
    expect(target.dns.cnameTotal).toBe(4);
    expect(body.answers[0]!.addressesTotal).toBe(4);
  });

  it('at the floor leaves the answers out: each target still has its addresses in use, its resolver and whether resolvers disagreed', () => {
    const body = telemetryBody(worstCaseRun(PATHOLOGICAL), { ...ids, edge: worstEdge() });
    expect(body.answers).toEqual([]);
    expect(body.targets[0]).toMatchObject({
      addresses: [expect.objectContaining({ private: true })],
      dns: { resolver: expect.any(String), mismatch: expect.any(Boolean) },
    });
  });

  it("keeps the service exchange's outcome and time at every level: its detail goes with the ports' reasons, a skipped one whole", () => {
    const foreign = telemetryBody(foreignServiceRun(), { ...ids, edge: worstEdge() });
    expect(foreign.ports[0]).not.toHaveProperty('reason');
    expect(foreign.ports[0]!.service).toEqual({ protocol: 'mqtt', outcome: 'foreign', ms: 1234 });
    expect(worst().ports[0]).not.toHaveProperty('service');
    const whole = telemetryBody(foreignServiceRun(), { ...ids, edge: null, budgetBytes: Infinity });
    expect(whole.ports[0]!.service!.detail).toBe(multibyteText(480));
  });

  it("keeps the proxy path's outcome, status and times at every level: its URL, answer and the direct reason go with the ports' reasons", () => {
    for (const outcome of ['ok', 'upstream-failed'] as const) {
      const body = telemetryBody(proxiedWorstRun(undefined, outcome), { ...ids, edge: worstEdge() });
      const port = body.ports.find((p) => p.port === 443)!;
      expect(port).not.toHaveProperty('reason');
      expect(port.direct).toEqual({ code: 'TLS_HOSTNAME_MISMATCH' });
      expect(port.proxy).toMatchObject({ outcome, ms: 1234, status: outcome === 'ok' ? 200 : 502 });
      expect(port.proxy).not.toHaveProperty('url');
      expect(port.proxy).not.toHaveProperty('error');
    }
    const tunnel = telemetryBody(proxiedWorstRun(), { ...ids, edge: worstEdge() }).ports[2]!.proxy!.tls;
    // A certificate the direct path did not show is not repeated: the port's reason names the chain.
    expect(tunnel).toEqual({ outcome: 'untrusted', ms: 1234, protocol: 'TLSv1.3' });
    const whole = telemetryBody(proxiedWorstRun(undefined, 'upstream-failed'), {
      ...ids,
      edge: null,
      budgetBytes: Infinity,
    });
    expect(whole.ports[2]!.proxy!.url).toMatch(/^http:\/\/t98\..*:3128$/);
    expect(whole.ports[2]!.direct!.reason).toBe(multibyteText(512));
  });

  it('cuts long text at a UTF-8 character boundary with an ellipsis', () => {
    const reason = worst().targets[0]!.reason;
    expect(reason.endsWith('…')).toBe(true);
    expect(multibyteText(512).startsWith(reason.slice(0, -1))).toBe(true);
    expect(Buffer.from(reason, 'utf8').toString('utf8')).toBe(reason);
  });

  it('keeps everything when the caller lifts the budget (check --json on a terminal)', () => {
    const body = telemetryBody(worstCaseRun(), { deviceId: null, moduleId: null, edge: null, budgetBytes: Infinity });
    const target = body.targets[0]!;
    expect(target.reason).toBe(multibyteText(512));
    expect(target.addresses).toHaveLength(4);
    expect(target.dns.cname).toHaveLength(4);
    expect(target).not.toHaveProperty('addressesTotal');
    expect(body.ports[0]!.tls!.cert!.sans!.split(',')).toHaveLength(12);
  });

  it('keeps full detail for a run that fits', () => {
    const body = telemetryBody(mixedRun(), { ...ids, edge: edgeAudit() });
    expect(telemetryBody(mixedRun(), { ...ids, edge: edgeAudit(), budgetBytes: Infinity })).toEqual(body);
  });
});

describe('telemetryMessage', () => {
  it('is UTF-8 JSON with the content type, encoding and the schema and overall properties', () => {
    const body = telemetryBody(runOf([{ ...healthyTarget('hub'), reason: 'ünïcødé ✓ 😀' }]), { ...ids, edge: null });
    const message = telemetryMessage(body);
    expect(message.contentType).toBe('application/json');
    expect(message.contentEncoding).toBe('utf-8');
    expect(message.properties).toEqual({ schema: RESULT_SCHEMA, overall: 'healthy' });
    expect(JSON.parse(message.data)).toEqual(body);
    expect(message.data).toContain('ünïcødé ✓ 😀');
  });
});
