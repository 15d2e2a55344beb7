// The network rule (tests talk only to loopback, or inside namespaces they made), made mechanical: any socket connect, UDP send or system-resolver
// query that leaves 127.0.0.0/8 / ::1 is stopped with an error *and* fails the running test.
// Namespace tests run their probes in child processes, where this guard is not loaded.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { afterEach } from 'vitest';

const violations: string[] = [];

export function isLoopbackAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackAddress(h.slice(7));
  return net.isIPv4(h) && h.startsWith('127.');
}

function refuse(what: string): Error {
  const message = `network guard: ${what} is outside 127.0.0.0/8 and ::1 (tests talk only to loopback)`;
  violations.push(message);
  return Object.assign(new Error(message), { code: 'ENETGUARD' });
}

// net.Socket#connect(options | port, host | path): tls.connect and http go through it too.
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  // net.connect() passes its normalized [options, cb] array as the first argument.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  let host: string | undefined;
  let path: string | undefined;
  if (first !== null && typeof first === 'object') {
    const o = first as { host?: string; path?: string };
    host = o.host;
    path = o.path;
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof args[1] === 'string' ? args[1] : undefined;
  } else if (typeof first === 'string') {
    path = first;
  }
  if (path === undefined && host !== undefined && !isLoopbackAddress(host)) throw refuse(`connect to ${host}`);
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

const originalSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(this: dgram.Socket, ...args: unknown[]) {
  // send(msg, [offset, length,] port, address, cb): the address is the first string argument after msg.
  const address = args.slice(1).find((a) => typeof a === 'string') as string | undefined;
  if (address !== undefined && !isLoopbackAddress(address)) throw refuse(`UDP send to ${address}`);
  return (originalSend as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;

const originalUdpConnect = dgram.Socket.prototype.connect;
dgram.Socket.prototype.connect = function guardedUdpConnect(this: dgram.Socket, ...args: unknown[]) {
  const address = typeof args[1] === 'string' ? args[1] : undefined;
  if (address !== undefined && !isLoopbackAddress(address)) throw refuse(`UDP connect to ${address}`);
  return (originalUdpConnect as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.connect;

// The machine's resolver must never be asked about made-up names: only literal addresses and localhost.
const originalLookup = dns.lookup;
const guardedLookup = function (hostname: string, ...rest: unknown[]) {
  if (!isLoopbackAddress(hostname) && net.isIP(hostname) === 0) {
    const cb = rest.find((r) => typeof r === 'function') as ((e: Error) => void) | undefined;
    const err = refuse(`system resolver query for ${hostname}`);
    if (cb) {
      process.nextTick(cb, err);
      return undefined;
    }
    throw err;
  }
  return (originalLookup as (...a: unknown[]) => unknown)(hostname, ...rest);
};
dns.lookup = guardedLookup as typeof dns.lookup;
const originalPromisesLookup = dns.promises.lookup;
dns.promises.lookup = (async (hostname: string, ...rest: unknown[]) => {
  if (!isLoopbackAddress(hostname) && net.isIP(hostname) === 0) throw refuse(`system resolver query for ${hostname}`);
  return (originalPromisesLookup as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest);
}) as typeof dns.promises.lookup;

afterEach(() => {
  if (violations.length > 0) {
    const all = violations.splice(0).join('\n');
    throw new Error(all);
  }
});
