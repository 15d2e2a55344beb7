// The engine end to end above TLS, on loopback: the service exchange on each port (and what a firewall or a
// block page makes of it), the clock read from HTTPS answers, and port 443 through an HTTP CONNECT proxy whose
// own name map decides where the name leads, as a factory proxy's DNS does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDeps } from '../../src/probe/deps.js';
import { proxyFromEnvironment } from '../../src/probe/proxy-settings.js';
import { runBoundMs, runProbe } from '../../src/probe/run.js';
import type { ProbeSettings, TargetResult } from '../../src/probe/types.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { closedPort } from '../support/tls-server.js';

let land: Landscape;
beforeAll(async () => {
  land = await startLandscape();
});
afterAll(() => land.close());

const port = (t: TargetResult, n: number) => t.ports.find((p) => p.port === n)!;
const HUB = 'myhub.privatelink.azure-devices.net';

describe('the service exchange in a run', () => {
  it('each port speaks its protocol: MQTT, AMQP and HTTPS answered like Azure, the clock read from Date', async () => {
    const hub = await land.add({ name: 'hub', host: HUB, address: '127.0.7.1', fixedPorts: [8883, 5671, 8443] });
    const run = await runProbe([hub], land.settings({ timeoutMs: 2000 }), realDeps());
    const t = run.targets[0]!;
    expect(t).toMatchObject({ status: 'healthy', code: 'OK' });
    expect(port(t, 8883).service).toMatchObject({ protocol: 'mqtt', outcome: 'ok', detail: 'CONNACK 5' });
    expect(port(t, 5671).service).toMatchObject({ protocol: 'amqp', outcome: 'ok' });
    expect(port(t, 8443).service).toMatchObject({ protocol: 'https', outcome: 'ok' });
    expect(port(t, 8443).service!.detail).toMatch(/^HTTP 401 (x-ms-|iothub-)/);
    expect(run.clock?.source).toBe('hub');
    expect(Math.abs(run.clock!.offsetSeconds)).toBeLessThan(2);
    expect(run.overall).toBe('healthy');
  });

  it('a firewall that stops MQTT after TLS is APP_BLOCKED; a block page on HTTPS is APP_FOREIGN', async () => {
    const blocked = await land.add({
      name: 'blocked',
      host: 'mute.privatelink.azure-devices.net',
      address: '127.0.7.2',
      fixedPorts: [8883],
      service: 'silent',
    });
    const page = await land.add({
      name: 'page',
      host: 'page.privatelink.azure-devices.net',
      address: '127.0.7.3',
      fixedPorts: [8443],
      service: 'foreign-http',
    });
    const timeoutMs = 400;
    const run = await runProbe([blocked, page], land.settings({ timeoutMs }), realDeps());
    const [b, p] = run.targets as [TargetResult, TargetResult];
    expect(b).toMatchObject({ status: 'unhealthy', code: 'APP_BLOCKED' });
    expect(port(b, 8883).tls?.outcome).toBe('ok');
    expect(port(b, 8883).service).toMatchObject({ outcome: 'blocked', detail: `no answer within ${timeoutMs} ms` });
    expect(p).toMatchObject({ status: 'degraded', code: 'APP_FOREIGN' });
    expect(p.reason).toContain('Server: FortiGate');
    // Five steps at most, one after another, each bounded by timeoutMs (a generous margin for a loaded machine).
    expect(run.durationMs).toBeLessThan(runBoundMs(timeoutMs) + 1000);
  });

  it('a Date hours off makes the run unhealthy while every target is healthy', async () => {
    const skewed = await land.add({
      name: 'skewed',
      host: 'late.privatelink.blob.core.windows.net',
      address: '127.0.7.4',
      fixedPorts: [8443],
      dateOffsetMs: 3 * 3_600_000,
    });
    const run = await runProbe([skewed], land.settings({ timeoutMs: 2000 }), realDeps());
    expect(run.targets[0]).toMatchObject({ status: 'healthy' });
    expect(run.clock!.offsetSeconds).toBeGreaterThan(10_790);
    expect(run.clock!.offsetSeconds).toBeLessThan(10_810);
    expect(run.overall).toBe('unhealthy');
  });

  it('--no-service-check stops after TLS: no exchange, no clock', async () => {
    const quiet = await land.add({
      name: 'quiet',
      host: 'still.privatelink.azure-devices.net',
      address: '127.0.7.5',
      fixedPorts: [8883, 8443],
      service: 'silent',
    });
    const run = await runProbe([quiet], land.settings({ timeoutMs: 1000, serviceCheck: false }), realDeps());
    expect(run.targets[0]).toMatchObject({ status: 'healthy', code: 'OK' });
    expect(run.targets[0]!.ports.every((p) => p.service === undefined)).toBe(true);
    expect(run.clock).toBeUndefined();
  });
});

