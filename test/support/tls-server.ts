// Stand-ins for private endpoints (real parts, not mocks): real TCP and TLS listeners on
// 127.0.0.x, shared by the TLS tests, the benchmark and the demo. Linux routes all of 127.0.0.0/8 to
// loopback, so each endpoint can have an address of its own, like the private endpoints it imitates.
import net from 'node:net';
import tls from 'node:tls';
import type { Issued } from './pki.js';

export interface TlsEndpoint {
  host: string;
  port: number;
  close(): Promise<void>;
  /** Handshakes completed so far (always 0 for a silent endpoint). */
  readonly handshakes: number;
}

export interface TlsEndpointOptions {
  /** Default 127.0.0.1; any 127.0.0.x works on Linux. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  cert: Issued;
  /** Intermediate certificates sent after the leaf. */
  chainPem?: string;
  /** Delay before the handshake starts, as a distant endpoint would have (for the benchmark). */
  latencyMs?: number;
}

/** A TLS listener that completes the handshake, then ends the connection cleanly. */
export async function startTlsEndpoint(o: TlsEndpointOptions): Promise<TlsEndpoint> {
  let handshakes = 0;
  const cert = o.chainPem ? `${o.cert.certPem.trimEnd()}\n${o.chainPem}` : o.cert.certPem;
  const tlsServer = tls.createServer({ key: o.cert.keyPem, cert }, (socket) => {
    handshakes++;
    socket.on('error', ignore);
    socket.end();
  });
  // Clients hang up as soon as they have verified (or failed to verify) the server: not a server fault.
  tlsServer.on('tlsClientError', ignore);
  // Raw TCP is accepted first and handed to the TLS server after the latency: the ClientHello waits
  // unread in the paused socket meanwhile, so the delay is in the handshake, not in the TCP connect.
  const endpoint = await listen(o.host, o.port, (socket) => {
    const handOver = () => {
      if (!socket.destroyed) tlsServer.emit('connection', socket);
    };
    if (o.latencyMs) setTimeout(handOver, o.latencyMs);
    else handOver();
  });
  return {
    ...endpoint,
    get handshakes() {
      return handshakes;
    },
  };
}

/** Accepts TCP and never speaks TLS: a handshake against it can only time out. */
export function startSilentEndpoint(o: { host?: string; port?: number } = {}): Promise<TlsEndpoint> {
  // Reads and discards, so it sees the client's FIN and lets the connection go when the client gives up.
  return listen(o.host, o.port, (socket) => socket.resume());
}

/** A port on which nothing listens: bound, read and closed again. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const endpoint = await listen(host, 0, () => undefined);
  await endpoint.close();
  return endpoint.port;
}

async function listen(host = '127.0.0.1', port = 0, onSocket: (socket: net.Socket) => void): Promise<TlsEndpoint> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', ignore);
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, resolve);
  });
  const address = server.address() as net.AddressInfo;
  return {
    host,
    port: address.port,
    handshakes: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function ignore(): void {}
