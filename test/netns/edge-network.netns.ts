// A realistic edge network: `check` and the module run inside an "edge" namespace and resolve
// through the system resolver (getaddrinfo, the namespace's own /etc/resolv.conf) via an on-prem dnsmasq
// that forwards the Azure zones to "Azure DNS" in the virtual network, and connect to private endpoints
// on genuine 10.x addresses with certificates from a test CA. Each scenario breaks one link the way it
// breaks in the field and asserts the verdict code and reason an operator would read.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportedTarget } from '../../src/report/reported.js';
import type { TelemetryBody } from '../../src/report/telemetry.js';
import type { ZoneRecord } from '../support/dns-server.js';
import { CLI_ENTRY } from '../support/module-process.js';
import { nodeEnv, setUpTier, skipped } from './tier.js';
import { EMULATOR_HOST, ENDPOINT_HOST } from './fixture-scripts.js';
import type { EndpointPlan } from './fixtures/endpoint-host.js';
import { runInNamespace } from './namespace-process.js';
import { startOnpremResolver } from './onprem-resolver.js';
import { namespaceNames, nft, pidsIn, run } from './shell.js';
import { ADDRESSES, type Topology } from './topology.js';

const CA_NAME = 'privatelink-probe netns CA';

interface Endpoint {
  /** The privatelink name (what IoT Edge's Private Link guidance configures). */
  name: string;
  /** Its public counterpart, a CNAME to `name` in public DNS and in Azure DNS. */
  public: string;
  /** The private endpoint's address in the virtual network. */
  address: string;
}
const HUB: Endpoint = {
  name: 'plp-hub.privatelink.azure-devices.net',
  public: 'plp-hub.azure-devices.net',
  address: '10.1.2.4',
};
/** A second address of the hub's endpoint that only the edge's /etc/hosts names. */
const HUB_PINNED = '10.1.2.14';
const BLOB: Endpoint = {
  name: 'plpstore.privatelink.blob.core.windows.net',
  public: 'plpstore.blob.core.windows.net',
  address: '10.1.2.5',
};
/** Its private record exists, but the on-prem resolver has no forwarder for azure-devices-provisioning.net. */
const DPS: Endpoint = {
  name: 'plp-dps.privatelink.azure-devices-provisioning.net',
  public: 'plp-dps.azure-devices-provisioning.net',
  address: '10.1.2.6',
};
/** A hub whose private endpoint never got its DNS zone group: the public CNAME leads into the private zone, which has no record. */
const GONE = { name: 'plp-gone.privatelink.azure-devices.net', public: 'plp-gone.azure-devices.net' };

const aliasOf = (e: { name: string; public: string }): ZoneRecord => ({ name: e.public, type: 'CNAME', data: e.name });
/** Azure DNS as the virtual network sees it: the linked privatelink.* zones. */
const AZURE_DNS_RECORDS: ZoneRecord[] = [
  ...[HUB, BLOB, DPS].flatMap((e): ZoneRecord[] => [aliasOf(e), { name: e.name, type: 'A', data: e.address }]),
  aliasOf(GONE),
];
/** Public DNS: the same CNAMEs, ending at a public address. */
const PUBLIC_DNS_RECORDS: ZoneRecord[] = [HUB, BLOB, DPS, GONE].flatMap((e): ZoneRecord[] => [
  aliasOf(e),
  { name: e.name, type: 'A', data: ADDRESSES.publicEndpoint },
]);

