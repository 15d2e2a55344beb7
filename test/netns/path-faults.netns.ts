// Faults of the path that TCP survives, made for real in the tier's namespaces: the probe in the edge
// namespace, the endpoints on 10.x addresses in the "azure" one, and nftables in the edge namespace breaking
// the "VPN" link between them the way a misconfigured tunnel does.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryBody } from '../../src/report/telemetry.js';
import { CLI_ENTRY } from '../support/module-process.js';
import { type TestCa } from '../support/pki.js';
import { nodeEnv, setUpTier, skipped } from './tier.js';
import { ENDPOINT_HOST } from './fixture-scripts.js';
import type { EndpointPlan } from './fixtures/endpoint-host.js';
import { runInNamespace } from './namespace-process.js';
import { ip, nft } from './shell.js';
import { type Topology } from './topology.js';

/** Answers every ClientHello with a HelloRetryRequest first: a small packet, then the flight with its certificate. */
const RETRYING = '10.1.2.8';
/**
 * Sends its whole first flight, certificate included, in one write: its first segment is a full-size one.
 * After the handshake it answers as Azure does (CONNACK on 8883, an HTTP 401 with Azure's headers on 443).
 */
const PLAIN = '10.1.2.9';
const TIMEOUT_MS = 1000;

/**
 * A certificate for `address` whose chain makes a first flight of several kB, as Azure's do (their leaves
 * list dozens of names, and an intermediate follows): here 120 extra names.
 */
function largeCertificate(ca: TestCa, address: string) {
  const names = Array.from({ length: 120 }, (_, i) => `name-${i}.endpoint.privatelink.example.test`);
  return ca.issue({ ipAddresses: [address], dnsNames: names, commonName: address });
}

describe.skipIf(skipped)('a path that lets TCP through and breaks later (nftables in the edge namespace)', () => {
  let topology: Topology;
  let dir: string;
  let caFile: string;

  beforeAll(async () => {
    const tier = await setUpTier('privatelink-probe netns path CA', 'plp-netns-path-');
    ({ topology, dir, caFile } = tier);
    const ca = tier.ca;
    for (const address of [RETRYING, PLAIN]) await topology.addAzureAddress(address);
    // veth hands TCP's super-packets (TSO/GSO) to its peer whole: the rule below would see one ~2.7 kB packet
    // per write of the endpoint instead of its 1500-byte segments (measured with the rule's counter). One
    // segment per packet, as on a physical link: the segments are real.
    await ip('-n', topology.ns.azure, 'link', 'set', 'vpn0', 'gso_max_segs', '1');
    const host = (plan: EndpointPlan) =>
      topology
        .start('azure', [process.execPath, ENDPOINT_HOST], { env: nodeEnv(), ipc: true })
        .call('start', plan, 20_000);
    // P-384 only: Node's ClientHello carries a key share for X25519 (and on Node 24 X25519MLKEM768) alone.
    await host({
      ecdhCurve: 'P-384',
      endpoints: [{ addresses: [RETRYING], ports: [443], cert: await largeCertificate(ca, RETRYING) }],
    });
    await host({ endpoints: [{ addresses: [PLAIN], ports: [443, 8883], cert: await largeCertificate(ca, PLAIN) }] });
  });

  afterAll(async () => {
    await topology?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `check --json` in the edge namespace against endpoints by address (`--target` arguments and more). */
  async function check(args: string[]): Promise<TelemetryBody['ports']> {
    const options = ['--json', '--ca-file', caFile, '--policy', 'any', '--timeout', String(TIMEOUT_MS)];
    const command = [process.execPath, CLI_ENTRY, 'check', ...options, ...args];
    const result = await runInNamespace(topology.ns.edge, command, { ...nodeEnv(), NO_COLOR: '1' }, 30_000);
    if (!result.stdout.trimStart().startsWith('{'))
      throw new Error(`check exited ${result.code} without JSON:\n${result.stderr}`);
    return (JSON.parse(result.stdout) as TelemetryBody).ports;
  }

  it('a tunnel that drops packets over 1000 bytes: a handshake whose first bytes came is TLS_STALLED, one whose first segment was dropped TLS_TIMEOUT', async () => {
    const targets = ['--no-service-check', '--target', `retrying=${RETRYING}:443`, '--target', `plain=${PLAIN}:443`];
    const healthy = await check(targets);
    expect(healthy.map((p) => [p.target, p.code, p.tls?.outcome])).toEqual([
      ['retrying', 'OK', 'ok'],
      ['plain', 'OK', 'ok'],
    ]);

    // Silent drops (no ICMP "fragmentation needed"): the path MTU black hole of a tunnel without MSS clamping.
    await nft(
      topology.ns.edge,
      'table inet plp_mtu {\n chain input {\n  type filter hook input priority 0; policy accept;\n  iifname "vpn0" ip length > 1000 counter drop\n }\n}\n',
    );
    try {
      const [retrying, plain] = await check(targets);
      expect(retrying).toMatchObject({ target: 'retrying', code: 'TLS_STALLED', tls: { outcome: 'stalled' } });
      // The HelloRetryRequest (and a ChangeCipherSpec): about a hundred bytes, well under the limit.
      expect(retrying!.tls!.bytesReceived).toBeGreaterThan(0);
      expect(retrying!.tls!.bytesReceived).toBeLessThan(1000);
      expect(retrying!.reason).toContain(
        `the handshake stalled after the server's first ${retrying!.tls!.bytesReceived} bytes`,
      );
      expect(retrying!.reason).toContain('clamp the TCP MSS on the tunnel or lower its MTU');

      expect(plain).toMatchObject({
        target: 'plain',
        code: 'TLS_TIMEOUT',
        tls: { outcome: 'timeout', bytesReceived: 0 },
      });
      expect(plain!.reason).toContain('the path drops large packets');
    } finally {
      await nft(topology.ns.edge, 'delete table inet plp_mtu\n');
    }
  });

  it('a firewall that lets the TLS handshake through and drops what follows → APP_BLOCKED on 8883', async () => {
    const target = ['--target', `hub=${PLAIN}:8883`];
    const [healthy] = await check(target);
    expect(healthy).toMatchObject({ code: 'OK', tls: { outcome: 'ok' }, service: { protocol: 'mqtt', outcome: 'ok' } });

    // What the endpoint sends after its handshake flight (session tickets, the CONNACK) travels in segments that
    // open with a TLS application-data record header: 0x17, then version 3.3. The flight itself opens with its
    // ServerHello (0x16) and goes out as one write, so its later segments start mid-record, in ciphertext.
    // A rule on the device's side would not do: its Finished and its request leave in one segment (measured
    // with tcpdump), so the endpoint's side of the handshake would be cut short too.
    await nft(
      topology.ns.edge,
      `table inet plp_app {\n chain input {\n  type filter hook input priority 0; policy accept;\n  iifname "vpn0" ip saddr ${PLAIN} tcp sport 8883 @ih,0,24 0x170303 counter drop\n }\n}\n`,
    );
    try {
      const [blocked] = await check(target);
      expect(blocked).toMatchObject({
        code: 'APP_BLOCKED',
        tls: { outcome: 'ok' },
        service: { protocol: 'mqtt', outcome: 'blocked', detail: `no answer within ${TIMEOUT_MS} ms` },
      });
      expect(blocked!.reason).toContain('TLS completed, but no answer within');
      expect(blocked!.reason).toContain('filters by application');
    } finally {
      await nft(topology.ns.edge, 'delete table inet plp_app\n');
    }
  });
});
