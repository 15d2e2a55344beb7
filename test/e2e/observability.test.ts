// Issue 6 against the running module: the bundle the image runs, in a child process, connected to the
// loopback edgeHub emulator, probing a loopback landscape with three verdicts (a healthy hub, an ACR whose
// certificate expires in 5 days, a Blob name that resolves to a public address), with METRICS_PORT on
// 127.0.0.1 and LOG_FORMAT unset as edgeAgent leaves it. What an operator on the edge network reads when
// the cloud link is down: /metrics, /status, /healthz, the page at / in a real browser, and the log lines
// edgeAgent's log filter parses. (The watchdog needs a stalled scheduler, which the real process does not
// give on demand: test/module covers it.)
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserChecksRun, headlessChromium } from '../support/chromium.js';
import { edgeModuleEnv, LOG_FORMAT_UNSET, moduleCleanup } from '../support/edge-module-env.js';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { freePort } from '../support/free-port.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { startModuleProcess, type ModuleProcess } from '../support/module-process.js';

// Addresses 127.0.0.51-54 belong to this file (see landscape.ts), hostnames obs*.
const HUB = 'obs-hub.privatelink.azure-devices.net';
const ACR = 'obsreg.privatelink.azurecr.io';
const BLOB = 'obsstore.privatelink.blob.core.windows.net';
const SCREENSHOT = path.resolve('bench/results/status-page-module.png');
const PHONE = { width: 420, height: 900 };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let land: Landscape;
let landscapeEnv: Record<string, string>;
const track = moduleCleanup();

beforeAll(async () => {
  land = await startLandscape();
  await land.add({ name: 'iothub', host: HUB, address: '127.0.0.51', fixedPorts: [8883] });
  await land.add({ name: 'acr', host: ACR, address: '127.0.0.52', fixedPorts: [8883], certificate: 'expiring' });
  // DNS only: the answer is a documentation "public" address, which the probe must not connect to.
  await land.add({ name: 'blob', host: BLOB, address: '127.0.0.53', ports: 0, dnsAnswer: '203.0.113.20' });
  landscapeEnv = await land.moduleEnv();
});
afterAll(() => land.close());

interface Started {
  emu: Emulator;
  mod: ModuleProcess;
  /** Complete stdout lines only (stderr is not part of the log stream edgeAgent parses). */
  stdout: string[];
  /** Resolves once stdout has closed, with what was left after the last newline. */
  stdoutClosed: Promise<string>;
  /** `http://127.0.0.1:<METRICS_PORT>` */
  base: string;
  get(path: string): Promise<Response>;
  startedAt: number;
}

