import { describe, expect, it } from 'vitest';
import { isTwinSafe, twinSafetyViolation } from '../../src/config/twin-safe.js';
import { reportedSections, type ReportedContext } from '../../src/report/reported.js';
import type { RunResult, TargetResult } from '../../src/probe/types.js';
import {
  blockedAndStalledTarget,
  edgeAudit,
  healthyTarget,
  mismatchAcrTarget,
  multibyteText,
  PROXY_URL,
  proxiedTarget,
  publicBlobTarget,
  runOf,
  STARTED_AT,
} from './factory.js';
import { hubDepth } from './twin-model.js';

const LATER = '2026-11-28T09:05:00.000Z';

function ctx(over: Partial<ReportedContext> = {}): ReportedContext {
  return { edge: edgeAudit(), moduleVersion: '0.1.0', nextRunAt: LATER, runCount: 7, ...over };
}

const mixedRun = (): RunResult => runOf([healthyTarget('hub'), publicBlobTarget('blob'), mismatchAcrTarget('acr')]);

describe('reported sections: the §4 shape', () => {
  it('status carries the overall verdict, a one-line summary, the run and the upstream', () => {
    const { status } = reportedSections(mixedRun(), ctx());
    expect(status).toEqual({
      overall: 'unhealthy',
      summary: '2 of 3 targets unhealthy: blob (DNS_PUBLIC_ADDRESS), acr (TLS_HOSTNAME_MISMATCH)',
      lastRunAt: STARTED_AT,
      lastRunMs: 57,
      runCount: 7,
      nextRunAt: LATER,
      moduleVersion: '0.1.0',
      upstream: {
        hostname: 'myhub.privatelink.azure-devices.net',
        form: 'privatelink',
        policyOk: true,
        gateway: 'edgeHub',
      },
    });
  });

  it("status.overall is the engine's verdict, not recomputed", () => {
    const run = runOf([healthyTarget('hub')], { overall: 'degraded' });
    expect(reportedSections(run, ctx()).status.overall).toBe('degraded');
  });

  it('results are keyed by target name with verdict, host, kind, DNS joined into strings and ports keyed by number', () => {
    const { results } = reportedSections(mixedRun(), ctx());
    const measured = { ok: true, code: 'OK', tcpMs: 3, tlsMs: 21, tls: 'TLSv1.3', certDaysLeft: 180 };
    expect(Object.keys(results)).toEqual(['hub', 'blob', 'acr']);
    expect(results.hub).toEqual({
      status: 'healthy',
      code: 'OK',
      reason:
        'myhub.privatelink.azure-devices.net resolves to private 10.1.1.4 via the system resolver; ports 8883, 5671, 443 verified',
      host: 'myhub.privatelink.azure-devices.net',
      kind: 'iothub',
      changedAt: STARTED_AT,
      dns: { addresses: '10.1.1.4', private: true, cname: '', ms: 4, resolver: 'system', mismatch: false },
      ports: {
        '443': { ...measured, serviceMs: 6, service: 'ok', serviceDetail: 'HTTP 401 iothub-errorcode' },
        '5671': { ...measured, serviceMs: 4, service: 'ok', serviceDetail: 'AMQP header' },
        '8883': { ...measured, serviceMs: 4, service: 'ok', serviceDetail: 'CONNACK 5' },
      },
    });
    expect(results.blob!.dns).toEqual({
      addresses: '203.0.113.40',
      private: false,
      cname: 'factorylogs.privatelink.blob.core.windows.net > blob.ams07prdstr02a.store.core.windows.net',
      ms: 11,
      resolver: 'system',
      mismatch: false,
    });
    // A port that was never tried has a verdict and nothing measured.
    expect(results.blob!.ports).toEqual({ '443': { ok: false, code: 'DNS_PUBLIC_ADDRESS' } });
    // An exchange the failed handshake stopped is left out: the code says why.
    expect(results.acr!.ports['443']).toEqual({ ...measured, ok: false, code: 'TLS_HOSTNAME_MISMATCH' });
  });

  it("a port's service exchange: what blocked or answered in its place, and a stalled handshake's bytes", () => {
    const { results } = reportedSections(runOf([blockedAndStalledTarget()]), ctx());
    expect(results.hub!.ports['8883']).toMatchObject({
      code: 'APP_BLOCKED',
      serviceMs: 5000,
      service: 'blocked',
      serviceDetail: 'no answer within 5000 ms',
    });
    expect(results.hub!.ports['443']).toMatchObject({ code: 'TLS_STALLED', tlsMs: 5000, tlsBytesReceived: 1380 });
    expect(results.hub!.ports['443']).not.toHaveProperty('service');
  });

  it('a port behind a proxy: the CONNECT outcome and status, the direct code beside the deciding one, the URL once', () => {
    const { status, results } = reportedSections(
      runOf([proxiedTarget('hub'), proxiedTarget('dps', 'auth-required')]),
      ctx(),
    );
    expect(status.proxy).toBe(PROXY_URL);
    expect(results.hub!.ports['443']).toEqual({
      ok: true,
      code: 'OK',
      tcpMs: 1,
      proxyMs: 7,
      proxy: 'ok',
      proxyStatus: 200,
      directCode: 'TCP_REFUSED',
    });
    expect(results.dps!.ports['443']).toMatchObject({
      ok: false,
      code: 'PROXY_AUTH_REQUIRED',
      proxy: 'auth-required',
      proxyStatus: 407,
      directCode: 'TCP_REFUSED',
    });
    // Ports the proxy does not concern say nothing about it.
    expect(results.hub!.ports['8883']).not.toHaveProperty('proxy');
    // The URL is the run's, not each port's (a refused CONNECT's reason still names it).
    expect(JSON.stringify([results.hub!.ports, results.dps!.ports])).not.toContain('proxy.factory');
  });

  it('a name NO_PROXY exempts, a proxy that never answered, and no proxy at all', () => {
    const run = runOf([proxiedTarget('hub', 'bypassed'), proxiedTarget('dps', 'unreachable')]);
    const { status, results } = reportedSections(run, ctx());
    expect(status.proxy).toBe(PROXY_URL);
    // Bypassed: the direct path decided, so there is no other code, and the CONNECT took no time.
    expect(results.hub!.ports['443']).toMatchObject({ code: 'OK', proxy: 'bypassed', service: 'ok' });
    expect(results.hub!.ports['443']).not.toHaveProperty('directCode');
    expect(results.hub!.ports['443']).not.toHaveProperty('proxyMs');
    expect(results.dps!.ports['443']).toMatchObject({ code: 'PROXY_UNREACHABLE', proxy: 'unreachable' });
    expect(results.dps!.ports['443']).not.toHaveProperty('proxyStatus');
    expect(reportedSections(mixedRun(), ctx()).status).not.toHaveProperty('proxy');
  });

  it("edge carries the device's clock beside the audit, and alone when the audit could not run", () => {
    const run = runOf([healthyTarget('hub')], { clock: { offsetSeconds: 0.2, source: 'hub' } });
    expect(reportedSections(run, ctx()).edge).toMatchObject({
      configToml: 'found',
      clock: { offsetSeconds: 0.2, source: 'hub' },
    });
    expect(reportedSections(run, ctx({ edge: null })).edge).toEqual({ clock: { offsetSeconds: 0.2, source: 'hub' } });
  });

  it('edge carries the runtime audit with findings keyed by id; null without an audit', () => {
    expect(reportedSections(mixedRun(), ctx()).edge).toEqual({
      configToml: 'found',
      provisioning: 'dps-symmetric-key',
      findings: {
        DOCKER_EMBEDDED_DNS:
          "the module's nameserver is Docker's 127.0.0.11: results show what containers see, not the host",
      },
    });
    const sections = reportedSections(mixedRun(), ctx({ edge: null }));
    expect(sections.edge).toBeNull();
    expect(sections.status.upstream).toBeUndefined();
  });

  it('leaves out an unknown upstream hostname and gateway instead of writing null (null deletes in a patch)', () => {
    const edge = edgeAudit({ upstream: { hostname: null, form: 'unknown', policyOk: false, gateway: null } });
    expect(reportedSections(mixedRun(), ctx({ edge })).status.upstream).toEqual({ form: 'unknown', policyOk: false });
  });

  it('a run without targets reports overall unknown and says no targets are configured', () => {
    const sections = reportedSections(runOf([]), ctx());
    expect(sections.status.overall).toBe('unknown');
    expect(sections.status.summary).toBe('no targets configured');
    expect(sections.results).toEqual({});
  });

  it('lists more than four addresses as the first four and a count', () => {
    const target = healthyTarget('hub');
    const addresses = ['10.1.1.4', '10.1.1.5', '10.1.1.6', '10.1.1.7', '10.1.1.8', '10.1.1.9'];
    target.dns.addresses = addresses.map((address) => ({ address, family: 4, class: 'private', private: true }));
    const { results } = reportedSections(runOf([target]), ctx());
    expect(results.hub!.dns.addresses).toBe('10.1.1.4,10.1.1.5,10.1.1.6,10.1.1.7 +2 more');
  });
});

