// The `probe` direct method: one ad-hoc target, probed by the engine with the module's settings; a bad or
// oversized payload is a 400 with a reason, never silently cut. The network guard fails the test if anything
// connects outside loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeMethod } from '../../src/module/probe-method.js';
import { realDeps } from '../../src/probe/deps.js';
import type { TelemetryBody } from '../../src/report/telemetry.js';
import { startLandscape, type Landscape } from '../support/landscape.js';

let land: Landscape;
beforeAll(async () => {
  land = await startLandscape();
});
afterAll(() => land.close());

const probe = () =>
  createProbeMethod({
    settings: () => land.settings({ timeoutMs: 500 }),
    deps: realDeps(),
    context: () => ({ deviceId: 'gw', moduleId: 'PrivateLinkProbe', edge: null }),
  });

describe('the probe method', () => {
  it.each(['8.8.8.8', '169.254.169.254', '2001:4860:4860::8888'])(
    'does not connect to %s, outside the private ranges, and says so as for a name',
    async (host) => {
      const answer = await probe()({ host, ports: '443,8883' });
      expect(answer.status).toBe(200);
      const {
        targets: [target],
        ports,
      } = answer.payload as TelemetryBody;
      expect(target).toMatchObject({ host, status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' });
      expect(ports.map((p) => p.tcp)).toEqual([[], []]);
    },
  );

  const servers = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  it.each([
    ['4,000 DNS servers as an array', { dnsServers: servers(4000) }, /^dnsServers: has 4000 items, at most 8$/],
    [
      '4,000 DNS servers as one string',
      { dnsServers: servers(4000).join(',') },
      /^dnsServers: is too long: \d+ bytes, at most 512$/,
    ],
    ['9 DNS servers', { dnsServers: servers(9) }, /^dnsServers: has 9 items, at most 8$/],
    ['100 ports', { ports: Array.from({ length: 100 }, (_, i) => 1000 + i) }, /^ports: has 100 items, at most 8$/],
    ['a 100 KB list of ports', { ports: '443,'.repeat(25_000) }, /^ports: is too long: \d+ bytes, at most 512$/],
    ['a 100 KB host', { host: 'a'.repeat(100_000) }, /^host: is too long: \d+ bytes, at most 512$/],
  ])('refuses %s with a 400 that names the limit, before asking any resolver', async (_, payload, reason) => {
    const before = land.dns.queries;
    const answer = await probe()({ host: 'missing.privatelink.azure-devices.net', ...payload });
    expect(answer).toEqual({ status: 400, payload: { message: expect.stringMatching(reason) } });
    expect(land.dns.queries).toBe(before);
  });

  it('asks the DNS servers it is given, in the form desired dns.servers takes', async () => {
    const before = land.dns.queries;
    const answer = await probe()({
      host: 'missing.privatelink.azure-devices.net',
      ports: [443],
      dnsServers: `${land.dns.endpoint}, ${land.dns.endpoint}`,
    });
    expect(answer.status).toBe(200);
    const [target] = (answer.payload as TelemetryBody).targets;
    expect(target).toMatchObject({ code: 'DNS_NXDOMAIN', dns: { resolver: land.dns.endpoint } });
    expect(land.dns.queries).toBeGreaterThan(before);
  });
});
