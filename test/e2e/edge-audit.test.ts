// Issue 5 end to end: the real module (the bundle, in a child process, against the loopback edgeHub
// emulator) reads the runtime's config.toml from CONFIG_TOML_PATH and reports the audit where an operator
// looks — the twin's `edge` and `status.upstream`, the automatic targets in `results`, the telemetry
// body's `edge.findings` — while the secret every fixture carries (CANARY-SECRET-6f1c, in each secret
// slot) shows up nowhere: logs, reported properties, messages, /status, /, /metrics, getStatus.
//
// The module also reads the machine's /etc/resolv.conf and /etc/hosts (no override exists for `run`), so
// the resolver-context findings depend on where the test runs and are left out of the comparisons.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeModuleEnv, LOG_FORMAT_UNSET, moduleCleanup } from '../support/edge-module-env.js';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { freePort } from '../support/free-port.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { startModuleProcess, type ModuleProcess } from '../support/module-process.js';

const CANARY = 'CANARY-SECRET-6f1c';
const FIXTURES = path.resolve('test/edge/fixtures');
const MACHINE_DEPENDENT = new Set(['NO_RESOLVER', 'DOCKER_EMBEDDED_DNS', 'HOSTS_PINNED']);

// The names the fixtures use, served by this file's landscape on 127.0.0.55-57 (see landscape.ts).
// The public hub name is what the manual-public runtime gives modules, and what DPS assigns.
const PUBLIC_HUB = 'myhub.azure-devices.net';
const DPS_GLOBAL = 'global.privatelink.azure-devices-provisioning.net';
const PRIVATE_HUB = 'audit-hub.privatelink.azure-devices.net';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let land: Landscape;
let landscapeEnv: Record<string, string>;
const track = moduleCleanup();

beforeAll(async () => {
  land = await startLandscape();
  await land.add({ name: 'iothub', host: PUBLIC_HUB, address: '127.0.0.55', fixedPorts: [8883] });
  // DPS is probed on 443, which only root may listen on: the name resolves, nothing listens there.
  await land.add({ name: 'dps', host: DPS_GLOBAL, address: '127.0.0.56', ports: 0 });
  await land.add({ name: 'iothub', host: PRIVATE_HUB, address: '127.0.0.57', fixedPorts: [8883] });
  landscapeEnv = await land.moduleEnv();
});
afterAll(() => land.close());

interface Started {
  emu: Emulator;
  mod: ModuleProcess;
  reported: Json;
  /** The first probeResults message's body. */
  body: Json;
  get(path: string): Promise<string>;
}

/** The module with `fixture` as its config.toml, logging everything in the IoT Edge format, after its first run. */
async function startWithConfig(fixture: string, hub: string): Promise<Started> {
  const file = path.join(FIXTURES, fixture);
  // The check below is only worth something while the fixture holds the secret.
  expect(await readFile(file, 'utf8')).toContain(CANARY);
  const port = await freePort();
  const emu = await startEmulator({ hubHostname: hub });
  const env = {
    ...LOG_FORMAT_UNSET,
    LOG_LEVEL: 'trace',
    CONFIG_TOML_PATH: file,
    METRICS_PORT: String(port),
    METRICS_HOST: '127.0.0.1',
  };
  const mod = startModuleProcess(edgeModuleEnv(emu, landscapeEnv, env));
  track(emu, mod);
  const reported = emu.twin.reported as Json;
  await emu.waitFor(() => reported.status, 20_000, 'the first run reported');
  const body = await emu.waitFor(() => emu.messages.find((m) => m.output === 'probeResults')?.body as Json | undefined);
  const get = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    expect(res.status, p).toBe(200);
    return res.text();
  };
  return { emu, mod, reported, body, get };
}

const auditedIds = (ids: string[]) => ids.filter((id) => !MACHINE_DEPENDENT.has(id));

