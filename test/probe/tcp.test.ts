import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TcpConnect } from '../../src/probe/deps.js';
import { probeTcp } from '../../src/probe/tcp.js';
import { closedPort, startSilentEndpoint, type TlsEndpoint } from '../support/tls-server.js';

const realConnect: TcpConnect = (o) => net.connect(o);
const opts = (timeoutMs = 2000) => ({ timeoutMs, elapsed: () => performance.now() });

/** A connector whose socket never connects and fails with `code` on the next tick, as the kernel would. */
function failingConnect(code: string, sockets: net.Socket[] = []): TcpConnect {
  return ({ host, port }) => {
    const socket = new net.Socket();
    sockets.push(socket);
    process.nextTick(() => socket.emit('error', Object.assign(new Error(`connect ${code} ${host}:${port}`), { code })));
    return socket;
  };
}

describe('probeTcp against loopback listeners', () => {
  let listener: TlsEndpoint;
  beforeAll(async () => {
    listener = await startSilentEndpoint({ host: '127.0.0.21' });
  });
  afterAll(() => listener.close());

  it('reports ok with the address, port and a duration when the port accepts', async () => {
    const result = await probeTcp(listener.host, listener.port, realConnect, opts());
    expect(result).toMatchObject({ address: '127.0.0.21', port: listener.port, outcome: 'ok' });
    expect(result.error).toBeUndefined();
    expect(result.ms).toBeGreaterThanOrEqual(0);
  });

  it('reports refused with ECONNREFUSED when nothing listens on the port', async () => {
    const port = await closedPort('127.0.0.22');
    const result = await probeTcp('127.0.0.22', port, realConnect, opts());
    expect(result).toMatchObject({ address: '127.0.0.22', port, outcome: 'refused', error: 'ECONNREFUSED' });
  });
});

describe('probeTcp classification', () => {
  it('reports timeout (a filtered port) when the connection never completes, within timeoutMs', async () => {
    const sockets: net.Socket[] = [];
    const neverConnects: TcpConnect = () => {
      const socket = new net.Socket();
      sockets.push(socket);
      return socket;
    };
    const started = performance.now();
    const result = await probeTcp('127.0.0.23', 8883, neverConnects, opts(200));
    expect(result.outcome).toBe('timeout');
    expect(result.error).toContain('200 ms');
    expect(performance.now() - started).toBeLessThan(200 + 2000);
    expect(sockets[0]!.destroyed).toBe(true);
  });

  it.each([
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['EADDRNOTAVAIL', 'unreachable'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ECONNREFUSED', 'refused'],
    ['ETIMEDOUT', 'timeout'],
    ['EACCES', 'error'],
  ])('classifies %s as %s, keeps the code, destroys the socket and clears its timer', async (code, outcome) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const sockets: net.Socket[] = [];
      const result = await probeTcp('127.0.0.23', 443, failingConnect(code, sockets), opts());
      expect(result).toMatchObject({ outcome, error: code });
      expect(sockets[0]!.destroyed).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports a connector that throws as an error with its code instead of rejecting', async () => {
    const throwing: TcpConnect = () => {
      throw Object.assign(new Error('not allowed'), { code: 'ENETGUARD' });
    };
    await expect(probeTcp('127.0.0.23', 443, throwing, opts())).resolves.toMatchObject({
      outcome: 'error',
      error: 'ENETGUARD',
    });
  });

  it('stops at once when the signal aborts, destroying the socket', async () => {
    const sockets: net.Socket[] = [];
    const neverConnects: TcpConnect = () => {
      const socket = new net.Socket();
      sockets.push(socket);
      return socket;
    };
    const controller = new AbortController();
    const pending = probeTcp('127.0.0.23', 443, neverConnects, { ...opts(60_000), signal: controller.signal });
    controller.abort();
    await expect(pending).resolves.toMatchObject({ outcome: 'error', error: 'aborted' });
    expect(sockets[0]!.destroyed).toBe(true);
  });

  it('does not even connect when the signal is already aborted', async () => {
    const connect = vi.fn(realConnect);
    const result = await probeTcp('127.0.0.23', 443, connect, { ...opts(), signal: AbortSignal.abort() });
    expect(result).toMatchObject({ outcome: 'error', error: 'aborted' });
    expect(connect).not.toHaveBeenCalled();
  });
});
