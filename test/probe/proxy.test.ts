import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TcpConnect } from '../../src/probe/deps.js';
import { connectOutcome, connectRequest, openTunnel } from '../../src/probe/proxy.js';
import { parseProxyUrl, type ProxyEndpoint } from '../../src/probe/proxy-settings.js';
import type { StepOptions } from '../../src/probe/step.js';
import { createTrust, probeTls, type TlsTrust } from '../../src/probe/tls.js';
import { startConnectProxy, type ConnectProxy, type ConnectProxyOptions } from '../support/connect-proxy.js';
import { createCa, type TestCa } from '../support/pki.js';
import { closedPort, startSilentEndpoint, startTlsEndpoint, type TlsEndpoint } from '../support/tls-server.js';

const HUB = 'myhub.azure-devices.net';
const UNKNOWN = 'otherhub.azure-devices.net';

describe('connectOutcome and connectRequest', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [302, 'denied'],
    [400, 'denied'],
    [403, 'denied'],
    [407, 'auth-required'],
    [500, 'upstream-failed'],
    [502, 'upstream-failed'],
    [504, 'upstream-failed'],
  ])('%i → %s', (status, outcome) => expect(connectOutcome(status)).toBe(outcome));

  it('asks in authority form, IPv6 in brackets, with the credentials only when there are some', () => {
    expect(connectRequest({}, HUB, 443)).toBe(`CONNECT ${HUB}:443 HTTP/1.1\r\nHost: ${HUB}:443\r\n\r\n`);
    expect(connectRequest({ authorization: 'Basic dTpw' }, 'fd00::4', 8883)).toBe(
      'CONNECT [fd00::4]:8883 HTTP/1.1\r\nHost: [fd00::4]:8883\r\nProxy-Authorization: Basic dTpw\r\n\r\n',
    );
  });
});

