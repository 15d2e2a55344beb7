// The local HTTP endpoints on METRICS_PORT, inside the edge network (for when the cloud link is what broke):
//
//   GET /         the status page (HTML, no script, no external asset)
//   GET /status   the status document: last run's telemetry body (or null before it), upstream, schedule
//   GET /metrics  Prometheus text for the metrics-collector module
//   GET /healthz  200 while the scheduler makes progress, 503 once it has stalled
//
// HEAD works wherever GET does. Anything else: 404 for an unknown path (the path is never echoed), 405
// with `Allow` for another method, 413 for a request that carries a body. Nothing here can reveal a
// secret: every response is computed from the ModuleSnapshot, which holds none.
//
// The port is reachable by every container on the edge network, so it is hardened against clients that
// hold connections open (slowloris): headers must arrive within `headersTimeoutMs`, a whole request within
// `requestTimeoutMs`, an idle kept-alive connection is closed after `keepAliveTimeoutMs`, and headers are
// bounded in count and bytes. Node checks the first two every `checkIntervalMs`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ModuleSnapshot } from '../report/snapshot.js';
import { createMetrics } from '../report/metrics.js';
import { renderStatusPage } from '../report/status-page.js';
import { statusDocument } from '../report/status-json.js';
import { SEQUENTIAL_STEPS } from '../probe/run.js';

export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  checkIntervalMs: number;
  maxHeadersCount: number;
  maxHeaderBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxHeadersCount: 32,
  maxHeaderBytes: 8 * 1024,
};

export interface HttpServerOptions {
  /** 0 picks a free port (tests); the module passes METRICS_PORT and starts no server when it is 0. */
  port: number;
  /** Default `0.0.0.0`: reachable from the other containers on the `azure-iot-edge` network. */
  host?: string;
  snapshot: () => ModuleSnapshot;
  /** False once the scheduler has stalled (the watchdog's view): `/healthz` answers 503. */
  healthy: () => boolean;
  log: Logger;
  limits?: Partial<HttpLimits>;
  now?: () => number;
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

const TEXT = 'text/plain; charset=utf-8';

// The page loads nothing and runs nothing: a policy that forbids everything but its own inline style makes
// any markup that slipped through escaping inert.
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const { log, snapshot } = options;
  const now = options.now ?? Date.now;
  const metrics = createMetrics({ snapshot });

  const routes = new Map<string, () => Promise<Reply> | Reply>([
    [
      '/',
      () => ({
        status: 200,
        type: 'text/html; charset=utf-8',
        body: renderStatusPage(snapshot(), { now: now() }),
        headers: PAGE_HEADERS,
      }),
    ],
    [
      '/status',
      () => ({
        status: 200,
        type: 'application/json; charset=utf-8',
        body: `${JSON.stringify(statusDocument(snapshot()), null, 2)}\n`,
      }),
    ],
    ['/metrics', async () => ({ status: 200, type: metrics.contentType, body: await metrics.render() })],
    [
      '/healthz',
      () =>
        options.healthy()
          ? { status: 200, type: TEXT, body: 'ok\n' }
          : {
              status: 503,
              type: TEXT,
              body: `stalled: no probe run completed for 3 intervals (or 3 worst-case runs of ${SEQUENTIAL_STEPS} timeouts)\n`,
            },
    ],
  ]);

  const answer = async (req: http.IncomingMessage): Promise<{ route: string | null; reply: Reply }> => {
    const path = pathOf(req.url);
    if (path === undefined) return { route: null, reply: { status: 400, type: TEXT, body: 'bad request\n' } };
    const route = routes.get(path);
    if (!route) return { route: null, reply: { status: 404, type: TEXT, body: 'not found\n' } };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return {
        route: path,
        reply: { status: 405, type: TEXT, body: 'method not allowed\n', headers: { Allow: 'GET, HEAD' } },
      };
    }
    if (hasBody(req)) return { route: path, reply: { status: 413, type: TEXT, body: 'request body not accepted\n' } };
    try {
      return { route: path, reply: await route() };
    } catch (err) {
      log.error({ err, route: path }, 'http endpoint failed');
      return { route: path, reply: { status: 500, type: TEXT, body: 'internal error\n' } };
    }
  };

  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      maxHeaderSize: limits.maxHeaderBytes,
    },
    (req, res) => {
      const started = now();
      void answer(req).then(({ route, reply }) => {
        const body = Buffer.from(reply.body, 'utf8');
        res.writeHead(reply.status, {
          'Content-Type': reply.type,
          'Content-Length': body.length,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
          // A request we refused unread may still be sending its body: do not parse it as the next request.
          ...(reply.status === 413 ? { Connection: 'close' } : {}),
          ...reply.headers,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        log.debug({ method: req.method, route, status: reply.status, ms: now() - started }, 'http request');
      });
    },
  );
  server.maxHeadersCount = limits.maxHeadersCount;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'http server error'));
  const { port } = server.address() as AddressInfo;
  log.info({ host: options.host ?? '0.0.0.0', port }, 'http endpoints listening (/, /status, /metrics, /healthz)');

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The path of a request target (origin or absolute form), without the query; undefined if unparsable. */
function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://probe.invalid').pathname;
  } catch {
    return undefined;
  }
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
