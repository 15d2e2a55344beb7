// The HTTP endpoints as a client on the edge network meets them: the four routes, HEAD, the refusals
// (404, 405, 413, 400, 431) that never echo the request, /healthz following the watchdog, and a server
// that sheds connections holding it open.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer, type HttpServerOptions } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import type { ModuleSnapshot } from '../../src/report/snapshot.js';
import { startWatchdog } from '../../src/module/watchdog.js';
import type { StatusDocument } from '../../src/report/status-json.js';
import { PROXY_URL, proxiedTarget, runOf } from '../report/factory.js';
import { NOW, RUN_COMPLETED_AT, snapshotOf, startingSnapshot } from './snapshot-factory.js';

const servers: HttpServer[] = [];
const logLines: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  logLines.length = 0;
});

async function serve(over: Partial<HttpServerOptions> = {}): Promise<HttpServer> {
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    snapshot: () => snapshotOf(),
    healthy: () => true,
    log: createLogger({ env: {}, level: 'debug', destination: { write: (line: string) => logLines.push(line) } }),
    now: () => NOW,
    ...over,
  });
  servers.push(server);
  return server;
}

/** One raw HTTP/1.1 exchange: what the server sent back before it closed the connection. */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.write(request);
  });
}

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
}

describe('routes', () => {
  it('GET / serves the status page as HTML with a policy that forbids scripts and loads', async () => {
    const { port } = await serve();
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'unsafe-inline';/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page.match(/<tr class="target"/g)).toHaveLength(4);
  });

  it('GET /status returns the last run as the telemetry body at full detail, with the upstream link', async () => {
    const { port } = await serve();
    const res = await fetch(`http://127.0.0.1:${port}/status?pretty=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const doc = (await res.json()) as StatusDocument;
    expect(doc).toMatchObject({
      schema: 'privatelink-probe/status@1',
      deviceId: 'factory-gw-01',
      moduleId: 'PrivateLinkProbe',
      runCount: 13,
      lastRunAt: new Date(RUN_COMPLETED_AT).toISOString(),
      upstream: { state: 'connected', lastContactAt: '2026-11-28T09:00:01.000Z', queued: 2, dropped: 5 },
    });
    expect(doc.lastRun).toMatchObject({
      schema: 'privatelink-probe/result@2',
      overall: 'unhealthy',
      deviceId: 'factory-gw-01',
    });
    expect(doc.lastRun!.targets.map((t) => `${t.name}:${t.code}`)).toEqual([
      'hub:OK',
      'dps:TLS_EXPIRING',
      'acr:TLS_HOSTNAME_MISMATCH',
      'blob:DNS_PUBLIC_ADDRESS',
    ]);
    // Full detail: the counterpart answers and certificate SANs the tighter telemetry levels leave out.
    expect(doc.lastRun!.answers.filter((a) => a.target === 'hub' && a.counterpart)).toHaveLength(1);
    expect(doc.lastRun!.ports.find((p) => p.target === 'hub')!.tls!.cert!.sans!.split(',')).toHaveLength(3);
    expect(doc.lastRun!.edge!.findings![0]!.id).toBe('DOCKER_EMBEDDED_DNS');
    // What telemetry carries: each port's service exchange and the device's clock.
    expect(doc.lastRun!.ports.find((p) => p.target === 'hub')!.service).toEqual({
      protocol: 'mqtt',
      outcome: 'ok',
      ms: 4,
      detail: 'CONNACK 5',
    });
    expect(doc.lastRun!.edge!.clock).toEqual({ offsetSeconds: 0.2, source: 'hub' });
  });

  it("GET /status carries a proxied port's two paths as telemetry does", async () => {
    const lastRun = runOf([proxiedTarget('hub'), proxiedTarget('dps', 'denied')]);
    const { port } = await serve({ snapshot: () => snapshotOf({ lastRun }) });
    const doc = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as StatusDocument;
    const [hub, dps] = doc.lastRun!.ports.filter((p) => p.port === 443);
    expect(hub).toMatchObject({
      code: 'OK',
      proxy: { url: PROXY_URL, outcome: 'ok', status: 200, tls: { outcome: 'ok' }, service: { outcome: 'ok' } },
      direct: { code: 'TCP_REFUSED' },
    });
    expect(dps).toMatchObject({
      code: 'PROXY_DENIED',
      proxy: { outcome: 'denied', status: 403, error: 'HTTP/1.1 403 Forbidden' },
      direct: { code: 'TCP_REFUSED', reason: expect.stringContaining('refused') },
    });
  });

  it('GET /status before the first run is 200 with lastRun null and the upstream state', async () => {
    const { port } = await serve({ snapshot: () => startingSnapshot() });
    const res = await fetch(`http://127.0.0.1:${port}/status`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as StatusDocument;
    expect(doc).toMatchObject({
      lastRun: null,
      lastRunAt: null,
      runCount: 0,
      upstream: { state: 'connecting', lastContactAt: null },
    });
  });

  it('HEAD answers like GET without a body', async () => {
    const { port } = await serve();
    for (const path of ['/', '/status', '/metrics', '/healthz']) {
      const get = await fetch(`http://127.0.0.1:${port}${path}`);
      const head = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
      expect(await head.text()).toBe('');
      await get.arrayBuffer();
    }
  });

  it('answers 404 for any other path, without echoing it and without listing anything', async () => {
    const { port } = await serve();
    for (const path of [
      '/nope',
      '/status/',
      '/metrics.txt',
      '/index.html',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/<script>alert(1)</script>',
      '/static/',
    ]) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe('not found\n');
    }
  });

  it('answers 405 with Allow for methods other than GET and HEAD', async () => {
    const { port } = await serve();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await fetch(`http://127.0.0.1:${port}/status`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      await res.arrayBuffer();
    }
  });

  it('refuses a request that carries a body (413) and closes the connection', async () => {
    const { port } = await serve();
    const response = await exchange(port, 'GET /status HTTP/1.1\r\nHost: probe\r\nContent-Length: 5\r\n\r\nhello');
    expect(statusOf(response)).toBe(413);
    expect(response).toMatch(/\r\nConnection: close\r\n/i);
  });

  it('answers 400 for a request target that is not a URL path', async () => {
    const { port } = await serve();
    expect(statusOf(await exchange(port, 'GET //[ HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n'))).toBe(400);
  });

  it('answers 500 without detail when the snapshot cannot be read, and logs why', async () => {
    const { port } = await serve({
      snapshot: () => {
        throw new Error('snapshot unavailable');
      },
    });
    const res = await fetch(`http://127.0.0.1:${port}/status`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('internal error\n');
    expect(logLines.join('')).toMatch(/\[ERR\] - http endpoint failed .*snapshot unavailable/);
  });
});