describe('openTunnel through a loopback proxy', () => {
  let ca: TestCa;
  let trust: TlsTrust;
  let hub: TlsEndpoint;
  const closers: Array<{ close(): Promise<void> }> = [];
  /** Every socket openTunnel asked for, to check that none is left open. */
  const opened: net.Socket[] = [];
  const connect: TcpConnect = (o) => {
    const socket = net.connect(o);
    opened.push(socket);
    return socket;
  };
  const opts = (extra: Partial<StepOptions> = {}): StepOptions => ({
    timeoutMs: 3000,
    elapsed: () => performance.now(),
    ...extra,
  });

  async function proxy(host: string, o: Partial<ConnectProxyOptions> = {}): Promise<ConnectProxy> {
    const started = await startConnectProxy({ host, names: { [HUB]: hub }, ...o });
    closers.push(started);
    return started;
  }
  const endpointOf = (p: { host: string; port: number }, userinfo = ''): ProxyEndpoint => {
    const parsed = parseProxyUrl(`http://${userinfo}${p.host}:${p.port}`);
    if (typeof parsed === 'string') throw new Error(parsed);
    return parsed;
  };
  async function rawProxy(host: string, answer: (socket: net.Socket) => void): Promise<{ host: string; port: number }> {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => answer(socket));
    });
    await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
    closers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    return { host, port: (server.address() as net.AddressInfo).port };
  }
  const lastSocketClosed = () => expect(opened.at(-1)!.destroyed).toBe(true);

  beforeAll(async () => {
    ca = await createCa();
    trust = createTrust(ca.certPem);
    hub = await startTlsEndpoint({ host: '127.0.6.10', cert: await ca.issue({ dnsNames: [HUB] }) });
    closers.push(hub);
  });
  afterAll(async () => {
    for (const socket of opened) socket.destroy();
    await Promise.all(closers.map((c) => c.close()));
  });

  it('200: hands over the tunnel, and a TLS handshake with the hub name verifies through it', async () => {
    const p = await proxy('127.0.6.1');
    const { result, socket } = await openTunnel(endpointOf(p), HUB, 443, connect, opts());
    expect(result).toEqual({ url: `http://127.0.6.1:${p.port}`, outcome: 'ok', status: 200, ms: expect.any(Number) });
    expect(socket).toBeDefined();
    const tls = await probeTls(p.host, 443, HUB, trust, { ...opts(), now: () => Date.now(), socket });
    expect(tls).toMatchObject({ servername: HUB, outcome: 'ok' });
    await vi.waitFor(() => expect(hub.handshakes).toBe(1));
    expect(p.seen).toEqual([{ target: `${HUB}:443`, headers: { host: `${HUB}:443` }, status: 200 }]);
  });

  it('407 without credentials: auth-required, with the schemes the proxy asks for; the right Basic header gets through', async () => {
    const p = await proxy('127.0.6.2', { auth: { user: 'user@corp', password: 'p:ss' } });
    const without = await openTunnel(endpointOf(p), HUB, 443, connect, opts());
    expect(without.result).toMatchObject({
      outcome: 'auth-required',
      status: 407,
      error: 'HTTP/1.1 407 Proxy Authentication Required (the proxy asks for Basic)',
    });
    expect(without.socket).toBeUndefined();
    lastSocketClosed();

    const withCredentials = endpointOf(p, 'user%40corp:p%3Ass@');
    const { result, socket } = await openTunnel(withCredentials, HUB, 443, connect, opts());
    socket?.destroy();
    expect(result).toMatchObject({ url: `http://127.0.6.2:${p.port}`, outcome: 'ok', status: 200 });
    const basic = `Basic ${Buffer.from('user@corp:p:ss').toString('base64')}`;
    expect(p.seen.map((s) => [s.status, s.headers['proxy-authorization']])).toEqual([
      [407, undefined],
      [200, basic],
    ]);

    const wrong = await openTunnel(endpointOf(p, 'user%40corp:nope@'), HUB, 443, connect, opts());
    expect(wrong.result.outcome).toBe('auth-required');
  });

  it('403 from the proxy policy: denied, with the status line', async () => {
    const p = await proxy('127.0.6.3', { deny: (host) => host === HUB });
    const { result, socket } = await openTunnel(endpointOf(p), HUB, 443, connect, opts());
    expect(result).toMatchObject({ outcome: 'denied', status: 403, error: 'HTTP/1.1 403 Forbidden' });
    expect(socket).toBeUndefined();
    lastSocketClosed();
  });

  it.each([
    [502, '127.0.6.4'],
    [500, '127.0.6.5'],
  ])('a name the proxy cannot resolve: upstream-failed with %i', async (status, host) => {
    const p = await proxy(host, { unresolvedStatus: status });
    const { result } = await openTunnel(endpointOf(p), UNKNOWN, 443, connect, opts());
    expect(result).toMatchObject({ outcome: 'upstream-failed', status });
    expect(result.error).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(p.seen).toEqual([{ target: `${UNKNOWN}:443`, headers: { host: `${UNKNOWN}:443` }, status }]);
    lastSocketClosed();
  });

  it('a target the proxy resolves but cannot reach: upstream-failed', async () => {
    const p = await proxy('127.0.6.6', {
      names: { [HUB]: { host: '127.0.6.11', port: await closedPort('127.0.6.11') } },
    });
    const { result } = await openTunnel(endpointOf(p), HUB, 443, connect, opts());
    expect(result).toMatchObject({ outcome: 'upstream-failed', status: 502 });
  });

  it('nothing listening on the proxy port: unreachable ECONNREFUSED', async () => {
    const port = await closedPort('127.0.6.7');
    const { result, socket } = await openTunnel(endpointOf({ host: '127.0.6.7', port }), HUB, 443, connect, opts());
    expect(result).toEqual({
      url: `http://127.0.6.7:${port}`,
      outcome: 'unreachable',
      ms: expect.any(Number),
      error: 'ECONNREFUSED',
    });
    expect(socket).toBeUndefined();
  });

  it('a proxy that accepts TCP and never answers: unreachable within timeoutMs', async () => {
    const silent = await startSilentEndpoint({ host: '127.0.6.8' });
    closers.push(silent);
    const { result } = await openTunnel(endpointOf(silent), HUB, 443, connect, opts({ timeoutMs: 300 }));
    expect(result).toMatchObject({ outcome: 'unreachable', error: 'no answer within 300 ms' });
    expect(result.ms).toBeGreaterThanOrEqual(290);
    expect(result.ms).toBeLessThan(1500);
    lastSocketClosed();
  });

  it('abort: settles promptly and closes the connection', async () => {
    const silent = await startSilentEndpoint({ host: '127.0.6.9' });
    closers.push(silent);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const { result } = await openTunnel(endpointOf(silent), HUB, 443, connect, opts({ signal: controller.signal }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ outcome: 'unreachable', error: 'aborted' });
    lastSocketClosed();
    const before = opened.length;
    expect(
      (await openTunnel(endpointOf(silent), HUB, 443, connect, opts({ signal: controller.signal }))).result.error,
    ).toBe('aborted');
    expect(opened).toHaveLength(before);
  });

  it('something that is not an HTTP proxy: unreachable, showing its first bytes', async () => {
    const ssh = await rawProxy('127.0.6.12', (s) => s.write('SSH-2.0-OpenSSH_9.6\r\n'));
    const { result } = await openTunnel(endpointOf(ssh), HUB, 443, connect, opts());
    expect(result).toMatchObject({ outcome: 'unreachable', error: 'not an HTTP answer: "SSH-2.0-OpenSSH_"…' });
    expect(result.status).toBeUndefined();
    lastSocketClosed();
  });

  it('a proxy that hangs up without a status line: unreachable', async () => {
    const rude = await rawProxy('127.0.6.13', (s) => s.end());
    expect((await openTunnel(endpointOf(rude), HUB, 443, connect, opts())).result).toMatchObject({
      outcome: 'unreachable',
      error: 'the proxy closed the connection without answering',
    });
    const cut = await rawProxy('127.0.6.14', (s) => s.end('HTTP/1.1 200 Conn'));
    expect((await openTunnel(endpointOf(cut), HUB, 443, connect, opts())).result).toMatchObject({
      outcome: 'unreachable',
      error: 'the proxy closed the connection in the middle of its answer',
    });
  });

  it('an answer split across packets, with bytes after the head handed over in the socket', async () => {
    const split = await rawProxy('127.0.6.15', (s) => {
      s.write('HTT');
      setTimeout(() => s.write('P/1.1 200 Connection established\r'), 20);
      setTimeout(() => s.write('\n\r\nearly'), 40);
    });
    const { result, socket } = await openTunnel(endpointOf(split), HUB, 443, connect, opts());
    expect(result).toMatchObject({ outcome: 'ok', status: 200 });
    const early = new Promise<Buffer>((resolve) => socket!.once('data', resolve));
    socket!.resume();
    expect((await early).toString()).toBe('early');
    socket!.destroy();
  });

  it('refuses a target that would split the request line, without connecting', async () => {
    const before = opened.length;
    const { result } = await openTunnel(
      endpointOf({ host: '127.0.6.16', port: 9 }),
      `${HUB}\r\nX: y`,
      443,
      connect,
      opts(),
    );
    expect(result).toMatchObject({ outcome: 'unreachable', error: 'not a host and port to CONNECT to' });
    expect(opened).toHaveLength(before);
  });
});
