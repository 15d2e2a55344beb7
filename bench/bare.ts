// The baseline: the engine's work done with bare Node primitives and nothing else. Per target, the same
// four DNS questions the engine asks (A and AAAA for the name and for its public counterpart) to the same
// loopback server; then, per port and all at once, a TCP connect that is closed at once and a verified TLS
// handshake (chain against one shared secure context, name with `checkServerIdentity`) to the name's A
// address, closed politely as the engine closes it.
import net from 'node:net';
import tls from 'node:tls';
import type { StringAnswer } from 'dns-packet';
import { ask } from './bare-dns.js';

export interface BareTarget {
  host: string;
  counterpart: string;
  ports: number[];
}

export interface BareSetup {
  dnsServer: { address: string; port: number };
  caPem: string;
  timeoutMs: number;
}

/** Resolves with the number of verified handshakes; rejects on the first failure (the baseline must do all the work). */
export async function runBare(targets: readonly BareTarget[], setup: BareSetup): Promise<number> {
  // Built per run, as the engine builds its trust per run.
  const secureContext = tls.createSecureContext({ ca: setup.caPem });
  const done = await Promise.all(
    targets.map(async (target) => {
      const [a, ...others] = await ask(
        setup.dnsServer,
        [
          { name: target.host, type: 'A' },
          { name: target.host, type: 'AAAA' },
          { name: target.counterpart, type: 'A' },
          { name: target.counterpart, type: 'AAAA' },
        ],
        setup.timeoutMs,
      );
      const failed = [a!, ...others].find((r) => (r.rcode ?? 'NOERROR') !== 'NOERROR');
      if (failed) throw new Error(`DNS ${failed.questions?.[0]?.name}: ${failed.rcode}`);
      const address = a!.answers?.find((r): r is StringAnswer => r.type === 'A')?.data;
      if (!address) throw new Error(`DNS ${target.host}: no A record`);
      await Promise.all(
        target.ports.map(async (port) => {
          await connectTcp(address, port);
          await handshake(address, port, target.host, secureContext);
        }),
      );
      return target.ports.length;
    }),
  );
  return done.reduce((sum, n) => sum + n, 0);
}

function connectTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

function handshake(host: string, port: number, servername: string, secureContext: tls.SecureContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername, secureContext, checkServerIdentity: tls.checkServerIdentity });
    socket.once('secureConnect', () => {
      socket.end(() => socket.destroy());
      resolve();
    });
    socket.on('error', reject);
  });
}