/** The module with the three targets, its HTTP endpoints on 127.0.0.1, after its first run is reported. */
async function startModule(over: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const emu = await startEmulator({
    hubHostname: HUB,
    initialDesired: {
      intervalSeconds: 600,
      targets: { acr: { host: ACR, ports: '8883' }, blob: { host: BLOB } },
    },
  });
  const startedAt = Date.now();
  const mod = startModuleProcess(
    edgeModuleEnv(emu, landscapeEnv, {
      ...LOG_FORMAT_UNSET,
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      ...over,
    }),
  );
  track(emu, mod);
  const stdout: string[] = [];
  let rest = '';
  // A character split across two chunks is decoded whole (log texts carry →, …).
  const utf8 = new StringDecoder('utf8');
  mod.child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (rest + utf8.write(chunk)).split('\n');
    rest = parts.pop()!;
    stdout.push(...parts);
  });
  const stdoutClosed = new Promise<string>((resolve) => mod.child.stdout!.once('close', () => resolve(rest)));
  await emu.waitFor(() => (emu.twin.reported as Json).status, 20_000, 'the first run reported');
  const base = `http://127.0.0.1:${port}`;
  return { emu, mod, stdout, stdoutClosed, startedAt, base, get: (p) => fetch(base + p) };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format 0.0.4: every non-comment line is `name{label="value",...} number`. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [
          k!,
          v!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
        ]),
      );
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** Asks again (every 50 ms, at most 5 s) until `ask` answers something. */
async function until<T>(ask: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const answer = await ask();
    if (answer !== undefined) return answer;
    if (Date.now() > deadline) throw new Error(`no ${what} within 5 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.sequential('the running module on the edge network: metrics, status, health, page and logs', () => {
  it('serves /metrics with per-target verdicts labelled target, kind, port and the IoT Edge labels', async () => {
    const { get } = await startModule();
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await res.text());

    expect(samples.length).toBeGreaterThan(20);
    const instance = samples[0]!.labels.instance_number!;
    expect(instance).toMatch(GUID);
    for (const s of samples) {
      expect(s.name).toMatch(/^privatelink_probe_/);
      expect(s.labels, s.name).toMatchObject({ iothub: HUB, edge_device: 'edge-device-1', instance_number: instance });
    }
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter(
          (s) => s.name === `privatelink_probe_${name}` && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        )
        .map((s) => s.value);

    // One status series per target and verdict, 1 for the verdict it has.
    const verdicts = samples
      .filter((s) => s.name === 'privatelink_probe_target_status' && s.value === 1)
      .map((s) => `${s.labels.target}/${s.labels.kind}:${s.labels.status}`);
    expect(verdicts.sort()).toEqual(['acr/acr:degraded', 'blob/blob:unhealthy', 'iothub/iothub:healthy']);
    expect(value('target_status', { target: 'iothub' })).toHaveLength(3);
    expect(value('target_info', { target: 'iothub', host: HUB, code: 'OK' })).toEqual([1]);
    expect(value('target_info', { target: 'acr', code: 'TLS_EXPIRING' })).toEqual([1]);
    expect(value('target_info', { target: 'blob', code: 'DNS_PUBLIC_ADDRESS' })).toEqual([1]);
    // Per port: the hub's 8883 verified, with connect and handshake times and the certificate's expiry.
    expect(value('port_ok', { target: 'iothub', kind: 'iothub', port: '8883' })).toEqual([1]);
    expect(value('tcp_connect_seconds', { target: 'iothub', port: '8883' })[0]).toBeGreaterThan(0);
    expect(value('tls_handshake_seconds', { target: 'iothub', port: '8883' })[0]).toBeGreaterThan(0);
    const acrExpiry = value('tls_cert_expiry_timestamp_seconds', { target: 'acr', kind: 'acr', port: '8883' })[0]!;
    expect(acrExpiry * 1000 - Date.now()).toBeGreaterThan(4 * 86_400_000);
    expect(acrExpiry * 1000 - Date.now()).toBeLessThan(6 * 86_400_000);
    expect(value('dns_private', { target: 'iothub' })).toEqual([1]);
    expect(value('dns_private', { target: 'blob' })).toEqual([0]);
    expect(value('dns_seconds', { target: 'blob', kind: 'blob' })).toHaveLength(1);
    // The run and the upstream link.
    expect(value('overall_status', { status: 'unhealthy' })).toEqual([1]);
    expect(value('runs_total')).toEqual([1]);
    expect(value('run_duration_seconds')[0]).toBeGreaterThan(0);
    expect(value('upstream_connected')).toEqual([1]);
    expect(value('telemetry_dropped_total')).toEqual([0]);
  });

  it('serves /status with the last run as telemetry carries it, the upstream link connected and its last contact, and /healthz 200', async () => {
    const { emu, get, startedAt } = await startModule();
    // The run's result and one alert per target that left `unknown` for a bad verdict (acr, blob).
    const sent = await emu.waitFor(
      () => (emu.messages.length >= 3 ? emu.messages : undefined),
      10_000,
      'results and alerts',
    );
    const message = sent.find((m) => m.output === 'probeResults')!;
    // Delivered is not yet acknowledged to the module: the queue empties when edgeHub's PUBACKs arrive.
    const status = await until(async () => {
      const res = await get('/status');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const doc = (await res.json()) as Json;
      return doc.upstream.queued === 0 ? doc : undefined;
    }, 'an empty telemetry queue in /status');
    expect(status).toMatchObject({
      schema: 'privatelink-probe/status@1',
      deviceId: 'edge-device-1',
      moduleId: 'PrivateLinkProbe',
      runCount: 1,
      intervalSeconds: 600,
    });
    expect(status.upstream).toMatchObject({ state: 'connected', hostname: HUB, queued: 0, dropped: 0 });
    const contact = Date.parse(status.upstream.lastContactAt);
    expect(contact).toBeGreaterThanOrEqual(startedAt);
    expect(contact).toBeLessThanOrEqual(Date.now());
    // The last run is the body the module sent on probeResults, to the byte.
    expect(status.lastRun).toEqual(message.body);
    expect(status.lastRun.overall).toBe('unhealthy');
    expect(status.lastRun.targets.map((t: Json) => `${t.name}:${t.status}:${t.code}`)).toEqual([
      'iothub:healthy:OK',
      'acr:degraded:TLS_EXPIRING',
      'blob:unhealthy:DNS_PUBLIC_ADDRESS',
    ]);

    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok\n');
  });

  it("writes every stdout line in edgeAgent's log grammar with the syslog severity of its level", async () => {
    // The runtime's level variable, so debug lines are written and checked too.
    const { mod, stdout, stdoutClosed, get } = await startModule({ RuntimeLogLevel: 'debug' });
    expect((await get('/healthz')).status).toBe(200);
    expect(await mod.stop('SIGTERM')).toMatchObject({ code: 0 });
    // Every line ends with a newline: nothing is left unterminated when stdout closes.
    expect(await stdoutClosed).toBe('');

    // edgeAgent's LogMessageParser; the severity each three-letter level must carry (syslog severities, RFC 5424).
    const GRAMMAR = /^<(\d)> \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d \[(\w{3})\] - /;
    const SEVERITY: Record<string, number> = { FTL: 0, ERR: 3, WRN: 4, INF: 6, DBG: 7, VRB: 7 };
    expect(stdout.length).toBeGreaterThan(5);
    const levels = new Set<string>();
    for (const line of stdout) {
      const m = GRAMMAR.exec(line);
      expect(m, line).not.toBeNull();
      expect(Number(m![1]), line).toBe(SEVERITY[m![2]!]);
      levels.add(m![2]!);
    }
    expect([...levels].sort()).toEqual(expect.arrayContaining(['DBG', 'INF', 'WRN']));
    // What the operator looks for: the run's verdict, and each target's change as a warning with its reason.
    expect(stdout.some((l) => /\[INF\] - probe run unhealthy /.test(l))).toBe(true);
    expect(stdout.some((l) => /^<4> .*\[WRN\] - .*203\.0\.113\.20.* target=blob /.test(l))).toBe(true);
    expect(stdout.at(-1)).toMatch(/\[INF\] - stopped$/);
  });

  it.skipIf(!browserChecksRun('module status page browser check'))(
    'renders / in headless chromium: one row per target with verdict words and codes, and a screenshot',
    async () => {
      const { base } = await startModule();
      const url = `${base}/`;
      const chromium = await headlessChromium();
      try {
        const dom = await chromium.dumpDom(url);
        const rows = [
          ...dom.matchAll(/<tr class="target" data-target="([^"]+)" data-status="([^"]+)">([\s\S]*?)<\/tr>/g),
        ];
        expect(rows.map((r) => `${r[1]}:${r[2]}`)).toEqual(['iothub:healthy', 'acr:degraded', 'blob:unhealthy']);
        const codes = ['OK', 'TLS_EXPIRING', 'DNS_PUBLIC_ADDRESS'];
        rows.forEach(([, , status, cells], i) => {
          expect(cells).toContain(`<span class="badge verdict v-${status}">${status}</span> <code>${codes[i]}</code>`);
        });
        expect(rows[2]![3]).toContain('203.0.113.20');
        expect(dom).toMatch(
          /<p class="overall">Overall: <span class="badge verdict v-unhealthy">unhealthy<\/span><\/p>/,
        );
        expect(dom).toContain('<span class="badge v-healthy">connected</span>');
        expect(dom).toMatch(/<title>unhealthy · privatelink-probe · edge-device-1<\/title>/);

        const png = await chromium.screenshot(url, SCREENSHOT, PHONE);
        expect([png.width, png.height]).toEqual([PHONE.width, PHONE.height]);
        expect(png.bytes).toBeGreaterThan(10_000);
      } finally {
        await chromium.close();
      }
    },
    60_000,
  );
});
