// The module end to end: the built CLI's `run` in a child process, the real azure-iot-device ModuleClient
// over MQTT/TLS to the loopback edgeHub emulator, probing loopback "private endpoints" through a loopback
// DNS server. Each test asserts what an operator sees: the twin, the messages, method answers, exit codes.
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_ID } from '../../src/model/ids.js';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { edgeModuleEnv, moduleCleanup } from '../support/edge-module-env.js';
import { startModuleProcess } from '../support/module-process.js';
import { RESULT_BODY_KEYS } from '../report/factory.js';

// Addresses 127.0.0.41-49 belong to this file (see landscape.ts).
const HUB = 'e2e-hub.privatelink.azure-devices.net';
let land: Landscape;
let landscapeEnv: Record<string, string>;
const track = moduleCleanup();

beforeAll(async () => {
  land = await startLandscape();
  await land.add({ name: 'iothub', host: HUB, address: '127.0.0.41', fixedPorts: [8883] });
  await land.add({
    name: 'blob',
    host: 'e2estore.privatelink.blob.core.windows.net',
    address: '127.0.0.42',
    dnsAnswer: '203.0.113.10',
  });
  await land.add({
    name: 'mute',
    host: 'e2e-mute.privatelink.azure-devices.net',
    address: '127.0.0.43',
    fixedPorts: [8883],
    silent: true,
  });
  landscapeEnv = await land.moduleEnv();
});
afterAll(() => land.close());

function moduleEnv(emu: Emulator, over: Record<string, string> = {}) {
  return edgeModuleEnv(emu, landscapeEnv, over);
}

