import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDeps, type ProbeDeps } from '../../src/probe/deps.js';
import { runProbe } from '../../src/probe/run.js';
import type { TargetResult } from '../../src/probe/types.js';
import { startDnsServer } from '../support/dns-server.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { closedPort } from '../support/tls-server.js';

// The engine end to end on loopback: real DNS server, real TLS endpoints on their own 127.0.0.x addresses.
let land: Landscape;
beforeAll(async () => {
  land = await startLandscape();
});
afterAll(() => land.close());

const byName = (targets: TargetResult[], name: string) => targets.find((t) => t.name === name)!;

describe('runProbe against a loopback landscape', () => {
  it('gives each failure its own code, all targets in one concurrent run', async () => {
    const targets = await Promise.all([
      land.add({ name: 'hub', host: 'myhub.privatelink.azure-devices.net', address: '127.0.0.21', ports: 2 }),
      land.add({ name: 'blob', host: 'acct.blob.core.windows.net', address: '127.0.0.22', dnsAnswer: '203.0.113.10' }),
      land.add({
        name: 'acr',
        host: 'myreg.privatelink.azurecr.io',
        address: '127.0.0.23',
        certificate: 'public-name-only',
      }),
      land.add({
        name: 'expired',
        host: 'old.privatelink.blob.core.windows.net',
        address: '127.0.0.24',
        certificate: 'expired',
      }),
      land.add({
        name: 'expiring',
        host: 'soon.privatelink.blob.core.windows.net',
        address: '127.0.0.25',
        certificate: 'expiring',
      }),
      land.add({
        name: 'rogue',
        host: 'rogue.privatelink.blob.core.windows.net',
        address: '127.0.0.26',
        certificate: 'untrusted',
      }),
      land.add({ name: 'silent', host: 'mute.privatelink.azure-devices.net', address: '127.0.0.27', silent: true }),
    ]);
    const refusedPort = await closedPort('127.0.0.28');
    const refused = await land.add({
      name: 'refused',
      host: 'shut.privatelink.azure-devices.net',
      address: '127.0.0.28',
      ports: 0,
    });
    refused.ports = [refusedPort];
    const missing = { name: 'missing', host: 'ghost.privatelink.azure-devices.net' };
    const settings = land.settings({ timeoutMs: 800 });

    const run = await runProbe([...targets, refused, missing], settings, realDeps());
    const t = (n: string) => byName(run.targets, n);

    expect(t('hub')).toMatchObject({
      status: 'healthy',
      code: 'OK',
      kind: 'iothub',
      form: 'privatelink',
      counterpart: 'myhub.azure-devices.net',
    });
    expect(t('hub').dns.addresses).toEqual([{ address: '127.0.0.21', family: 4, class: 'loopback', private: true }]);
    expect(t('hub').ports).toHaveLength(2);
    expect(t('hub').ports.every((p) => p.ok && p.tls?.outcome === 'ok')).toBe(true);
    // The counterpart name was resolved too, showing the public name's CNAME into the private zone.
    expect(t('hub').dns.counterpartAnswers[0]?.cname).toEqual(['myhub.privatelink.azure-devices.net']);

    expect(t('blob')).toMatchObject({ status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' });
    expect(t('blob').dns.cname).toEqual(['acct.privatelink.blob.core.windows.net']);
    expect(t('blob').reason).toContain('public 203.0.113.10');
    expect(t('blob').ports[0]?.tcp).toEqual([]); // nothing connected to the "public" address

    expect(t('acr')).toMatchObject({ status: 'unhealthy', code: 'TLS_HOSTNAME_MISMATCH' });
    expect(t('acr').reason).toContain('covers myreg.azurecr.io');
    expect(t('acr').reason).toContain('configure clients with myreg.azurecr.io');
    expect(t('acr').ports[0]?.tls?.counterpart).toMatchObject({ servername: 'myreg.azurecr.io', outcome: 'ok' });

    expect(t('expired').code).toBe('TLS_EXPIRED');
    expect(t('expiring')).toMatchObject({ status: 'degraded', code: 'TLS_EXPIRING' });
    expect(t('rogue').code).toBe('TLS_UNTRUSTED');
    expect(t('silent').code).toBe('TLS_TIMEOUT');
    expect(t('refused').code).toBe('TCP_REFUSED');
    expect(t('missing')).toMatchObject({ code: 'DNS_NXDOMAIN' });
    expect(t('missing').reason).toContain('privatelink.azure-devices.net');

    expect(run.overall).toBe('unhealthy');
    // Four sequential steps at most, whatever the number of targets.
    expect(run.durationMs).toBeLessThan(4 * settings.timeoutMs + 1000);
  });

  it('reports a resolver mismatch when the system resolver and the explicit server disagree', async () => {
    const target = await land.add({ name: 'hub2', host: 'hub2.privatelink.azure-devices.net', address: '127.0.0.31' });
    const deps: ProbeDeps = {
      ...realDeps(),
      // The system path (getaddrinfo) injected: it sees the same endpoint plus a stale second record.
      lookup: async (host) =>
        host === target.host
          ? [
              { address: '127.0.0.31', family: 4 },
              { address: '127.0.0.99', family: 4 },
            ]
          : [],
    };
    const run = await runProbe([target], land.settings({ systemDns: true }), deps);
    expect(run.targets[0]).toMatchObject({ status: 'degraded', code: 'DNS_RESOLVER_MISMATCH' });
    expect(run.targets[0]?.dns.resolver).toBe('system');
    expect(run.targets[0]?.dns.answers.map((a) => a.resolver)).toEqual(['system', land.dns.endpoint]);
  });

  it('an unknown root on an Azure kind is TLS_INSPECTED unless the root is known', async () => {
    const target = await land.add({ name: 'hub3', host: 'hub3.privatelink.azure-devices.net', address: '127.0.0.32' });
    const inspected = await runProbe([target], land.settings({ knownRoots: ['DigiCert Global Root G2'] }), realDeps());
    expect(inspected.targets[0]).toMatchObject({ status: 'degraded', code: 'TLS_INSPECTED' });
  });

  it('a run without targets is unknown, and an aborted run ends promptly', async () => {
    expect((await runProbe([], land.settings(), realDeps())).overall).toBe('unknown');
    const target = await land.add({
      name: 'slow',
      host: 'slow.privatelink.azure-devices.net',
      address: '127.0.0.33',
      silent: true,
    });
    const abort = new AbortController();
    const started = Date.now();
    const pending = runProbe([target], land.settings({ timeoutMs: 30_000 }), realDeps(), { signal: abort.signal });
    setTimeout(() => abort.abort(), 200);
    const run = await pending;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.targets[0]?.status).toBe('unhealthy');
  });
});

describe('the system resolver says EAI_AGAIN', () => {
  const eaiAgain: ProbeDeps['lookup'] = () =>
    Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }));
  const target = { name: 'hub', host: 'again.privatelink.azure-devices.net' };

  it('a nameserver that refuses every query (nothing listens) is the resolver down: DNS_FAILED naming it', async () => {
    const nothing = await closedUdpPort();
    const run = await runProbe(
      [target],
      land.settings({ systemDns: true, dnsServers: [], systemNameservers: [`127.0.0.1:${nothing}`] }),
      { ...realDeps(), lookup: eaiAgain },
    );
    expect(run.targets[0]).toMatchObject({ code: 'DNS_FAILED' });
    expect(run.targets[0]?.reason).toContain(`no nameserver answers: 127.0.0.1:${nothing} ECONNREFUSED`);
  });

  it('a silent nameserver is the resolver down: DNS_TIMEOUT', async () => {
    const silent = await startDnsServer();
    silent.setBehaviour(target.host, 'silent');
    silent.setBehaviour('again.azure-devices.net', 'silent');
    try {
      const run = await runProbe(
        [target],
        land.settings({ systemDns: true, dnsServers: [], timeoutMs: 600, systemNameservers: [silent.endpoint] }),
        { ...realDeps(), lookup: eaiAgain },
      );
      expect(run.targets[0]).toMatchObject({ code: 'DNS_TIMEOUT' });
      expect(run.targets[0]?.reason).toContain(`${silent.endpoint} silent`);
      expect(run.durationMs).toBeLessThan(4 * 600 + 1000);
    } finally {
      await silent.close();
    }
  });

  it('a nameserver that answers SERVFAIL leaves DNS_SERVFAIL: the resolver is up, the zone is not reached', async () => {
    const failing = await startDnsServer();
    failing.setBehaviour(target.host, 'servfail');
    try {
      const run = await runProbe(
        [target],
        land.settings({ systemDns: true, dnsServers: [], systemNameservers: [failing.endpoint] }),
        { ...realDeps(), lookup: eaiAgain },
      );
      expect(run.targets[0]).toMatchObject({ code: 'DNS_SERVFAIL' });
    } finally {
      await failing.close();
    }
  });
});

/** A UDP port on loopback nobody listens on (bind, read the port, close). */
async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