describe('reported sections: twin-safe', () => {
  it('passes the twin-safety check as a whole reported document', () => {
    const sections = reportedSections(mixedRun(), ctx());
    expect(twinSafetyViolation({ ...sections })).toBeUndefined();
  });

  it('nests at most 4 objects below properties.reported (results › target › ports › port), 5 counting the root', () => {
    const sections = reportedSections(mixedRun(), ctx());
    // IoT Hub does not count the section root: results.<t>.ports.<p>.ok is depth 4.
    expect(hubDepth({ ...sections })).toBe(4);
    // twin-safe.ts counts the object it is given, so the same document is 5 there: exactly at its limit.
    const oneDeeper = { results: { hub: { ports: { '443': { tls: { protocol: 'TLSv1.3' } } } } } };
    expect(isTwinSafe(oneDeeper)).toBe(false);
  });

  it('cuts a multi-byte reason to the 512 bytes a twin string may hold, at a character boundary, ending in an ellipsis', () => {
    const reason = multibyteText(600);
    const target: TargetResult = { ...publicBlobTarget('blob'), reason };
    const cut = reportedSections(runOf([target]), ctx()).results.blob!.reason!;
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(512);
    expect(Buffer.byteLength(cut)).toBeGreaterThan(500);
    expect(cut.endsWith('…')).toBe(true);
    expect(reason.startsWith(cut.slice(0, -1))).toBe(true);
    // No character was split: the UTF-8 round trip gives the same string (a lone surrogate would not survive it).
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
  });

  it('cuts a summary naming 32 unhealthy targets to 512 bytes', () => {
    const run = runOf(Array.from({ length: 32 }, (_, i) => publicBlobTarget(`blob-storage-${i}`)));
    const { summary } = reportedSections(run, ctx()).status;
    expect(summary.startsWith('32 of 32 targets unhealthy: blob-storage-0 (DNS_PUBLIC_ADDRESS), ')).toBe(true);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(512);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('keeps a reason that fits as it is', () => {
    const { results } = reportedSections(mixedRun(), ctx());
    expect(results.acr!.reason).toBe(mismatchAcrTarget().reason);
  });

  it('makes unsafe names and finding ids into distinct twin-safe keys', () => {
    const run = runOf([healthyTarget('a.b'), healthyTarget('a$b'), healthyTarget('ok-name')]);
    const edge = edgeAudit({ findings: [{ id: 'NO RESOLVER' as 'NO_RESOLVER', severity: 'error', text: 'x' }] });
    const sections = reportedSections(run, ctx({ edge }));
    expect(Object.keys(sections.results)).toEqual(['a_b', 'a_b_2', 'ok-name']);
    expect(Object.keys(sections.edge!.findings!)).toEqual(['NO_RESOLVER']);
    expect(isTwinSafe({ ...sections })).toBe(true);
  });
});

describe('reported sections: changedAt', () => {
  const next = (run: RunResult) => ({ ...run, startedAt: LATER });

  it("is the run's start for a target seen for the first time", () => {
    const { results } = reportedSections(mixedRun(), ctx());
    expect(Object.values(results).map((r) => r.changedAt)).toEqual([STARTED_AT, STARTED_AT, STARTED_AT]);
  });

  it('is kept while status and code stay the same', () => {
    const first = reportedSections(mixedRun(), ctx());
    const second = reportedSections(next(mixedRun()), ctx({ previous: first }));
    expect(second.results.blob!.changedAt).toBe(STARTED_AT);
    expect(second.status.lastRunAt).toBe(LATER);
  });

  it('moves to the run that saw the status or the code change', () => {
    const first = reportedSections(mixedRun(), ctx());
    const fixed = runOf([
      healthyTarget('hub'),
      healthyTarget('blob', 'factorylogs.privatelink.blob.core.windows.net'),
      mismatchAcrTarget('acr'),
    ]);
    const codeOnly = { ...mismatchAcrTarget('acr'), code: 'TLS_UNTRUSTED' as const };
    const second = reportedSections(
      next({ ...fixed, targets: [fixed.targets[0]!, fixed.targets[1]!, codeOnly] }),
      ctx({ previous: first }),
    );
    expect(second.results.hub!.changedAt).toBe(STARTED_AT);
    expect(second.results.blob!.changedAt).toBe(LATER);
    expect(second.results.acr!.changedAt).toBe(LATER);
  });

  it('survives a restart: the previous results can be what the twin holds', () => {
    const twin = JSON.parse(
      JSON.stringify(reportedSections(mixedRun(), ctx())),
    ) as unknown as ReportedContext['previous'];
    const second = reportedSections(next(mixedRun()), ctx({ previous: twin }));
    expect(second.results.acr!.changedAt).toBe(STARTED_AT);
  });
});