/** Every place the module writes to: none may hold the secret, or any part of its marker. */
async function expectNoSecret({ emu, mod, get }: Started): Promise<void> {
  const getStatus = await emu.invokeMethod('getStatus', {});
  expect(getStatus.status).toBe(200);
  const surfaces: Record<string, string> = {
    getStatus: JSON.stringify(getStatus.payload),
    '/status': await get('/status'),
    '/': await get('/'),
    '/metrics': await get('/metrics'),
    'reported properties': JSON.stringify(emu.twin.reported),
    'reported patches': JSON.stringify(emu.reportedPatches),
    messages: JSON.stringify(emu.messages),
  };
  // Last, so it holds what serving the requests above logged; at trace level, so it holds everything.
  await mod.waitForLine(/\[DBG\] - http request .*route=\/metrics/, 5_000);
  surfaces['log lines'] = mod.lines.join('\n');
  expect(surfaces['log lines']).toMatch(/\[INF\] - probe run /);
  for (const [where, text] of Object.entries(surfaces)) expect(text, where).not.toMatch(/CANARY|SECRET-6f1c/i);
}

describe.sequential('the module audits the runtime config.toml it is given', () => {
  it('manual provisioning with the public hub name: HUB_PUBLIC_NAME in twin and telemetry, upstream public against the policy, no secret anywhere', async () => {
    const started = await startWithConfig('manual-public.toml', PUBLIC_HUB);
    const { emu, reported, body } = started;

    expect(reported.edge).toMatchObject({ configToml: 'found', provisioning: 'manual (sas)' });
    expect(auditedIds(Object.keys(reported.edge.findings))).toEqual(['HUB_PUBLIC_NAME']);
    expect(reported.edge.findings.HUB_PUBLIC_NAME).toContain('iothub_hostname = "myhub.privatelink.azure-devices.net"');
    expect(reported.status.upstream).toEqual({
      hostname: PUBLIC_HUB,
      form: 'public',
      policyOk: false,
      gateway: emu.moduleEnv().IOTEDGE_GATEWAYHOSTNAME,
    });

    // The automatic hub target on the upstream protocol's port: reachable and verified, degraded by the name.
    expect(Object.keys(reported.results)).toEqual(['iothub']);
    expect(reported.results.iothub).toMatchObject({
      status: 'degraded',
      code: 'HOSTNAME_POLICY',
      host: PUBLIC_HUB,
      kind: 'iothub',
    });
    expect(reported.results.iothub.ports['8883']).toMatchObject({ ok: true, code: 'OK' });

    expect(body.edge).toMatchObject({
      configToml: 'found',
      provisioning: 'manual (sas)',
      upstream: { hostname: PUBLIC_HUB, form: 'public', policyOk: false },
    });
    // Telemetry carries the whole text, naming the fix; the twin a summary of it (200 bytes at most).
    const finding = body.edge.findings.find((f: Json) => f.id === 'HUB_PUBLIC_NAME');
    expect(finding).toMatchObject({ id: 'HUB_PUBLIC_NAME', severity: 'warning' });
    expect(finding.text).toContain(
      'iothub_hostname = "myhub.privatelink.azure-devices.net" in config.toml as the Private Link guidance prescribes and run "sudo iotedge config apply"',
    );
    expect(finding.text.startsWith(reported.edge.findings.HUB_PUBLIC_NAME.replace(/…$/, ''))).toBe(true);
    expect(body.targets.map((t: Json) => t.name)).toEqual(['iothub']);

    await expectNoSecret(started);
  });

  it('DPS through global.privatelink: provisioning dps, DPS_INSTANCE_NAME, the public hub DPS assigned, a dps target probed on 443, no secret anywhere', async () => {
    const started = await startWithConfig('dps-privatelink.toml', PUBLIC_HUB);
    const { emu, reported, body } = started;

    expect(reported.edge).toMatchObject({ configToml: 'found', provisioning: 'dps (symmetric_key)' });
    expect(auditedIds(Object.keys(reported.edge.findings)).sort()).toEqual(['DPS_INSTANCE_NAME', 'HUB_PUBLIC_NAME']);
    expect(reported.edge.findings.HUB_PUBLIC_NAME).toContain('the public name DPS assigns');
    expect(reported.edge.findings.DPS_INSTANCE_NAME).toContain('instance name');
    expect(reported.status.upstream).toEqual({
      hostname: PUBLIC_HUB,
      form: 'public',
      policyOk: false,
      gateway: emu.moduleEnv().IOTEDGE_GATEWAYHOSTNAME,
    });

    // The automatic targets: the hub from the environment and DPS from global_endpoint.
    expect(Object.keys(reported.results)).toEqual(['iothub', 'dps']);
    const dps = reported.results.dps;
    expect(dps).toMatchObject({ host: DPS_GLOBAL, kind: 'dps' });
    // Resolved through the landscape to its private address, then connected to on 443 (where nothing listens
    // without root): the verdict is past DNS, which proves the target was probed.
    expect(dps.dns).toMatchObject({ addresses: '127.0.0.56', private: true });
    expect(Object.keys(dps.ports)).toEqual(['443']);
    expect(dps.code).not.toMatch(/^DNS_/);

    expect(
      body.edge.findings
        .map((f: Json) => `${f.id}:${f.severity}`)
        .filter((s: string) => !MACHINE_DEPENDENT.has(s.split(':')[0]!))
        .sort(),
    ).toEqual(['DPS_INSTANCE_NAME:info', 'HUB_PUBLIC_NAME:warning']);
    expect(body.targets.find((t: Json) => t.name === 'dps')).toMatchObject({
      host: DPS_GLOBAL,
      kind: 'dps',
      addresses: [expect.objectContaining({ address: '127.0.0.56' })],
    });

    await expectNoSecret(started);
  });

  it('malformed config.toml with the secret on the broken line: unreadable, CONFIG_TOML_INVALID by position, no secret anywhere, and the module keeps running', async () => {
    const started = await startWithConfig('malformed.toml', PRIVATE_HUB);
    const { emu, mod, reported, body } = started;

    expect(reported.edge).toMatchObject({ configToml: 'unreadable', provisioning: 'unknown' });
    expect(auditedIds(Object.keys(reported.edge.findings))).toEqual(['CONFIG_TOML_INVALID']);
    expect(reported.edge.findings.CONFIG_TOML_INVALID).toMatch(/line 9/);
    expect(body.edge.findings.find((f: Json) => f.id === 'CONFIG_TOML_INVALID')).toMatchObject({ severity: 'warning' });
    // Nothing from the file is used: the hub comes from the environment and is probed as usual.
    expect(reported.status.upstream).toMatchObject({ hostname: PRIVATE_HUB, form: 'privatelink', policyOk: true });
    expect(reported.results.iothub).toMatchObject({ status: 'healthy', code: 'OK' });

    const again = await emu.invokeMethod('runNow', {});
    expect(again).toMatchObject({ status: 200, payload: { overall: 'healthy' } });
    expect(mod.child.exitCode).toBeNull();
    await expectNoSecret(started);
  });

  it('a FIFO mounted as config.toml: reported unreadable at once, runs go on, SIGTERM ends the module promptly', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'plp-fifo-'));
    const fifo = path.join(dir, 'config.toml');
    execFileSync('mkfifo', [fifo]);
    try {
      const emu = await startEmulator({ hubHostname: PRIVATE_HUB });
      const mod = startModuleProcess(edgeModuleEnv(emu, landscapeEnv, { CONFIG_TOML_PATH: fifo }));
      track(emu, mod);
      const reported = emu.twin.reported as Json;
      await emu.waitFor(() => reported.edge, 20_000, 'the first run reported');
      expect(reported.edge.configToml).toBe('unreadable');
      expect(reported.edge.findings.CONFIG_TOML_UNREADABLE).toContain('FIFO');
      expect(reported.results.iothub).toMatchObject({ status: 'healthy', code: 'OK' });
      const { code, ms } = await mod.stop('SIGTERM');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