describe.skipIf(skipped)(
  'an edge network in namespaces: system resolver, on-prem forwarder, 10.x private endpoints',
  () => {
    let topology: Topology;
    let dir: string;
    let caFile: string;

    beforeAll(async () => {
      const tier = await setUpTier(CA_NAME, 'plp-netns-');
      ({ topology, dir, caFile } = tier);
      const ca = tier.ca;
      for (const address of [HUB.address, HUB_PINNED, BLOB.address]) await topology.addAzureAddress(address);

      const azurePlan: EndpointPlan = {
        dns: { address: ADDRESSES.azureDns, records: AZURE_DNS_RECORDS },
        endpoints: [
          {
            addresses: [HUB.address, HUB_PINNED],
            ports: [8883, 5671, 443],
            cert: await ca.issue({ dnsNames: [HUB.name, HUB.public] }),
          },
          { addresses: [BLOB.address], ports: [443], cert: await ca.issue({ dnsNames: [BLOB.name, BLOB.public] }) },
        ],
      };
      const internetPlan: EndpointPlan = { dns: { address: ADDRESSES.internetDns, records: PUBLIC_DNS_RECORDS } };
      const azure = topology.start('azure', [process.execPath, ENDPOINT_HOST], { env: nodeEnv(), ipc: true });
      const internet = topology.start('internet', [process.execPath, ENDPOINT_HOST], { env: nodeEnv(), ipc: true });
      await Promise.all([azure.call('start', azurePlan, 20_000), internet.call('start', internetPlan, 20_000)]);
      await startOnpremResolver(topology, {
        listen: ADDRESSES.onpremResolver,
        forwards: { 'azure-devices.net': ADDRESSES.azureDns, 'blob.core.windows.net': ADDRESSES.azureDns },
        upstream: ADDRESSES.internetDns,
      });
    });

    afterAll(async () => {
      await topology?.dispose();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** `check --json` inside the edge namespace: system resolver only, the test CA trusted and known as a root. */
    /** The module (the bundle's `run`) in the edge namespace, with the emulator's environment and `env` on top. */
    function startModule(env: Record<string, string>) {
      return topology.start('edge', [process.execPath, CLI_ENTRY, 'run'], {
        env: {
          ...nodeEnv(),
          LOG_FORMAT: 'json',
          METRICS_PORT: '0',
          CONFIG_TOML_PATH: path.join(dir, 'no-config.toml'),
          ...env,
        },
      });
    }

    async function check(args: string[]): Promise<{
      exitCode: number | null;
      body: TelemetryBody;
      target: TelemetryBody['targets'][number];
      ports: TelemetryBody['ports'];
    }> {
      const command = [
        process.execPath,
        CLI_ENTRY,
        'check',
        '--json',
        '--ca-file',
        caFile,
        '--known-root',
        CA_NAME,
        ...args,
      ];
      const result = await runInNamespace(topology.ns.edge, command, { ...nodeEnv(), NO_COLOR: '1' }, 30_000);
      if (!result.stdout.trimStart().startsWith('{'))
        throw new Error(`check exited ${result.code} without JSON:\n${result.stderr}`);
      const body = JSON.parse(result.stdout) as TelemetryBody;
      return { exitCode: result.code, body, target: body.targets[0]!, ports: body.ports };
    }

    it('healthy: a public name follows the CNAME through the forwarder to its 10.x private endpoint, TLS verified', async () => {
      const { exitCode, target, ports } = await check(['--blob', BLOB.public, '--policy', 'public']);
      expect(target).toMatchObject({ host: BLOB.public, status: 'healthy', code: 'OK' });
      expect(target.reason).toBe(
        `${BLOB.public} resolves to private ${BLOB.address} via the system resolver; ports 443 verified`,
      );
      expect(target).toMatchObject({
        dns: { resolver: 'system', private: true },
        addresses: [{ address: BLOB.address, private: true }],
      });
      expect(ports[0]).toMatchObject({ port: 443, code: 'OK', tls: { outcome: 'ok' } });
      expect(exitCode).toBe(0);
    });

    it('healthy: the privatelink hub name reaches its endpoint on 8883, 5671 and 443', async () => {
      const { exitCode, target, ports } = await check(['--hub', HUB.name]);
      expect(target).toMatchObject({ status: 'healthy', code: 'OK' });
      expect(target.reason).toBe(
        `${HUB.name} resolves to private ${HUB.address} via the system resolver; ports 8883, 5671, 443 verified`,
      );
      expect(ports.map((p) => [p.port, p.code])).toEqual([
        [8883, 'OK'],
        [5671, 'OK'],
        [443, 'OK'],
      ]);
      expect(exitCode).toBe(0);
    });

    it('forwarder missing: the zone goes to public DNS and resolves to 203.0.113.10 → DNS_PUBLIC_ADDRESS', async () => {
      const { exitCode, target, ports } = await check(['--dps', DPS.name]);
      expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' });
      expect(target.reason).toBe(
        `${DPS.name} resolves to public ${ADDRESSES.publicEndpoint} via the system resolver: link the private DNS zone ` +
          "privatelink.azure-devices-provisioning.net to the network's virtual network and make the on-premises resolver " +
          'forward azure-devices-provisioning.net to the Azure DNS Private Resolver',
      );
      // A name that leads to the wrong place is not connected to.
      expect(ports.every((p) => p.tcp.length === 0)).toBe(true);
      expect(exitCode).toBe(1);
    });

    it('private zone without the record: the forwarded name does not exist → DNS_NXDOMAIN', async () => {
      const { target } = await check(['--hub', GONE.name]);
      expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_NXDOMAIN' });
      expect(target.reason).toBe(
        `${GONE.name} does not exist according to the system resolver: the private zone privatelink.azure-devices.net has no record for it; ` +
          "add the private endpoint's DNS zone group, or link the private DNS zone privatelink.azure-devices.net to the network's virtual " +
          'network and make the on-premises resolver forward azure-devices.net to the Azure DNS Private Resolver',
      );
    });

    it('VPN down: with the route to the virtual network gone, the connect fails at once → TCP_UNREACHABLE', async () => {
      await topology.setVpnRoute(false);
      try {
        const { body, target, ports } = await check(['--hub', HUB.name, '--timeout', '2000']);
        expect(target).toMatchObject({ status: 'unhealthy', code: 'TCP_UNREACHABLE' });
        expect(target.reason).toBe(
          `no route to ${HUB.address}:8883 (${HUB.name}): the VPN or ExpressRoute link to the virtual network is down, or a route is missing`,
        );
        expect(ports.map((p) => p.tcp[0]?.outcome)).toEqual(['unreachable', 'unreachable', 'unreachable']);
        // DNS still answers (the resolver has its own path): the verdict comes well within the timeout.
        expect(body.durationMs).toBeLessThan(2000);
      } finally {
        await topology.setVpnRoute(true);
      }
    });

    it('a firewall drops one port (nftables drop on 5671) → TCP_TIMEOUT at the probe timeout, other ports OK', async () => {
      await nft(
        topology.ns.azure,
        `table inet plp_filter {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ip daddr ${HUB.address} tcp dport 5671 drop\n }\n}\n`,
      );
      try {
        const { body, target, ports } = await check(['--hub', HUB.name, '--timeout', '1500']);
        expect(target).toMatchObject({ status: 'unhealthy', code: 'TCP_TIMEOUT' });
        expect(target.reason).toBe(
          `${HUB.address}:5671 (${HUB.name}) did not answer within the timeout: a firewall or NSG drops port 5671 on the way to the private endpoint`,
        );
        expect(ports.map((p) => [p.port, p.code])).toEqual([
          [8883, 'OK'],
          [5671, 'TCP_TIMEOUT'],
          [443, 'OK'],
        ]);
        expect(ports[1]!.tcp[0]!.ms).toBeGreaterThanOrEqual(1490);
        expect(body.durationMs).toBeLessThan(4 * 1500);
      } finally {
        await nft(topology.ns.azure, 'delete table inet plp_filter\n');
      }
    });

    it('/etc/hosts in the edge pins the hub: the system resolver uses it, and the audit reports HOSTS_PINNED', async () => {
      await topology.setEdgeHosts([`${HUB_PINNED} ${HUB.name}`]);
      try {
        const { exitCode, body, target } = await check(['--hub', HUB.name]);
        // The pinned address, not DNS's 10.1.2.4: getaddrinfo read the namespace's hosts file.
        expect(target).toMatchObject({ code: 'OK', addresses: [{ address: HUB_PINNED, private: true }] });
        const finding = body.edge?.findings?.find((f) => f.id === 'HOSTS_PINNED');
        expect(finding).toMatchObject({ severity: 'warning' });
        expect(finding!.text).toContain(`/etc/hosts pins ${HUB.name} → ${HUB_PINNED}`);
        // A warning finding fails the check even when every target is healthy.
        expect(exitCode).toBe(1);
      } finally {
        await topology.setEdgeHosts([]);
      }
    });

    it('resolver down (silent: its host drops DNS) → DNS_TIMEOUT from the probe timer, before getaddrinfo gives up', async () => {
      await nft(
        topology.ns.onprem,
        'table inet plp_dns_down {\n chain input {\n  type filter hook input priority 0; policy accept;\n  udp dport 53 drop\n  tcp dport 53 drop\n }\n}\n',
      );
      try {
        const { body, target } = await check(['--hub', HUB.name, '--timeout', '1500']);
        expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_TIMEOUT' });
        expect(target.reason).toBe(
          `the system resolver did not answer for ${HUB.name} within 1500 ms: check that the resolver is up and reachable from this network`,
        );
        expect(body.answers[0]).toMatchObject({ resolver: 'system', outcome: 'timeout' });
        // glibc alone would wait 2 × 5 s (resolv.conf defaults) and then say EAI_AGAIN.
        expect(body.durationMs).toBeLessThan(1500 + 1000);
      } finally {
        await nft(topology.ns.onprem, 'delete table inet plp_dns_down\n');
      }
    });

    // A getaddrinfo stuck on a silent resolver holds a libuv pool thread for glibc's whole retry cycle, and a
    // plain process exit joins that thread; src/exit.ts replaces the process instead (process.execve, Node >= 22.15).
    const canExitPromptly = typeof (process as unknown as { execve?: unknown }).execve === 'function';
    if (!canExitPromptly)
      console.warn(
        `SKIPPED on Node ${process.version}: prompt exit during a stuck getaddrinfo needs process.execve (Node >= 22.15); .ci/run runs these on Node 24`,
      );

    it.skipIf(!canExitPromptly)(
      'resolver down: check ends with its verdict, and the module ends within 5 s of SIGTERM, while getaddrinfo is still stuck',
      async () => {
        await nft(
          topology.ns.onprem,
          'table inet plp_dns_exit {\n chain input {\n  type filter hook input priority 0; policy accept;\n  udp dport 53 drop\n  tcp dport 53 drop\n }\n}\n',
        );
        const emulator = topology.start('edge', [process.execPath, EMULATOR_HOST], { env: nodeEnv(), ipc: true });
        try {
          const command = [process.execPath, CLI_ENTRY, 'check', '--json', '--hub', HUB.name, '--timeout', '1000'];
          const checked = await runInNamespace(topology.ns.edge, command, { ...nodeEnv(), NO_COLOR: '1' }, 30_000);
          expect((JSON.parse(checked.stdout) as TelemetryBody).targets[0]).toMatchObject({ code: 'DNS_TIMEOUT' });
          // glibc goes on asking for 2 × 5 s (resolv.conf defaults); the process does not wait for it.
          expect(checked.ms).toBeLessThan(5_000);

          const moduleEnv = await emulator.call<Record<string, string>>(
            'start',
            { hubHostname: HUB.name, initialDesired: { timeoutMs: 1000 } },
            20_000,
          );
          const mod = startModule(moduleEnv);
          await emulator.call('reported', { path: ['results', 'iothub'], timeoutMs: 30_000 }, 35_000);
          const signalled = performance.now();
          await mod.stop('SIGTERM');
          expect(performance.now() - signalled).toBeLessThan(5_000);
          expect(await mod.exited).toBe(0);
          expect(mod.lines.at(-1)).toContain('stopped');
        } finally {
          await emulator.stop();
          await nft(topology.ns.onprem, 'delete table inet plp_dns_exit\n');
        }
      },
    );

    it('resolver stopped (its port closed: getaddrinfo says EAI_AGAIN at once) → the resolver is named as down, not the zone', async () => {
      await nft(
        topology.ns.onprem,
        'table inet plp_dns_stopped {\n chain input {\n  type filter hook input priority 0; policy accept;\n  udp dport 53 reject\n  tcp dport 53 reject with tcp reset\n }\n}\n',
      );
      // Every query gets its port-unreachable, as from a stopped service: the kernel's ICMP rate limit (per
      // namespace) would otherwise turn some replies into silence, and getaddrinfo into a timeout.
      const sysctl = (value: string) =>
        run('ip', ['netns', 'exec', topology.ns.onprem, 'sysctl', '-q', '-w', `net.ipv4.icmp_ratelimit=${value}`]);
      const before = (
        await run('ip', ['netns', 'exec', topology.ns.onprem, 'sysctl', '-n', 'net.ipv4.icmp_ratelimit'])
      ).trim();
      await sysctl('0');
      try {
        const { target } = await check(['--hub', HUB.name, '--timeout', '1500']);
        expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_FAILED' });
        expect(target.reason).toBe(
          `could not ask the system resolver about ${HUB.name} (EAI_AGAIN, and no nameserver answers: ${ADDRESSES.onpremResolver}:53 ECONNREFUSED): check the resolver's address and that it is reachable from this network`,
        );
      } finally {
        await sysctl(before);
        await nft(topology.ns.onprem, 'delete table inet plp_dns_stopped\n');
      }
    });

    it('the module in the edge namespace reports the desired privatelink target at its 10.x endpoint in the twin', async () => {
      const emulator = topology.start('edge', [process.execPath, EMULATOR_HOST], { env: nodeEnv(), ipc: true });
      const moduleEnv = await emulator.call<Record<string, string>>(
        'start',
        { hubHostname: HUB.name, initialDesired: { targets: { blob: { host: BLOB.name } } } },
        20_000,
      );
      const mod = startModule({
        ...moduleEnv,
        CA_FILE: caFile,
        KNOWN_ROOTS: CA_NAME,
        UpstreamProtocol: 'Mqtt',
      });
      const reported = <T>(reportedPath: string[]) =>
        emulator.call<T>('reported', { path: reportedPath, timeoutMs: 30_000 }, 35_000).catch((error: Error) => {
          throw new Error(`${error.message}\nmodule output:\n${mod.lines.slice(-30).join('\n')}`);
        });
      await reported(['results', 'blob']);
      const results = await reported<Record<string, ReportedTarget>>(['results']);
      expect(results.blob).toMatchObject({
        status: 'healthy',
        code: 'OK',
        host: BLOB.name,
        kind: 'blob',
        dns: { private: true },
      });
      expect(results.blob!.dns.addresses).toContain(BLOB.address);
      expect(results.blob!.ports['443']).toMatchObject({ ok: true, code: 'OK' });
      // The hub it is connected through (IOTEDGE_IOTHUBHOSTNAME), probed on the upstream protocol's port.
      expect(results.iothub).toMatchObject({ code: 'OK', host: HUB.name, dns: { private: true } });
      expect(results.iothub!.dns.addresses).toContain(HUB.address);
      await mod.stop('SIGTERM');
      expect(await mod.exited).toBe(0);
      await emulator.stop();
    });

    it('leaves nothing behind: its namespaces, their processes and /etc/netns files are gone', async () => {
      const names = Object.values(topology.ns);
      const pids = (await Promise.all(names.map(pidsIn))).flat();
      expect(pids.length).toBeGreaterThan(0);
      await topology.dispose();
      const left = await namespaceNames();
      expect(names.filter((n) => left.includes(n))).toEqual([]);
      expect(names.filter((n) => existsSync(path.join('/etc/netns', n)))).toEqual([]);
      expect(pids.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    });
  },
);