describe('port 443 through an HTTP proxy', () => {
  let proxy: ConnectProxy;
  let authProxy: ConnectProxy;
  let hubTarget: Awaited<ReturnType<Landscape['add']>>;
  const ACR = 'myreg.privatelink.azurecr.io';

  beforeAll(async () => {
    // The endpoint listens on a free port; the proxies' own DNS sends the name's 443 there, while nothing listens
    // on 443 at the addresses the device's DNS gives: the direct path is refused, as a proxied network's is.
    const ep = await land.add({ name: 'hub', host: HUB, address: '127.0.7.11', ports: 1 });
    const behind = { host: '127.0.7.11', port: ep.ports![0]! };
    hubTarget = { name: 'hub', host: HUB, ports: [8883, 443] };
    proxy = await startConnectProxy({ host: '127.0.7.20', names: { [HUB]: behind } });
    authProxy = await startConnectProxy({
      host: '127.0.7.21',
      names: { [HUB]: behind },
      auth: { user: 'probe', password: 'pr0xy-CANARY' },
    });
  });
  afterAll(async () => {
    await proxy.close();
    await authProxy.close();
  });

  const settings = (env: Record<string, string>, over: Partial<ProbeSettings> = {}) =>
    land.settings({ timeoutMs: 1000, proxy: proxyFromEnvironment({ env }).settings, ...over });

  it('the runtime path decides: OK through the proxy, the refused direct path kept beside it; 8883 goes direct', async () => {
    const before = proxy.seen.length;
    const run = await runProbe([hubTarget], settings({ https_proxy: proxy.url }), realDeps());
    const p443 = port(run.targets[0]!, 443);
    expect(p443).toMatchObject({ ok: true, code: 'OK', direct: { ok: false, code: 'TCP_REFUSED' } });
    expect(p443.proxy).toMatchObject({ url: proxy.url, outcome: 'ok', status: 200 });
    expect(p443.proxy!.tls).toMatchObject({ outcome: 'ok', servername: HUB });
    expect(p443.proxy!.service).toMatchObject({ protocol: 'https', outcome: 'ok' });
    expect(p443.reason).toMatch(/^through the proxy http:\/\/127\.0\.7\.20:\d+: /);
    expect(port(run.targets[0]!, 8883).proxy).toBeUndefined();
    expect(proxy.seen.slice(before).map((s) => s.target)).toEqual([`${HUB}:443`]);
  });

  it("a name the proxy's DNS cannot resolve is PROXY_UPSTREAM_FAILED while the device's DNS is right", async () => {
    const acr = await land.add({ name: 'acr', host: ACR, address: '127.0.7.12', ports: 0 });
    const run = await runProbe([{ ...acr, ports: [443] }], settings({ https_proxy: proxy.url }), realDeps());
    const t = run.targets[0]!;
    expect(t.dns.addresses.map((a) => a.address)).toEqual(['127.0.7.12']);
    expect(t).toMatchObject({ status: 'unhealthy', code: 'PROXY_UPSTREAM_FAILED' });
    expect(port(t, 443).proxy).toMatchObject({ outcome: 'upstream-failed', status: 502 });
    expect(t.reason).toMatch(/private zone privatelink\.azurecr\.io.*NO_PROXY/);
  });

  it('credentials: 407 without them, OK with them, and the password in no result', async () => {
    const without = await runProbe([hubTarget], settings({ https_proxy: authProxy.url }), realDeps());
    expect(port(without.targets[0]!, 443)).toMatchObject({ code: 'PROXY_AUTH_REQUIRED', proxy: { status: 407 } });
    const url = authProxy.url.replace('http://', 'http://probe:pr0xy-CANARY@');
    const run = await runProbe([hubTarget], settings({ https_proxy: url }), realDeps());
    expect(port(run.targets[0]!, 443)).toMatchObject({ code: 'OK', proxy: { url: authProxy.url, outcome: 'ok' } });
    const text = JSON.stringify(run);
    expect(text).not.toContain('pr0xy-CANARY');
    expect(text).not.toContain(Buffer.from('probe:pr0xy-CANARY').toString('base64'));
  });

  it('a proxy that is down is PROXY_UNREACHABLE; NO_PROXY sends the name direct', async () => {
    const down = `http://127.0.7.22:${await closedPort('127.0.7.22')}`;
    const run = await runProbe([hubTarget], settings({ https_proxy: down }), realDeps());
    expect(port(run.targets[0]!, 443)).toMatchObject({ code: 'PROXY_UNREACHABLE', proxy: { outcome: 'unreachable' } });
    const exempt = await runProbe(
      [hubTarget],
      settings({ https_proxy: proxy.url, no_proxy: '.privatelink.azure-devices.net' }),
      realDeps(),
    );
    const p443 = port(exempt.targets[0]!, 443);
    expect(p443).toMatchObject({ code: 'TCP_REFUSED', proxy: { outcome: 'bypassed' } });
    expect(p443.direct).toBeUndefined();
  });
});
