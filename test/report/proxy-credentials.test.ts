// A proxy URL's user information is for the Proxy-Authorization header alone. A real run on loopback through a
// CONNECT proxy that demands Basic credentials, with a canary password in the settings, is shaped into every
// output the module and `check` have; neither the password nor its base64 may appear in any of them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { realDeps } from '../../src/probe/deps.js';
import { proxyFromEnvironment } from '../../src/probe/proxy-settings.js';
import { runProbe } from '../../src/probe/run.js';
import type { ProbeSettings, RunResult } from '../../src/probe/types.js';
import { alertMessage, verdictChanges } from '../../src/report/alerts.js';
import { createMetrics } from '../../src/report/metrics.js';
import { reportedPatch } from '../../src/report/patch.js';
import { reportedSections } from '../../src/report/reported.js';
import { statusDocument } from '../../src/report/status-json.js';
import { renderStatusPage } from '../../src/report/status-page.js';
import { summaryBody, telemetryBody, telemetryMessage } from '../../src/report/telemetry.js';
import { NOW, snapshotOf } from '../http/snapshot-factory.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { edgeAudit } from './factory.js';

const HUB = 'credhub.privatelink.azure-devices.net';
/** A name the proxy's DNS does not know: its CONNECT fails, so the proxy's own answer is in the run too. */
const ACR = 'credreg.privatelink.azurecr.io';
const USER = 'probe';
const PASSWORD = 'pw-CANARY-7f3a';
const SECRETS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];

let land: Landscape;
let proxy: ConnectProxy;
let withCredentials: string;
let caDir: string;
let run: RunResult;
let settings: ProbeSettings;

beforeAll(async () => {
  land = await startLandscape();
  // The device's DNS leads to 127.0.8.1, where nothing listens on 443; the proxy's DNS leads to the endpoint.
  const hub = await land.add({ name: 'hub', host: HUB, address: '127.0.8.1', ports: 1 });
  await land.add({ name: 'acr', host: ACR, address: '127.0.8.3', ports: 0 });
  proxy = await startConnectProxy({
    host: '127.0.8.2',
    names: { [HUB]: { host: '127.0.8.1', port: hub.ports![0]! } },
    auth: { user: USER, password: PASSWORD },
  });
  withCredentials = proxy.url.replace('http://', `http://${USER}:${PASSWORD}@`);
  settings = land.settings({
    timeoutMs: 2000,
    proxy: proxyFromEnvironment({ env: { https_proxy: withCredentials } }).settings,
  });
  run = await runProbe(
    [
      { name: 'hub', host: HUB, ports: [443] },
      { name: 'acr', host: ACR, ports: [443] },
    ],
    settings,
    realDeps(),
  );
  caDir = await mkdtemp(path.join(os.tmpdir(), 'plp-proxy-credentials-'));
  await writeFile(path.join(caDir, 'ca.pem'), land.ca.certPem);
});

afterAll(async () => {
  await proxy?.close();
  await land?.close();
  if (caDir) await rm(caDir, { recursive: true, force: true });
});

function expectNoSecret(output: string): void {
  for (const secret of SECRETS) expect(output).not.toContain(secret);
}

/** `check` in this process, as a user runs it: what it printed on stdout and stderr. */
async function check(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  let printed = '';
  const io = { stdout: (t: string) => (printed += t), stderr: (t: string) => (printed += t), env, colour: false };
  const flags = [...land.checkArgs(path.join(caDir, 'ca.pem')), '--timeout', '2000'];
  await runCheck(['--target', `hub=${HUB}:443`, ...flags, ...args], io);
  return printed;
}

describe('a proxy password', () => {
  it('was in the settings and opened the tunnel: the run went through the proxy with it', () => {
    expect(settings.proxy!.authorization).toBe(`Basic ${SECRETS[1]}`);
    const [hub, acr] = run.targets.map((t) => t.ports[0]!);
    expect(hub).toMatchObject({ code: 'OK', proxy: { url: proxy.url, outcome: 'ok' }, direct: { ok: false } });
    expect(acr).toMatchObject({ code: 'PROXY_UPSTREAM_FAILED', proxy: { status: 502 } });
    expect(proxy.seen.some((s) => s.headers['proxy-authorization'] === `Basic ${SECRETS[1]}`)).toBe(true);
  });

  it('appears in no twin section, telemetry body, alert, /status document, status page or metrics', async () => {
    const twin = { edge: edgeAudit(), moduleVersion: '0.1.0', nextRunAt: run.startedAt, runCount: 1 };
    const ids = { deviceId: 'factory-gw-01', moduleId: 'PrivateLinkProbe', edge: edgeAudit() };
    const snapshot = snapshotOf({ lastRun: run });
    const outputs = [
      // The richest level and the floor.
      reportedPatch(undefined, reportedSections(run, twin)),
      reportedPatch(undefined, reportedSections(run, { ...twin, budgetBytes: 0 })),
      telemetryMessage(telemetryBody(run, { ...ids, budgetBytes: Infinity })).data,
      telemetryMessage(telemetryBody(run, { ...ids, budgetBytes: 0 })).data,
      telemetryMessage(summaryBody(run, ids)).data,
      ...verdictChanges(undefined, run).map((change) => alertMessage(change, ids).data),
      statusDocument(snapshot),
      renderStatusPage(snapshot, { now: NOW }),
      await createMetrics({ snapshot: () => snapshot }).render(),
    ];
    const texts = outputs.map((o) => (typeof o === 'string' ? o : JSON.stringify(o)));
    // The outputs do name the proxy, by its URL without user information.
    expect(texts.filter((t) => t.includes(proxy.url)).length).toBeGreaterThanOrEqual(7);
    for (const text of texts) expectNoSecret(text);
  });

  it("appears in neither check's table nor its --json body, given as --proxy or in https_proxy", async () => {
    const table = await check(['--proxy', withCredentials]);
    expect(table).toMatch(/^hub .* 443 via proxy\s+healthy\s+OK /m);
    expect(table).toContain(`proxy: ${proxy.url}: `);
    const json = await check(['--proxy', withCredentials, '--json']);
    expect(JSON.parse(json).ports[0].proxy).toMatchObject({ url: proxy.url, outcome: 'ok' });
    const fromEnvironment = await check(['--json'], { https_proxy: withCredentials });
    expect(JSON.parse(fromEnvironment).ports[0].proxy).toMatchObject({ url: proxy.url, outcome: 'ok' });
    for (const text of [table, json, fromEnvironment]) expectNoSecret(text);
  });
});
