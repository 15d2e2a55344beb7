// A stalled path on loopback: a TCP relay in front of a real endpoint that carries the client's bytes in
// full but only the first `forwardBytes` of the server's, and silently discards the rest while the
// connection stays open. That is what a tunnel that drops every packet above its path MTU delivers: the
// server's small first segment, then nothing, while TCP itself stays up.
import net from 'node:net';

export interface TruncatingRelay {
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface TruncatingRelayOptions {
  /** Where the relay listens; any 127.0.0.x works on Linux. */
  host: string;
  /** The real endpoint behind it. */
  target: { host: string; port: number };
  /** Server bytes forwarded on each connection before the path "stalls". */
  forwardBytes: number;
}

export async function startTruncatingRelay(o: TruncatingRelayOptions): Promise<TruncatingRelay> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect(o.target);
    track(upstream);
    client.pipe(upstream);
    let forwarded = 0;
    // Read (and drop) everything, so the endpoint is never held back by a full buffer: its flight "left".
    upstream.on('data', (chunk: Buffer) => {
      const room = o.forwardBytes - forwarded;
      if (room <= 0) return;
      client.write(chunk.subarray(0, room));
      forwarded += Math.min(room, chunk.length);
    });
    // Either side giving up ends both, as the client's timeout would end the real connection.
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: 0 }, resolve);
  });
  return {
    host: o.host,
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
