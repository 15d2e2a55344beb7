// A TCP port that is free right now, for a child process that must be told its port up front (the module's
// METRICS_PORT: 0 there means "disabled", not "pick one"). The port is released before it is returned, so
// another process could take it in between; the kernel hands ephemeral ports out in turn, which makes
// that unlikely, and a taken port fails the module's listen loudly rather than silently.
import net from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
