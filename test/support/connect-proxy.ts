// A loopback HTTP CONNECT proxy (RFC 9110 §9.3.6), standing in for the factory's squid or tinyproxy. It
// resolves CONNECT targets from its own map, never with the machine's resolver, which is the point of a
// proxied network: the proxy's DNS, not the device's, decides where a name leads. It connects only to the
// loopback addresses in that map and records every CONNECT it saw, so tests can assert what was sent.
import http from 'node:http';
import net from 'node:net';

export interface ConnectProxyOptions {
  /** Default 127.0.6.1. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** The proxy's own DNS: CONNECT target name (any case) → where it really connects. Loopback only. */
  names: Record<string, { host: string; port: number }>;
  /** The status for a name not in `names`, or a target that refuses: 502 as squid (default), 500 as tinyproxy. */
  unresolvedStatus?: number;
  /** Credentials the proxy demands (Basic); without the right `Proxy-Authorization` it answers 407. */
  auth?: { user: string; password: string };
  /** Targets the proxy's policy refuses with 403. */
  deny?: (host: string, port: number) => boolean;
}

export interface SeenConnect {
  /** The request target as sent, `host:port` or `[v6]:port`. */
  target: string;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  /** What the proxy answered. */
  status: number;
}

export interface ConnectProxy {
  host: string;
  port: number;
  /** `http://host:port`. */
  url: string;
  readonly seen: readonly SeenConnect[];
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  200: 'Connection established',
  400: 'Bad Request',
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  500: 'Unable to connect',
  502: 'Bad Gateway',
};

export async function startConnectProxy(o: ConnectProxyOptions): Promise<ConnectProxy> {
  const names = new Map(Object.entries(o.names).map(([name, to]) => [name.toLowerCase(), to]));
  for (const to of names.values()) {
    if (!net.isIPv4(to.host) || !to.host.startsWith('127.'))
      throw new Error(`connect-proxy maps only to 127.0.0.0/8, not ${to.host}`);
  }
  const expected = o.auth && `Basic ${Buffer.from(`${o.auth.user}:${o.auth.password}`, 'utf8').toString('base64')}`;
  const seen: SeenConnect[] = [];
  const sockets = new Set<net.Socket>();

  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    client.on('error', ignore);
    const target = req.url ?? '';
    const record = (status: number) => seen.push({ target, headers: lastValues(req.rawHeaders), status });
    const answer = (status: number, extra: string[] = []) => {
      record(status);
      const lines = [
        `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
        ...extra,
        'Content-Length: 0',
        'Connection: close',
      ];
      client.end(`${lines.join('\r\n')}\r\n\r\n`);
    };
    const parsed = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(target);
    if (!parsed) return answer(400);
    const name = (parsed[1] ?? parsed[2]!).toLowerCase();
    const port = Number(parsed[3]);
    if (expected && req.headers['proxy-authorization'] !== expected) {
      return answer(407, ['Proxy-Authenticate: Basic realm="connect-proxy"']);
    }
    if (o.deny?.(name, port)) return answer(403);
    const to = names.get(name);
    if (!to) return answer(o.unresolvedStatus ?? 502);
    const upstream = net.connect({ host: to.host, port: to.port });
    sockets.add(upstream);
    upstream.once('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.once('close', () => upstream.destroy());
    let established = false;
    // Before the tunnel is up, a target that refuses is the proxy's failure to reach it; after, just a close.
    upstream.on('error', () => {
      if (!established && !client.destroyed) answer(o.unresolvedStatus ?? 502);
    });
    upstream.once('connect', () => {
      established = true;
      record(200);
      client.write(`HTTP/1.1 200 ${REASONS[200]}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
  });

  const host = o.host ?? '127.0.6.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: o.port ?? 0 }, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function lastValues(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return headers;
}

function ignore(): void {}
