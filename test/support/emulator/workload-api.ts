// The aziot workload API as a module sees it through IOTEDGE_WORKLOADURI: the trust bundle (edgeHub's CA)
// and HMAC signing with the module's key, which the SDK uses to mint its SAS token
// (azure-iot-device iotedge_authentication_provider). Served over HTTP on a unix socket (what IoT Edge
// does: unix:///var/run/iotedge/workload.sock) or on a loopback TCP port; the SDK accepts both.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hmacSha256Base64 } from './module-auth.js';

export interface WorkloadApiOptions {
  moduleId: string;
  generationId: string;
  moduleKey: string;
  trustBundlePem: string;
  /** A unix socket path, or a loopback host to listen on with an ephemeral port. */
  listen: { socketPath: string } | { host: string };
}

export interface WorkloadApi {
  /** The value for IOTEDGE_WORKLOADURI. */
  uri: string;
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  // The SDK parses the body only when Content-Type says JSON; without it the trust bundle is silently dropped.
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(options: WorkloadApiOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://workload');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(url.searchParams.get('api-version') ?? '')) {
    reply(res, 400, { message: 'missing or malformed api-version' });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/trust-bundle') {
    reply(res, 200, { certificate: options.trustBundlePem });
    return;
  }
  const sign = /^\/modules\/([^/]+)\/genid\/([^/]+)\/sign$/.exec(url.pathname);
  if (req.method === 'POST' && sign) {
    const [, moduleId, generationId] = sign.map((part) => decodeURIComponent(part));
    if (moduleId !== options.moduleId || generationId !== options.generationId) {
      reply(res, 404, { message: `module ${moduleId} with generation ${generationId} not found` });
      return;
    }
    let request: { keyId?: unknown; algo?: unknown; data?: unknown };
    try {
      request = JSON.parse(await readBody(req)) as typeof request;
    } catch {
      reply(res, 400, { message: 'request body is not JSON' });
      return;
    }
    if (request.keyId !== 'primary' || request.algo !== 'HMACSHA256' || typeof request.data !== 'string') {
      reply(res, 400, { message: 'expected {"keyId":"primary","algo":"HMACSHA256","data":"<base64>"}' });
      return;
    }
    reply(res, 200, { digest: hmacSha256Base64(options.moduleKey, Buffer.from(request.data, 'base64')) });
    return;
  }
  reply(res, 404, { message: `no route for ${req.method ?? ''} ${url.pathname}` });
}

export async function startWorkloadApi(options: WorkloadApiOptions): Promise<WorkloadApi> {
  const server = http.createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => reply(res, 500, { message: String(err) }));
  });
  const listen = options.listen;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('socketPath' in listen) server.listen(listen.socketPath, resolve);
    else server.listen(0, listen.host, resolve);
  });
  let uri: string;
  if ('socketPath' in listen) {
    uri = `unix://${listen.socketPath}`;
  } else {
    const { address, port } = server.address() as AddressInfo;
    uri = `http://${address.includes(':') ? `[${address}]` : address}:${port}/`;
  }
  return {
    uri,
    close: () =>
      new Promise<void>((resolve) => {
        // The SDK's requests use Node's keep-alive agent: idle sockets must be closed too.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
