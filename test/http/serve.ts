// The local endpoints on loopback for the tests that read them (metrics, the page in a browser): a given
// snapshot, a fixed clock, nothing logged.
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import type { ModuleSnapshot } from '../../src/report/snapshot.js';

export function serveSnapshot(snapshot: () => ModuleSnapshot, now?: () => number): Promise<HttpServer> {
  return startHttpServer({
    port: 0,
    host: '127.0.0.1',
    snapshot,
    healthy: () => true,
    log: createLogger({ level: 'silent' }),
    ...(now ? { now } : {}),
  });
}
