// An IP literal is held to the address rule a name's answer is held to: outside the private ranges it is
// DNS_PUBLIC_ADDRESS and not connected to, whoever configured it (desired targets, `check`, the `probe`
// method). The network guard fails the test if anything connects to a non-loopback address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDeps } from '../../src/probe/deps.js';
import { runProbe } from '../../src/probe/run.js';
import { startLandscape, type Landscape } from '../support/landscape.js';

let land: Landscape;
beforeAll(async () => {
  land = await startLandscape();
});
afterAll(() => land.close());

describe('IP literals as targets', () => {
  it.each([
    ['a public IPv4 address', '8.8.8.8'],
    ['the cloud metadata address (link-local)', '169.254.169.254'],
    ['a public IPv6 address', '2001:4860:4860::8888'],
    ['an IPv4-mapped public address', '::ffff:8.8.4.4'],
  ])('%s outside the private ranges is DNS_PUBLIC_ADDRESS and never connected to', async (_, host) => {
    const run = await runProbe(
      [{ name: 'literal', host, ports: [443, 8883], source: 'desired' }],
      land.settings({ timeoutMs: 500 }),
      realDeps(),
    );
    const [target] = run.targets;
    expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS', form: 'ip' });
    expect(target!.reason).toContain(`${host} is a public address`);
    expect(target!.ports.map((p) => [p.code, p.tcp])).toEqual([
      ['DNS_PUBLIC_ADDRESS', []],
      ['DNS_PUBLIC_ADDRESS', []],
    ]);
  });

  it('a literal inside the private ranges is connected to as before', async () => {
    const { ports } = await land.add({
      name: 'inside',
      host: 'literal.privatelink.azure-devices.net',
      address: '127.0.0.37',
    });
    const run = await runProbe(
      [{ name: 'inside', host: '127.0.0.37', ports, tlsPorts: ports, source: 'desired' }],
      land.settings({ timeoutMs: 1000 }),
      realDeps(),
    );
    const [target] = run.targets;
    expect(target!.code).not.toBe('DNS_PUBLIC_ADDRESS');
    expect(target!.ports[0]!.tcp).toMatchObject([{ address: '127.0.0.37', outcome: 'ok' }]);
  });
});
