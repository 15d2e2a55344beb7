import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TcpConnect } from '../../src/probe/deps.js';
import { connectOutcome, connectRequest, openTunnel } from '../../src/probe/proxy.js';
import { parseProxyUrl, type ProxyEndpoint } from '../../src/probe/proxy-settings.js';
import { createHeadReader, MAX_HEAD_BYTES, type HeadRead } from '../../src/probe/proxy-wire.js';
import type { StepOptions } from '../../src/probe/step.js';
import { createTrust, probeTls, type TlsTrust } from '../../src/probe/tls.js';
import { startConnectProxy, type ConnectProxy, type ConnectProxyOptions } from '../support/connect-proxy.js';
import { createCa, type TestCa } from '../support/pki.js';
import { closedPort, startSilentEndpoint, startTlsEndpoint, type TlsEndpoint } from '../support/tls-server.js';

const HUB = 'myhub.azure-devices.net';
const UNKNOWN = 'otherhub.azure-devices.net';

/**
 * Feeds the chunks in order until the first verdict; `fed` counts the bytes that took, `tunnel` is what the
 * tunnel gets after a head: the head's `rest` and the chunks never fed.
 */
function read(chunks: Array<string | Buffer>, limit?: number): { answer: HeadRead; fed: number; tunnel: string } {
  const reader = createHeadReader(limit);
  const buffers = chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk));
  let answer: HeadRead = { state: 'more' };
  let fed = 0;
  for (const [i, bytes] of buffers.entries()) {
    fed += bytes.length;
    answer = reader(bytes);
    if (answer.state === 'head') {
      return { answer, fed, tunnel: Buffer.concat([answer.rest, ...buffers.slice(i + 1)]).toString('latin1') };
    }
    if (answer.state === 'bad') break;
  }
  return { answer, fed, tunnel: '' };
}

function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((from, i) => text.slice(from, points[i] ?? text.length));
}

describe('the CONNECT response head', () => {
  const squid = 'HTTP/1.1 200 Connection established\r\n\r\n';

  it('reads a status, headers and nothing after the head', () => {
    const { answer } = read([
      'HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n',
    ]);
    expect(answer).toEqual({
      state: 'head',
      status: 407,
      statusLine: 'HTTP/1.0 407 Proxy Authentication Required',
      headers: [{ name: 'proxy-authenticate', value: 'Basic realm="x"' }],
      rest: Buffer.alloc(0),
    });
  });

  it('gives the same head however the bytes are split, and keeps what follows for the tunnel', () => {
    const text = `${squid}\x16\x03\x01tunnel bytes`;
    for (let cut = 0; cut <= text.length; cut++) {
      const { answer, tunnel } = read([text.slice(0, cut), text.slice(cut)]);
      expect(answer).toMatchObject({ state: 'head', status: 200, statusLine: 'HTTP/1.1 200 Connection established' });
      expect(tunnel).toBe('\x16\x03\x01tunnel bytes');
    }
    expect(read([...squid]).answer).toMatchObject({ state: 'head', status: 200 });
  });

  it('skips interim 1xx heads, accepts bare LF line ends and a status line without a reason', () => {
    expect(read(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n']).answer).toMatchObject({ status: 200 });
    expect(read(['HTTP/1.0 503 Service Unavailable\nServer: x\n\n']).answer).toMatchObject({
      status: 503,
      headers: [{ name: 'server', value: 'x' }],
    });
    expect(read(['HTTP/1.1 502\r\n\r\n']).answer).toMatchObject({ status: 502, statusLine: 'HTTP/1.1 502' });
  });

  it('refuses bytes that cannot start an HTTP answer at the first wrong byte, showing them', () => {
    expect(read(['SSH-2.0-OpenSSH_9.6\r\n']).answer).toEqual({
      state: 'bad',
      reason: 'not an HTTP answer: SSH-2.0-OpenSSH_...',
    });
    expect(read([Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])]).answer).toEqual({
      state: 'bad',
      reason: 'not an HTTP answer: \\x15\\x03\\x03\\x00\\x02\\x02(',
    });
    expect(read(['HT', 'TX']).answer).toMatchObject({ state: 'bad' });
    expect(read(['HTTP/1.1 abc\r\n\r\n']).answer).toEqual({
      state: 'bad',
      reason: 'not an HTTP status line: HTTP/1.1 abc',
    });
  });

  it('strips control characters from the status line and bounds it', () => {
    const { answer } = read([`HTTP/1.1 403 Den\x1b[31mied${'!'.repeat(400)}\r\n\r\n`]);
    expect(answer).toMatchObject({ status: 403 });
    const line = (answer as { statusLine: string }).statusLine;
    expect(line).toMatch(/^HTTP\/1\.1 403 Den\[31mied!+\.\.\.$/);
    expect(line).toHaveLength(200);
  });

  it(`gives up on a head that has not ended within ${MAX_HEAD_BYTES} bytes, counting interim heads`, () => {
    const header = `X: ${'a'.repeat(100)}\r\n`;
    const endless = ['HTTP/1.1 200 OK\r\n', ...Array.from({ length: 100 }, () => header)];
    const { answer, fed } = read(endless);
    expect(answer).toEqual({ state: 'bad', reason: `no complete response head within ${MAX_HEAD_BYTES} bytes` });
    expect(fed).toBeLessThan(MAX_HEAD_BYTES + header.length);
    const interim = 'HTTP/1.1 100 Continue\r\n\r\n';
    expect(read([interim.repeat(400), squid]).answer).toMatchObject({ state: 'bad' });
    const exact = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES - 24)}\r\n\r\n`;
    expect(exact).toHaveLength(MAX_HEAD_BYTES);
    expect(read([exact]).answer).toMatchObject({ state: 'head' });
    expect(read([`${exact.slice(0, -4)}a\r\n\r\n`]).answer).toMatchObject({ state: 'bad' });
  });

  it('never throws on arbitrary bytes in arbitrary chunks, and never waits past the bound', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 40 }), (arrays) => {
        const { answer, fed } = read(arrays.map((a) => Buffer.from(a)));
        if (answer.state === 'more') expect(fed).toBeLessThan(MAX_HEAD_BYTES);
        if (answer.state === 'bad') expect(answer.reason.length).toBeLessThanOrEqual(260);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads a well-formed head the same in any chunking, with everything after it kept', () => {
    const head = fc
      .tuple(
        fc.constantFrom('HTTP/1.0', 'HTTP/1.1'),
        fc.integer({ min: 200, max: 599 }),
        fc.stringMatching(/^[A-Za-z ]{0,30}$/),
        fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), fc.stringMatching(/^[!-~]{0,40}$/)), {
          maxLength: 6,
        }),
      )
      .map(([version, status, reason, headers]) => ({
        status,
        text: `${version} ${status} ${reason}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`,
      }));
    fc.assert(
      fc.property(head, fc.uint8Array({ maxLength: 100 }), fc.array(fc.nat(), { maxLength: 8 }), (h, after, cuts) => {
        const whole = Buffer.concat([Buffer.from(h.text, 'latin1'), after]).toString('latin1');
        const { answer, tunnel } = read(splitAt(whole, cuts));
        expect(answer).toMatchObject({ state: 'head', status: h.status });
        expect(tunnel).toBe(Buffer.from(after).toString('latin1'));
      }),
    );
  });
});

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
    expect(result).toMatchObject({ outcome: 'unreachable', error: 'not an HTTP answer: SSH-2.0-OpenSSH_...' });
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
