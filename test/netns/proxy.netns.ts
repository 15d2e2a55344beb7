// A proxied factory network, for real: the edge's direct 443 to the virtual network is dropped (nftables in
// the edge namespace), so the runtime's WebSocket upstream reaches the hub only through the factory's HTTP
// proxy, a tinyproxy in the on-prem namespace. The proxy resolves the hub's name itself, through a resolver
// of its own (its namespace's /etc/resolv.conf names a second dnsmasq), so its DNS, not the device's, decides
// whether the private endpoint is used. 8883 and 5671 never go through a proxy: they stay direct and open.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportedTarget } from '../../src/report/reported.js';
import type { TelemetryBody } from '../../src/report/telemetry.js';
import type { ZoneRecord } from '../support/dns-server.js';
import { CLI_ENTRY } from '../support/module-process.js';
import { nodeEnv, setUpTier, skipped } from './tier.js';
import { EMULATOR_HOST, ENDPOINT_HOST } from './fixture-scripts.js';
import type { EndpointPlan } from './fixtures/endpoint-host.js';
import { runInNamespace, type CommandResult, type NamespaceProcess } from './namespace-process.js';
import { startOnpremResolver } from './onprem-resolver.js';
import { ip, nft } from './shell.js';
import { ADDRESSES, type Topology } from './topology.js';

const CA_NAME = 'privatelink-probe netns proxy CA';
const HUB = {
  name: 'plp-hub.privatelink.azure-devices.net',
  public: 'plp-hub.azure-devices.net',
  address: '10.1.2.4',
};
const HUB_RECORDS = (address: string): ZoneRecord[] => [
  { name: HUB.public, type: 'CNAME', data: HUB.name },
  { name: HUB.name, type: 'A', data: address },
];

/** The proxy's address on the factory LAN, beside the on-prem resolver. */
const PROXY = '10.0.0.8';
/** A tinyproxy that lets anyone CONNECT to 443. */
const OPEN_PROXY = `http://${PROXY}:3128`;
/** A tinyproxy that wants Basic credentials (BasicAuth, tinyproxy ≥ 1.10). */
const AUTH_PROXY = `http://${PROXY}:3129`;
/** Nothing listens here. */
const DOWN_PROXY = `http://${PROXY}:3130`;
const USER = 'plp';
const PASSWORD = 'secretpass';
const WITH_CREDENTIALS = `http://${USER}:${PASSWORD}@${PROXY}:3129`;
/** What goes in Proxy-Authorization: as secret as the password. */
const BASIC = Buffer.from(`${USER}:${PASSWORD}`, 'utf8').toString('base64');
/** The proxy's own resolver: a dnsmasq on the on-prem namespace's loopback. */
const PROXY_RESOLVER = '127.0.0.1';
const TIMEOUT_MS = 1000;

/** What tinyproxy logs for each request (LogLevel Connect and above): `Request (file descriptor 7): CONNECT host:port HTTP/1.1`. */
function connectsSince(proxy: NamespaceProcess, from: number): string[] {
  return proxy.lines
    .slice(from)
    .map((line) => /Request \(file descriptor \d+\): CONNECT (\S+) /.exec(line)?.[1])
    .filter((target): target is string => target !== undefined);
}

/** Every place a secret could surface: neither the password nor its Basic form may be in `text`. */
function expectNoSecret(text: string, where: string): void {
  expect(text, where).not.toContain(PASSWORD);
  expect(text, where).not.toContain(BASIC);
}

