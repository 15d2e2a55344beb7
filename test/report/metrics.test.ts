// `/metrics` as the IoT Edge metrics-collector reads it: scraped from a real server on loopback, every
// sample line parsed, the IoT Edge labels on every series, values in base units, and series that follow
// the configuration (a removed target is gone at the next scrape).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../src/http/server.js';
import type { ModuleSnapshot } from '../../src/report/snapshot.js';
import { snapshotOf, startingSnapshot } from '../http/snapshot-factory.js';
import { serveSnapshot } from '../http/serve.js';
import { blockedAndStalledTarget, healthyTarget, mismatchAcrTarget, proxiedTarget, runOf } from './factory.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// One sample line of the Prometheus text format, as the metrics-collector module accepts it: a metric
// name, optional `{name="value",...}` with `\"`, `\\` and `\n` escapes, a float value (or NaN), and an
// optional integer timestamp.
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\["\\n])*",?)*)\})? ([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|NaN))(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\["\\n])*)"/g;

function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(LABEL)].map((l) => [
        l[1]!,
        l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
      ]),
    );
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** The value of the one sample with this name whose labels include `labels`; undefined if none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === `privatelink_probe_${name}` && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

describe('/metrics', () => {
  let current: ModuleSnapshot = snapshotOf();
  let server: HttpServer;

  beforeAll(async () => {
    server = await serveSnapshot(() => current);
  });
  afterAll(() => server.close());

  async function scrape() {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parseExposition(await res.text());
  }

  it('serves parseable Prometheus text where every series is prefixed and carries the IoT Edge labels', async () => {
    current = snapshotOf();
    const { samples, types } = await scrape();
    expect(samples.length).toBeGreaterThan(40);
    const instances = new Set(samples.map((s) => s.labels.instance_number));
    expect(instances.size).toBe(1);
    expect([...instances][0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const s of samples) {
      expect(s.name).toMatch(/^privatelink_probe_/);
      expect(s.labels).toMatchObject({ iothub: 'myhub.azure-devices.net', edge_device: 'factory-gw-01' });
    }
    expect(types.get('privatelink_probe_runs_total')).toBe('counter');
    expect(types.get('privatelink_probe_telemetry_dropped_total')).toBe('counter');
    expect(types.get('privatelink_probe_port_ok')).toBe('gauge');
  });

  it('reports per target and port the verdict, the step times in seconds, privacy and certificate expiry', async () => {
    current = snapshotOf();
    const { samples } = await scrape();
    const hub = { target: 'hub', kind: 'iothub' };
    expect(value(samples, 'port_ok', { ...hub, port: '8883' })).toBe(1);
    expect(value(samples, 'port_ok', { target: 'acr', kind: 'acr', port: '443' })).toBe(0);
    expect(value(samples, 'port_ok', { target: 'blob', kind: 'blob', port: '443' })).toBe(0);
    expect(value(samples, 'tcp_connect_seconds', { ...hub, port: '5671' })).toBe(0.003);
    expect(value(samples, 'tls_handshake_seconds', { ...hub, port: '443' })).toBe(0.021);
    expect(value(samples, 'tls_cert_expiry_timestamp_seconds', { ...hub, port: '443' })).toBe(
      Date.parse('2027-05-27T23:59:59.000Z') / 1000,
    );
    expect(value(samples, 'dns_seconds', hub)).toBe(0.004);
    expect(value(samples, 'dns_private', hub)).toBe(1);
    expect(value(samples, 'dns_private', { target: 'blob' })).toBe(0);
    // Nothing was connected on the blob's port: no connect or handshake time is invented for it.
    expect(value(samples, 'tcp_connect_seconds', { target: 'blob' })).toBeUndefined();
    expect(value(samples, 'tls_handshake_seconds', { target: 'blob' })).toBeUndefined();
  });

  it("reports each port's service exchange by protocol, and its time as the service step", async () => {
    const broken = blockedAndStalledTarget('closed after the request');
    current = snapshotOf({ lastRun: runOf([broken, mismatchAcrTarget()]) });
    const { samples } = await scrape();
    const port = (p: string) => ({ target: 'hub', kind: 'iothub', port: p });
    expect(value(samples, 'service_up', { ...port('8883'), protocol: 'mqtt' })).toBe(0);
    expect(value(samples, 'step_seconds', { ...port('8883'), step: 'service' })).toBe(5);
    // A skipped exchange, and one that never started, say nothing about the service.
    expect(value(samples, 'service_up', { target: 'acr' })).toBeUndefined();
    expect(value(samples, 'service_up', port('443'))).toBeUndefined();
    // A stalled handshake lasted the timeout: no handshake time is claimed for it.
    expect(value(samples, 'tls_handshake_seconds', port('443'))).toBeUndefined();
    // New codes reach the code label as they are.
    expect(value(samples, 'target_info', { target: 'hub', code: 'APP_BLOCKED' })).toBe(1);

    current = snapshotOf();
    const healthy = (await scrape()).samples;
    expect(value(healthy, 'service_up', { target: 'hub', port: '8883', protocol: 'mqtt' })).toBe(1);
    expect(value(healthy, 'service_up', { target: 'hub', port: '443', protocol: 'https' })).toBe(1);
  });

  it('reports whether the proxy opened the tunnel for each port it concerns, and its time as the proxy step', async () => {
    const run = runOf([proxiedTarget('hub'), proxiedTarget('dps', 'denied'), proxiedTarget('acr', 'bypassed')]);
    current = snapshotOf({ lastRun: run });
    const { samples } = await scrape();
    const port = (target: string) => ({ target, kind: 'iothub', port: '443' });
    expect(value(samples, 'proxy_up', port('hub'))).toBe(1);
    expect(value(samples, 'proxy_up', port('dps'))).toBe(0);
    expect(value(samples, 'step_seconds', { ...port('hub'), step: 'proxy' })).toBe(0.007);
    // The port's verdict is the proxy path's: the refused direct path does not make the hub's 443 fail.
    expect(value(samples, 'port_ok', port('hub'))).toBe(1);
    expect(value(samples, 'port_ok', port('dps'))).toBe(0);
    // NO_PROXY sent the name direct, and 8883 never goes through the proxy: neither says anything about it.
    expect(value(samples, 'proxy_up', { target: 'acr' })).toBeUndefined();
    expect(value(samples, 'proxy_up', { target: 'hub', port: '8883' })).toBeUndefined();
    current = snapshotOf();
    expect(value((await scrape()).samples, 'proxy_up')).toBeUndefined();
  });

  it("reports the device's clock offset with the target it came from, absent when no Date was read", async () => {
    current = snapshotOf();
    expect(value((await scrape()).samples, 'clock_offset_seconds', { source: 'hub' })).toBe(0.2);
    current = snapshotOf({ lastRun: runOf([mismatchAcrTarget()]) });
    expect(value((await scrape()).samples, 'clock_offset_seconds')).toBeUndefined();
  });

  it("reports each target's status as a state set and its code and host as info", async () => {
    current = snapshotOf();
    const { samples } = await scrape();
    expect(value(samples, 'target_status', { target: 'dps', status: 'degraded' })).toBe(1);
    expect(value(samples, 'target_status', { target: 'dps', status: 'healthy' })).toBe(0);
    expect(value(samples, 'target_status', { target: 'dps', status: 'unhealthy' })).toBe(0);
    expect(value(samples, 'target_status', { target: 'hub', status: 'healthy' })).toBe(1);
    expect(
      value(samples, 'target_info', {
        target: 'acr',
        host: 'factoryacr.privatelink.azurecr.io',
        code: 'TLS_HOSTNAME_MISMATCH',
      }),
    ).toBe(1);
    expect(value(samples, 'overall_status', { status: 'unhealthy' })).toBe(1);
    expect(value(samples, 'overall_status', { status: 'healthy' })).toBe(0);
  });

  it('reports the run, the upstream link and the telemetry queue', async () => {
    current = snapshotOf();
    const { samples } = await scrape();
    expect(value(samples, 'run_duration_seconds')).toBe(0.057);
    expect(value(samples, 'runs_total')).toBe(13);
    expect(value(samples, 'last_run_timestamp_seconds')).toBe(current.lastCompletedAt! / 1000);
    expect(value(samples, 'upstream_connected')).toBe(1);
    expect(value(samples, 'upstream_last_contact_timestamp_seconds')).toBe(
      Date.parse('2026-11-28T09:00:01.000Z') / 1000,
    );
    expect(value(samples, 'telemetry_queued')).toBe(2);
    expect(value(samples, 'telemetry_dropped_total')).toBe(5);
    expect(value(samples, 'module_info', { version: '0.1.0' })).toBe(1);

    current = snapshotOf({ upstream: { ...current.upstream, state: 'disconnected' } });
    expect(value((await scrape()).samples, 'upstream_connected')).toBe(0);
  });

  it('drops the series of a target removed from the configuration at the next scrape', async () => {
    current = snapshotOf();
    const before = await scrape();
    expect(before.samples.some((s) => s.labels.target === 'acr')).toBe(true);

    current = snapshotOf({ lastRun: runOf([healthyTarget()]) });
    const after = await scrape();
    expect(new Set(after.samples.flatMap((s) => (s.labels.target ? [s.labels.target] : [])))).toEqual(new Set(['hub']));
    expect(value(after.samples, 'overall_status', { status: 'healthy' })).toBe(1);
  });

  it('before the first run: no target series and no run duration, overall unknown, labels empty when ids are unknown', async () => {
    current = startingSnapshot({ deviceId: null, iothub: null });
    const { samples } = await scrape();
    expect(samples.filter((s) => s.labels.target !== undefined)).toEqual([]);
    expect(value(samples, 'run_duration_seconds')).toBeUndefined();
    expect(value(samples, 'overall_status', { status: 'unknown' })).toBe(1);
    expect(value(samples, 'runs_total')).toBe(0);
    for (const s of samples) expect(s.labels).toMatchObject({ iothub: '', edge_device: '' });
  });
});