async function start(options: Parameters<typeof startEmulator>[0] = {}, env: Record<string, string> = {}) {
  const emu = await startEmulator({ hubHostname: HUB, ...options });
  const mod = startModuleProcess(moduleEnv(emu, env));
  track(emu, mod);
  return { emu, mod };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const reported = (emu: Emulator) => emu.twin.reported as Json;
const results = (emu: Emulator) => emu.messages.filter((m) => m.output === 'probeResults');

describe.sequential('the module against the edgeHub emulator', () => {
  it('probes the hub named by IOTEDGE_IOTHUBHOSTNAME with an empty twin and reports it', async () => {
    const { emu } = await start();
    const status = await emu.waitFor(() => reported(emu).status, 20_000, 'reported status');
    expect(status).toMatchObject({
      overall: 'healthy',
      runCount: 1,
      upstream: { hostname: HUB, form: 'privatelink', policyOk: true },
    });
    expect(reported(emu).results.iothub).toMatchObject({ status: 'healthy', code: 'OK', host: HUB, kind: 'iothub' });
    expect(reported(emu).results.iothub.ports['8883']).toMatchObject({ ok: true, code: 'OK' });
    const [message] = await emu.waitFor(() => (results(emu).length > 0 ? results(emu) : undefined));
    expect(message).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      properties: { schema: 'privatelink-probe/result@2', overall: 'healthy' },
    });
    // Telemetry of the model's messages component, named the Plug and Play way: IoT Hub stamps it as dt-subject.
    expect(message!.systemProperties['$.sub']).toBe('messages');
    expect(Object.keys(message!.body as Json)).toEqual(RESULT_BODY_KEYS);
    expect((message!.body as Json).targets[0]).toMatchObject({ name: 'iothub', host: HUB, status: 'healthy' });
    expect(emu.modelIds).toContain(MODEL_ID);
  });

  it('applies, acknowledges and reports desired targets, and removes one patched to null', async () => {
    const { emu } = await start();
    await emu.waitFor(() => reported(emu).status);
    emu.patchDesired({ targets: { blob: { host: 'e2estore.privatelink.blob.core.windows.net' } } });
    const ack = await emu.waitFor(() => reported(emu).targets);
    expect(ack).toMatchObject({ ac: 200, av: emu.twin.desiredVersion, ad: 'applied' });
    const blob = await emu.waitFor(() => reported(emu).results?.blob);
    expect(blob).toMatchObject({ status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' });
    expect(blob.reason).toContain('203.0.113.10');
    const alert = await emu.waitFor(() =>
      emu.messages.find((m) => m.output === 'alerts' && (m.body as Json).target === 'blob'),
    );
    expect(alert.body).toMatchObject({ from: 'unknown', to: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' });

    emu.patchDesired({ targets: { blob: null } });
    await emu.waitFor(() => reported(emu).results && !('blob' in reported(emu).results));
    expect(reported(emu).targets).toMatchObject({ ac: 200, av: emu.twin.desiredVersion });
  });

  it.each([
    ['a wrong type', { intervalSeconds: 'often' }, 'intervalSeconds'],
    [
      '33 targets',
      { targets: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`t${i}`, { host: `h${i}.example.com` }])) },
      '32',
    ],
    ['a bad hostname', { targets: { bad: { host: 'not a host' } } }, 'host'],
    ['port 70000', { targets: { p: { host: 'p.example.com', ports: '70000' } } }, '70000'],
    ['an unknown key', { frequency: 5 }, 'frequency'],
    ['a 10 KB string', { hostnamePolicy: 'x'.repeat(10_240) }, 'hostnamePolicy'],
  ])(
    'rejects %s with ac 400 and a reason while the last good configuration keeps running',
    async (_what, patch, fault) => {
      const { emu, mod } = await start({ initialDesired: { intervalSeconds: 600 } });
      await emu.waitFor(() => reported(emu).status);
      emu.patchDesired(patch);
      const version = emu.twin.desiredVersion;
      const ack = await emu.waitFor(() => {
        const entry = Object.values(reported(emu)).find((v) => (v as Json)?.av === version && (v as Json)?.ac === 400);
        return entry as Json | undefined;
      });
      expect(ack.ad).toContain(fault);
      expect(reported(emu).intervalSeconds).toMatchObject({ ac: 400, av: version, value: 600 });
      // Still alive and still probing with the last good configuration.
      const run = await emu.invokeMethod('runNow', {});
      expect(run.status).toBe(200);
      expect((run.payload as Json).targets.map((t: Json) => t.name)).toEqual(['iothub']);
      expect(mod.child.exitCode).toBeNull();
    },
  );

  it('answers runNow, getStatus and probe, with 400 for bad probe payloads', async () => {
    const { emu } = await start();
    await emu.waitFor(() => reported(emu).status);
    const status = await emu.invokeMethod('getStatus', {});
    expect(status.status).toBe(200);
    expect(status.payload).toMatchObject({ overall: 'healthy', upstream: { state: 'connected' } });
    const run = await emu.invokeMethod('runNow', {});
    expect(run).toMatchObject({ status: 200, payload: { schema: 'privatelink-probe/result@2', overall: 'healthy' } });
    const probe = await emu.invokeMethod('probe', { host: 'e2estore.privatelink.blob.core.windows.net', ports: '443' });
    expect(probe.status).toBe(200);
    expect((probe.payload as Json).targets[0]).toMatchObject({
      host: 'e2estore.privatelink.blob.core.windows.net',
      code: 'DNS_PUBLIC_ADDRESS',
    });
    for (const payload of [
      {},
      { host: 'bad host' },
      { host: HUB, ports: 'x' },
      { host: HUB, ports: [70000] },
      { host: HUB, dnsServers: 'nope' },
      'string',
      { host: HUB, extra: 1 },
    ]) {
      const r = await emu.invokeMethod('probe', payload);
      expect(r.status, JSON.stringify(payload)).toBe(400);
      expect((r.payload as Json).message).toBeTruthy();
    }
  });

  it('does not rewrite reported properties when nothing changed across runs', async () => {
    const { emu } = await start();
    await emu.waitFor(() => reported(emu).status);
    const before = emu.reportedPatches.length;
    for (let i = 0; i < 3; i++) expect((await emu.invokeMethod('runNow', {})).status).toBe(200);
    await emu.waitFor(() => results(emu).length >= 4);
    expect(emu.reportedPatches.length).toBe(before);
  });

  it('reconnects after a connection dropped mid-run, losing and duplicating no message', async () => {
    const { emu, mod } = await start();
    await emu.waitFor(() => results(emu).length >= 1);
    // A target whose TLS never answers keeps the next run busy for about timeoutMs: drop edgeHub meanwhile.
    emu.patchDesired({
      timeoutMs: 1500,
      targets: { mute: { host: 'e2e-mute.privatelink.azure-devices.net', ports: '8883' } },
    });
    await mod.waitForLine(/desired properties applied/);
    emu.dropConnections();
    await emu.waitFor(
      () => results(emu).some((m) => (m.body as Json).targets.some((t: Json) => t.name === 'mute')),
      20_000,
      'the mid-run result',
    );
    const second = await emu.invokeMethod('runNow', {}, 20_000);
    expect(second.status).toBe(200);
    await emu.waitFor(
      () => results(emu).find((m) => (m.body as Json).runId === (second.payload as Json).runId),
      20_000,
    );
    const sent = results(emu).map((m) => (m.body as Json).runId as string);
    const ran = mod.lines.filter((l) => l.includes('"probe run ')).map((l) => JSON.parse(l).runId as string);
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent).toEqual(ran);
    expect(emu.connections).toBeGreaterThanOrEqual(2);
  });

  it('recreates the client when edgeHub restarts without the session, so desired patches work again', async () => {
    const { emu, mod } = await start();
    await emu.waitFor(() => reported(emu).status);
    // Prove the desired subscription is settled before the restart (the defect needs it).
    emu.patchDesired({ intervalSeconds: 120 });
    await emu.waitFor(() => reported(emu).intervalSeconds?.ac === 200);
    const connects = emu.connections;
    await emu.restart({ keepSessions: false });
    // The SDK's own reconnection would restore the session without the twin subscriptions (azure-iot-sdk-node #1255): the
    // module ends the session instead, and its new client subscribes afresh.
    await mod.waitForLine(/session ended/, 20_000);
    await emu.waitFor(
      () => emu.connections >= connects + 1 && emu.subscriptions.some((t) => t.includes('PATCH/properties/desired')),
      20_000,
      'a fresh client',
    );
    emu.patchDesired({ intervalSeconds: 180 });
    await emu.waitFor(() => reported(emu).intervalSeconds?.value === 180, 20_000);
  });

  it('acknowledges a desired version written while it was disconnected, once it is back', async () => {
    const { emu } = await start();
    await emu.waitFor(() => reported(emu).status);
    await emu.refuseConnections(true);
    emu.dropConnections();
    await emu.waitFor(() => !emu.connected);
    // Nobody is subscribed: this patch is never pushed; only a twin read after reconnecting can see it.
    emu.patchDesired({ intervalSeconds: 90 });
    await emu.refuseConnections(false);
    const ack = await emu.waitFor(
      () => (reported(emu).intervalSeconds?.av === emu.twin.desiredVersion ? reported(emu).intervalSeconds : undefined),
      15_000,
    );
    expect(ack).toMatchObject({ value: 90, ac: 200, ad: 'applied' });
  });

  it('survives malformed JSON from edgeHub on the twin topic', async () => {
    const { emu, mod } = await start();
    await emu.waitFor(() => reported(emu).status);
    emu.sendRawOnTwinTopic('{not json');
    await mod.waitForLine(/malformed twin message/, 10_000);
    emu.patchDesired({ intervalSeconds: 240 });
    await emu.waitFor(() => reported(emu).intervalSeconds?.value === 240, 20_000);
    expect(mod.child.exitCode).toBeNull();
  });

  it('keeps retrying while edgeHub is down at start, then comes up', async () => {
    const emu = await startEmulator({ hubHostname: HUB });
    await emu.refuseConnections(true);
    const mod = startModuleProcess(moduleEnv(emu));
    track(emu, mod);
    await mod.waitForLine(/edgeHub connection failed/, 10_000);
    // The probe runs anyway: when the link is down is when it matters.
    await mod.waitForLine(/probe run (healthy|degraded|unhealthy)/, 30_000);
    await new Promise((r) => setTimeout(r, 10_000));
    expect(mod.child.exitCode).toBeNull();
    await emu.refuseConnections(false);
    await emu.waitFor(() => reported(emu).status, 20_000);
    // The run made while edgeHub was away arrives once it is back.
    await emu.waitFor(() => results(emu).length >= 1, 20_000);
  }, 60_000);

  it('exits 2 with a clear line when started without IoT Edge or with an unreadable CA_FILE', async () => {
    const outside = startModuleProcess({});
    expect(await outside.exited).toBe(2);
    expect(outside.lines.join('\n')).toContain('not running in IoT Edge');
    const badCa = startModuleProcess({
      IOTEDGE_WORKLOADURI: 'unix:///nonexistent/workload.sock',
      CA_FILE: '/nonexistent/ca.pem',
    });
    expect(await badCa.exited).toBe(2);
    expect(badCa.lines.join('\n')).toContain('CA_FILE /nonexistent/ca.pem: cannot read it');
  });

  it('keeps probing and reporting when METRICS_PORT is taken', async () => {
    const squatter = net.createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const { port } = squatter.address() as net.AddressInfo;
    try {
      const { emu, mod } = await start({}, { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
      await emu.waitFor(() => reported(emu).status, 20_000);
      expect(mod.lines.join('\n')).toContain('local HTTP endpoints unavailable');
      expect(mod.child.exitCode).toBeNull();
    } finally {
      squatter.close();
    }
  });

  it('exits 0 within 5 s on SIGTERM', async () => {
    const { emu, mod } = await start();
    await emu.waitFor(() => reported(emu).status);
    const { code, ms } = await mod.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
  });

  it('runs outside IoT Edge with EdgeHubConnectionString and EdgeModuleCACertificateFile', async () => {
    const emu = await startEmulator({ hubHostname: HUB });
    const env = moduleEnv(emu);
    for (const k of Object.keys(env)) if (k.startsWith('IOTEDGE_')) delete env[k];
    const mod = startModuleProcess({ ...env, ...emu.connectionStringEnv() });
    track(emu, mod);
    const status = await emu.waitFor(() => reported(emu).status, 20_000);
    expect(status).toMatchObject({ upstream: { hostname: HUB } });
    expect(reported(emu).results.iothub).toMatchObject({ host: HUB, code: 'OK' });
    await emu.waitFor(() => results(emu).length > 0);
    expect(mod.lines.join('\n')).not.toContain(emu.moduleKey);
  });
});