describe.skipIf(skipped)('behind a factory HTTP proxy (tinyproxy with its own resolver, direct 443 dropped)', () => {
  let topology: Topology;
  let dir: string;
  let caFile: string;
  let proxyResolver: NamespaceProcess;
  let openProxy: NamespaceProcess;
  let authProxy: NamespaceProcess;

  /** The proxy's resolver: with the conditional forwarder to Azure DNS, or without (everything to public DNS). */
  async function startProxyResolver(forwardsPrivateZone: boolean): Promise<NamespaceProcess> {
    return startOnpremResolver(topology, {
      listen: PROXY_RESOLVER,
      forwards: forwardsPrivateZone ? { 'azure-devices.net': ADDRESSES.azureDns } : {},
      upstream: ADDRESSES.internetDns,
    });
  }

  async function startTinyproxy(url: string, auth?: { user: string; password: string }): Promise<NamespaceProcess> {
    const { hostname, port } = new URL(url);
    const config = path.join(dir, `tinyproxy-${port}.conf`);
    // tinyproxy.conf(5): no LogFile and no Syslog in the foreground (-d) logs to standard output, unbuffered.
    // ConnectPort 443 as factory proxies (and tinyproxy's own sample configuration) allow CONNECT.
    const lines = [
      `Port ${port}`,
      `Listen ${hostname}`,
      'Timeout 30',
      'MaxClients 20',
      'LogLevel Info',
      'ConnectPort 443',
      ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
    ];
    await writeFile(config, `${lines.join('\n')}\n`);
    const proc = topology.start('onprem', ['tinyproxy', '-d', '-c', config], { env: nodeEnv() });
    await proc.waitForLine(/Starting main loop/, 10_000);
    return proc;
  }

  beforeAll(async () => {
    const tier = await setUpTier(CA_NAME, 'plp-netns-proxy-');
    ({ topology, dir, caFile } = tier);
    const ca = tier.ca;
    await topology.addAzureAddress(HUB.address);
    await ip('-n', topology.ns.onprem, 'addr', 'add', `${PROXY}/24`, 'dev', 'lan0');
    // The public endpoint, where a proxy whose DNS misses the private zone goes. A Private Link deployment
    // turns public access off; here nothing listens there, so the proxy's connect is refused at once.
    await ip('-n', topology.ns.internet, 'addr', 'add', `${ADDRESSES.publicEndpoint}/32`, 'dev', 'lo');

    const azurePlan: EndpointPlan = {
      dns: { address: ADDRESSES.azureDns, records: HUB_RECORDS(HUB.address) },
      endpoints: [
        {
          addresses: [HUB.address],
          ports: [8883, 5671, 443],
          cert: await ca.issue({ dnsNames: [HUB.name, HUB.public] }),
        },
      ],
    };
    const internetPlan: EndpointPlan = {
      dns: { address: ADDRESSES.internetDns, records: HUB_RECORDS(ADDRESSES.publicEndpoint) },
    };
    const host = (role: 'azure' | 'internet', plan: EndpointPlan) =>
      topology
        .start(role, [process.execPath, ENDPOINT_HOST], { env: nodeEnv(), ipc: true })
        .call('start', plan, 20_000);
    await Promise.all([host('azure', azurePlan), host('internet', internetPlan)]);
    // The device's resolver is right: it forwards the zone to Azure DNS, as the edge-network scenarios have it.
    await startOnpremResolver(topology, {
      listen: ADDRESSES.onpremResolver,
      forwards: { 'azure-devices.net': ADDRESSES.azureDns },
      upstream: ADDRESSES.internetDns,
    });
    // Before any proxy starts: tinyproxy resolves with getaddrinfo, through its namespace's resolv.conf.
    await topology.setResolver('onprem', PROXY_RESOLVER);
    proxyResolver = await startProxyResolver(true);
    [openProxy, authProxy] = await Promise.all([
      startTinyproxy(OPEN_PROXY),
      startTinyproxy(AUTH_PROXY, { user: USER, password: PASSWORD }),
    ]);
    // A proxied factory network: the edge may not open 443 to the virtual network itself.
    await nft(
      topology.ns.edge,
      `table inet plp_proxied {\n chain output {\n  type filter hook output priority 0; policy accept;\n  ip daddr ${ADDRESSES.azureNetwork} tcp dport 443 drop\n }\n}\n`,
    );
  });

  afterAll(async () => {
    await topology?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `check` in the edge namespace against the hub's three ports: `--json` unless `table`. */
  function runCheck(args: string[], env: Record<string, string> = {}, table = false): Promise<CommandResult> {
    const options = [...(table ? [] : ['--json']), '--ca-file', caFile, '--known-root', CA_NAME];
    const command = [process.execPath, CLI_ENTRY, 'check', ...options, '--timeout', String(TIMEOUT_MS)];
    return runInNamespace(
      topology.ns.edge,
      [...command, '--hub', HUB.name, ...args],
      { ...nodeEnv(), NO_COLOR: '1', ...env },
      30_000,
    );
  }

  async function check(args: string[], env: Record<string, string> = {}) {
    const result = await runCheck(args, env);
    if (!result.stdout.trimStart().startsWith('{'))
      throw new Error(`check exited ${result.code} without JSON:\n${result.stderr}`);
    const body = JSON.parse(result.stdout) as TelemetryBody;
    const [mqtt, amqp, https] = body.ports;
    // 8883 and 5671 go direct whatever the proxy settings: open, and nothing of a proxy on them.
    expect([mqtt, amqp].map((p) => [p?.port, p?.code, p && 'proxy' in p])).toEqual([
      [8883, 'OK', false],
      [5671, 'OK', false],
    ]);
    return { result, body, target: body.targets[0]!, https: https! };
  }

  it('healthy through the proxy: 443 OK by the CONNECT path while the direct path times out; 8883 and 5671 direct', async () => {
    const from = openProxy.lines.length;
    const { result, target, https } = await check(['--proxy', OPEN_PROXY]);
    expect(https).toMatchObject({ port: 443, code: 'OK', ok: true });
    expect(https.reason).toMatch(
      new RegExp(`^through the proxy ${OPEN_PROXY}: port 443: TLS .*verified for ${HUB.name}`),
    );
    // The direct path, measured beside it, is the one the firewall drops.
    expect(https.tcp).toEqual([expect.objectContaining({ address: HUB.address, outcome: 'timeout' })]);
    expect(connectsSince(openProxy, from)).toEqual([`${HUB.name}:443`]);
    expect(target).toMatchObject({ status: 'healthy', code: 'OK' });
    expect(result.code).toBe(0);
  });

  it("the proxy's DNS without the private zone: the device resolves the endpoint, the proxy does not → PROXY_UPSTREAM_FAILED", async () => {
    await proxyResolver.stop();
    proxyResolver = await startProxyResolver(false);
    try {
      const { target, https } = await check(['--proxy', OPEN_PROXY]);
      // The device's own answer is the private endpoint: its DNS is right.
      expect(target).toMatchObject({ dns: { resolver: 'system', private: true } });
      expect(target.addresses).toEqual([expect.objectContaining({ address: HUB.address, private: true })]);
      expect(https).toMatchObject({ port: 443, code: 'PROXY_UPSTREAM_FAILED', ok: false });
      expect(https.reason).toBe(
        `the proxy ${OPEN_PROXY} could not reach ${HUB.name}:443 (HTTP/1.1 500 Unable to connect): the proxy resolves the name ` +
          "itself and its DNS does not see the private zone privatelink.azure-devices.net: make the proxy's resolver forward " +
          `azure-devices.net to the Azure DNS Private Resolver, or exempt ${HUB.name} with NO_PROXY`,
      );
      expect(target.code).toBe('PROXY_UPSTREAM_FAILED');
      // What the proxy was told: the public address (dnsmasq --log-queries).
      expect(proxyResolver.lines.some((l) => l.includes(`${HUB.name} is ${ADDRESSES.publicEndpoint}`))).toBe(true);
    } finally {
      await proxyResolver.stop();
      proxyResolver = await startProxyResolver(true);
    }
  });

  it('a proxy that wants credentials → PROXY_AUTH_REQUIRED; with them in the URL → OK, and the password shown nowhere', async () => {
    const from = authProxy.lines.length;
    const { https: refused } = await check(['--proxy', AUTH_PROXY]);
    expect(refused).toMatchObject({ port: 443, code: 'PROXY_AUTH_REQUIRED', ok: false });
    expect(refused.reason).toBe(
      `the proxy ${AUTH_PROXY} asks for credentials (HTTP/1.0 407 Proxy Authentication Required (the proxy asks for Basic)) ` +
        `to CONNECT to ${HUB.name}:443: give them in https_proxy as http://user:password@host:port for the runtime and this module, or check the ones given`,
    );

    const { result, https } = await check(['--proxy', WITH_CREDENTIALS]);
    expect(https).toMatchObject({ port: 443, code: 'OK' });
    expect(https.reason).toContain(`through the proxy ${AUTH_PROXY}: `);
    expectNoSecret(result.stdout, 'check --json stdout');
    expectNoSecret(result.stderr, 'check --json stderr');
    // The table, with the proxy from the environment (where the edge audit reads it too).
    const table = await runCheck([], { https_proxy: WITH_CREDENTIALS }, true);
    expect(table.stdout).toContain(HUB.name);
    expectNoSecret(table.stdout, 'check stdout');
    expectNoSecret(table.stderr, 'check stderr');
    expect(connectsSince(authProxy, from)).toEqual([`${HUB.name}:443`, `${HUB.name}:443`, `${HUB.name}:443`]);
  });

  it('the module behind the authenticating proxy: 443 OK in the twin; no output of it holds the password', async () => {
    const from = authProxy.lines.length;
    const emulator = topology.start('edge', [process.execPath, EMULATOR_HOST], { env: nodeEnv(), ipc: true });
    try {
      const moduleEnv = await emulator.call<Record<string, string>>(
        'start',
        { hubHostname: HUB.name, initialDesired: { timeoutMs: TIMEOUT_MS } },
        20_000,
      );
      const metrics = 'http://127.0.0.1:9600';
      const mod = topology.start('edge', [process.execPath, CLI_ENTRY, 'run'], {
        env: {
          ...nodeEnv(),
          ...moduleEnv,
          LOG_FORMAT: 'json',
          METRICS_PORT: '9600',
          METRICS_HOST: '127.0.0.1',
          CONFIG_TOML_PATH: path.join(dir, 'no-config.toml'),
          CA_FILE: caFile,
          KNOWN_ROOTS: CA_NAME,
          // WebSockets upstream: the hub is probed on 443, the port the proxy carries.
          UpstreamProtocol: 'AmqpWs',
          https_proxy: WITH_CREDENTIALS,
        },
      });
      const call = <T>(op: string, args: unknown) =>
        emulator.call<T>(op, args, 35_000).catch((error: Error) => {
          throw new Error(`${error.message}\nmodule output:\n${mod.lines.slice(-30).join('\n')}`);
        });
      const iothub = await call<ReportedTarget>('reported', { path: ['results', 'iothub'], timeoutMs: 30_000 });
      expect(iothub).toMatchObject({ host: HUB.name, code: 'OK' });
      expect(Object.keys(iothub.ports)).toEqual(['443']);
      // The twin's port has the CONNECT's time; the proxy's log, the CONNECT itself (the direct 443 is dropped).
      expect(iothub.ports['443']).toMatchObject({ ok: true, code: 'OK', proxyMs: expect.any(Number) });
      expect(connectsSince(authProxy, from)).toContain(`${HUB.name}:443`);

      const messages = await call<unknown[]>('messages', { count: 1, timeoutMs: 30_000 });
      const reported = await call<unknown>('reported', { path: [], timeoutMs: 1_000 });
      const pages = await Promise.all(
        ['/status', '/', '/metrics'].map((p) => call<{ status: number; text: string }>('get', `${metrics}${p}`)),
      );
      await mod.stop('SIGTERM');
      expect(await mod.exited).toBe(0);

      // The proxy, as the audit shows it: its address, never its user information.
      expect(JSON.stringify(reported)).toContain(AUTH_PROXY);
      expectNoSecret(JSON.stringify(reported), 'reported properties');
      expectNoSecret(JSON.stringify(messages), 'telemetry');
      expectNoSecret(mod.lines.join('\n'), 'module log');
      for (const [i, where] of ['/status', '/', '/metrics'].entries()) {
        expect(pages[i]!.status, where).toBe(200);
        expectNoSecret(pages[i]!.text, where);
      }
      expect(pages[0]!.text).toContain(HUB.name);
    } finally {
      await emulator.stop();
    }
  });

  it('the proxy down (nothing listens on its port) → PROXY_UNREACHABLE', async () => {
    const { https } = await check(['--proxy', DOWN_PROXY]);
    expect(https).toMatchObject({ port: 443, code: 'PROXY_UNREACHABLE', ok: false });
    expect(https.reason).toBe(
      `the proxy ${DOWN_PROXY} cannot be reached (ECONNREFUSED): the runtime's traffic on 443 goes ` +
        'through it; check https_proxy and that the proxy is up and reachable from this network',
    );
  });

  it('NO_PROXY exempts the privatelink names: 443 goes direct, and its verdict is the direct path’s (dropped → TCP_TIMEOUT)', async () => {
    const from = openProxy.lines.length;
    const { https } = await check([], { https_proxy: OPEN_PROXY, no_proxy: '.privatelink.azure-devices.net' });
    expect(https).toMatchObject({ port: 443, code: 'TCP_TIMEOUT', ok: false });
    expect(https.reason).toBe(
      `${HUB.address}:443 (${HUB.name}) did not answer within the timeout: a firewall or NSG drops port 443 on the way to the private endpoint`,
    );
    expect(connectsSince(openProxy, from)).toEqual([]);
  });
});
