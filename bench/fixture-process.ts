// The benchmark's fixture process: loopback landscapes (DNS server, TLS endpoints, test CA) built from
// plans the benchmark sends, answering over the IPC channel. It lives exactly as long as that channel:
// when the benchmark disconnects (or dies), everything is closed and the process exits.
import dgram from 'node:dgram';
import { startLandscape, type Landscape } from '../test/support/landscape.js';
import type { LandscapeInfo, LandscapePlan, Reply, Request } from './fixture-protocol.js';

const landscapes = new Map<string, Landscape>();

/**
 * Every UDP socket of this process (the landscapes' DNS servers) gets a large receive buffer. A 100-target
 * run sends its ~500 queries at once while this process is busy serving hundreds of TLS handshakes; with
 * the default 208 KiB buffer the kernel drops about a fifth of them and the probe's resends, not the code
 * being measured, then set the wall time. The DNS fixture has no option for this, hence the wrapper; the
 * kernel caps the request at net.core.rmem_max.
 */
const DNS_RECEIVE_BUFFER = 4 * 1024 * 1024;
const createSocket = dgram.createSocket.bind(dgram) as (options: dgram.SocketOptions) => dgram.Socket;
Object.assign(dgram, {
  createSocket: (type: dgram.SocketType | dgram.SocketOptions) =>
    createSocket({ ...(typeof type === 'string' ? { type } : type), recvBufferSize: DNS_RECEIVE_BUFFER }),
});

async function start(plan: LandscapePlan): Promise<LandscapeInfo> {
  const land = await startLandscape({
    ...(plan.dnsLatencyMs ? { dnsLatencyMs: plan.dnsLatencyMs } : {}),
    ...(plan.dnsPort ? { dnsPort: plan.dnsPort } : {}),
  });
  landscapes.set(plan.prefix, land);
  const targets = [];
  for (let n = 1; n <= plan.count; n++) {
    targets.push(
      await land.add({
        name: `${plan.prefix}${n}`,
        host: `${plan.prefix}${n}.privatelink.azure-devices.net`,
        address: `${plan.subnet}.${plan.first + n - 1}`,
        fixedPorts: [...plan.ports],
        ...(plan.tlsLatencyMs ? { latencyMs: plan.tlsLatencyMs } : {}),
      }),
    );
  }
  return {
    targets,
    settings: land.settings(),
    dnsServer: { address: land.dns.address, port: land.dns.port },
    caPem: land.ca.certPem,
  };
}

function landscape(prefix: string): Landscape {
  const land = landscapes.get(prefix);
  if (!land) throw new Error(`no landscape "${prefix}"`);
  return land;
}

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'start':
      return start(request.plan);
    case 'behaviour':
      for (const name of request.names) landscape(request.prefix).dns.setBehaviour(name, request.behaviour);
      return null;
    case 'queries':
      return landscape(request.prefix).dns.queries;
  }
}

process.on('message', (message: Request & { id: number }) => {
  handle(message).then(
    (value) => process.send!({ id: message.id, ok: true, value } satisfies Reply),
    (error: unknown) => process.send!({ id: message.id, ok: false, error: String(error) } satisfies Reply),
  );
});

process.once('disconnect', () => {
  void Promise.all([...landscapes.values()].map((land) => land.close())).then(() => process.exit(0));
});