describe('/healthz', () => {
  it('is 200 while runs complete and 503 once none has for 3 intervals, then 200 again after a run', async () => {
    let clock = RUN_COMPLETED_AT + 1_000;
    let snapshot: ModuleSnapshot = snapshotOf({ intervalSeconds: 10 });
    // The composition main uses: the watchdog's view of progress decides /healthz.
    const watchdog = startWatchdog({
      lastProgressAt: () => snapshot.lastCompletedAt ?? snapshot.startedAt,
      limitMs: () => 3 * snapshot.intervalSeconds * 1000,
      checkEveryMs: 3_600_000,
      onStall: () => undefined,
      now: () => clock,
    });
    const { port } = await serve({ snapshot: () => snapshot, healthy: () => !watchdog.stalled() });
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      return `${res.status} ${await res.text()}`;
    };
    try {
      expect(await health()).toBe('200 ok\n');
      clock = RUN_COMPLETED_AT + 30_000;
      expect(await health()).toBe('200 ok\n');
      clock = RUN_COMPLETED_AT + 30_001;
      expect(await health()).toBe(
        '503 stalled: no probe run completed for 3 intervals (or 3 worst-case runs of 5 timeouts)\n',
      );
      snapshot = snapshotOf({ intervalSeconds: 10, lastCompletedAt: clock - 10 });
      expect(await health()).toBe('200 ok\n');
    } finally {
      watchdog.stop();
    }
  });

  it('counts from the start while no run has completed yet', async () => {
    const snapshot = startingSnapshot({ intervalSeconds: 10 });
    let clock = snapshot.startedAt + 29_000;
    const watchdog = startWatchdog({
      lastProgressAt: () => snapshot.startedAt,
      limitMs: 30_000,
      checkEveryMs: 3_600_000,
      onStall: () => undefined,
      now: () => clock,
    });
    const { port } = await serve({ snapshot: () => snapshot, healthy: () => !watchdog.stalled() });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      clock += 2_000;
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(503);
    } finally {
      watchdog.stop();
    }
  });
});

describe('connections that hold the server open', () => {
  const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300, checkIntervalMs: 50 };

  /** Opens a connection, sends `partial`, and resolves with what came back and how long until the server closed it. */
  function hold(port: number, partial: string): Promise<{ ms: number; response: string }> {
    const started = Date.now();
    return exchange(port, partial).then((response) => ({ ms: Date.now() - started, response }));
  }

  it('closes a connection that sends headers slower than headersTimeout (slowloris) and keeps serving', async () => {
    const { port } = await serve({ limits });
    const [partial, silent] = await Promise.all([
      hold(port, 'GET / HTTP/1.1\r\nHost: probe\r\nX-Slow: '),
      hold(port, ''),
    ]);
    for (const held of [partial, silent]) {
      expect(held.ms).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
      expect(held.ms).toBeLessThan(5_000);
    }
    expect(statusOf(partial.response)).toBe(408);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('closes an idle kept-alive connection after keepAliveTimeout', async () => {
    const { port } = await serve({ limits });
    const held = await hold(port, 'GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n');
    expect(statusOf(held.response)).toBe(200);
    expect(held.response).toMatch(/\r\nConnection: keep-alive\r\n/i);
    expect(held.ms).toBeGreaterThanOrEqual(limits.keepAliveTimeoutMs - 50);
    expect(held.ms).toBeLessThan(5_000);
  });

  it('answers 431 to headers larger than the limit', async () => {
    const { port } = await serve({ limits: { maxHeaderBytes: 1024 } });
    const response = await exchange(port, `GET / HTTP/1.1\r\nHost: probe\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    expect(statusOf(response)).toBe(431);
  });
});

describe('nothing from the request comes back', () => {
  it('neither responses nor logs repeat a secret sent in the path, query or headers', async () => {
    const canary = 'SharedAccessKey=Q2FuYXJ5U2VjcmV0S2V5';
    const { port } = await serve();
    const requests: Array<[string, RequestInit]> = [
      [`/status?key=${encodeURIComponent(canary)}`, {}],
      [`/${encodeURIComponent(canary)}`, {}],
      ['/metrics', { method: 'POST', body: canary }],
      ['/', { headers: { Authorization: `Bearer ${canary}`, Cookie: `s=${canary}` } }],
    ];
    for (const [path, init] of requests) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
      const body = await res.text();
      expect(body).not.toContain('Q2FuYXJ5U2VjcmV0S2V5');
      expect(JSON.stringify([...res.headers])).not.toContain('Q2FuYXJ5U2VjcmV0S2V5');
    }
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain('Q2FuYXJ5U2VjcmV0S2V5');
  });
});
