import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTcp } from '../../src/probe/tcp.js';
import { certificateCache, createTrust, probeTls, type TlsStepOptions, type TlsTrust } from '../../src/probe/tls.js';
import type { TlsResult } from '../../src/probe/types.js';
import { portVerdict } from '../../src/probe/verdict.js';
import { DEFAULT_SETTINGS } from '../../src/probe/defaults.js';
import { createCa, TEST_ORGANIZATION, type IssueOptions, type TestCa } from '../support/pki.js';
import { closedPort, startSilentEndpoint, startTlsEndpoint, type TlsEndpoint } from '../support/tls-server.js';
import { startTruncatingRelay } from '../support/truncating-relay.js';

const PRIVATE_NAME = 'myhub.privatelink.azure-devices.net';
const PUBLIC_NAME = 'myhub.azure-devices.net';
const DAY = 86_400_000;
const HOUR = 3_600_000;

const opts = (extra: Partial<TlsStepOptions> = {}): TlsStepOptions => ({
  timeoutMs: 5000,
  elapsed: () => performance.now(),
  now: () => Date.now(),
  ...extra,
});

let ca: TestCa;
let trust: TlsTrust;
const endpoints: TlsEndpoint[] = [];

async function endpoint(host: string, cert: IssueOptions, chainPem?: string): Promise<TlsEndpoint> {
  const started = await startTlsEndpoint({ host, cert: await ca.issue(cert), chainPem });
  endpoints.push(started);
  return started;
}

beforeAll(async () => {
  ca = await createCa();
  trust = createTrust(ca.certPem);
});
afterAll(() => Promise.all(endpoints.map((e) => e.close())));

describe('probeTls with a certificate for the configured name', () => {
  it('reports ok with protocol, cipher and the certificate facts, on a non-default loopback address', async () => {
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 60 * DAY);
    const ep = await endpoint('127.0.0.21', { dnsNames: [PRIVATE_NAME, 'other.example.test'], notAfter });
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts());
    expect(result).toMatchObject({ address: '127.0.0.21', port: ep.port, servername: PRIVATE_NAME, outcome: 'ok' });
    expect(result.error).toBeUndefined();
    expect(result.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(result.cipher).toMatch(/^[A-Z0-9_-]+$/);
    expect(result.cert).toMatchObject({
      subject: `CN=${PRIVATE_NAME}, O=${TEST_ORGANIZATION}`,
      issuer: `CN=${ca.name}, O=${TEST_ORGANIZATION}`,
      sans: [PRIVATE_NAME, 'other.example.test'],
      notAfter: notAfter.toISOString(),
      chainTop: `CN=${ca.name}, O=${TEST_ORGANIZATION}`,
    });
    expect(Date.parse(result.cert!.notBefore)).toBeLessThan(Date.now());
    expect(result.azureRoot).toBe(false);
  });

  it('keeps names that contain commas whole: quoted SANs are not split, the subject escapes the comma', async () => {
    const ep = await endpoint('127.0.0.26', {
      dnsNames: [PRIVATE_NAME, 'odd,name.example.test'],
      commonName: 'Contoso, Ltd',
    });
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts());
    expect(result.outcome).toBe('ok');
    expect(result.cert!.sans).toEqual([PRIVATE_NAME, 'odd,name.example.test']);
    expect(result.cert!.subject).toBe(`CN=Contoso\\, Ltd, O=${TEST_ORGANIZATION}`);
  });

  it('counts whole days to expiry with the injected clock: 4 days 23 hours left is 4', async () => {
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 5 * DAY);
    const ep = await endpoint('127.0.0.22', { dnsNames: [PRIVATE_NAME], notAfter });
    const now = () => notAfter.getTime() - 5 * DAY + HOUR;
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts({ now }));
    expect(result.outcome).toBe('ok');
    expect(result.cert!.daysLeft).toBe(4);
  });

  it("reads a chain once per run's cache: the same facts on another port, each handshake's own days left, another chain read anew", async () => {
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 30 * DAY);
    const cert = await ca.issue({ dnsNames: [PRIVATE_NAME], notAfter });
    const [a, b] = await Promise.all([1, 2].map(() => startTlsEndpoint({ host: '127.0.0.29', cert })));
    endpoints.push(a!, b!);
    const other = await endpoint('127.0.0.29', { dnsNames: [PRIVATE_NAME, PUBLIC_NAME], commonName: 'other' });
    const certificates = certificateCache();
    const first = await probeTls(a!.host, a!.port, PRIVATE_NAME, trust, opts({ certificates }));
    const later = () => notAfter.getTime() - 10 * DAY;
    const second = await probeTls(b!.host, b!.port, PRIVATE_NAME, trust, opts({ certificates, now: later }));
    const third = await probeTls(other.host, other.port, PRIVATE_NAME, trust, opts({ certificates }));
    expect(certificates.size).toBe(2);
    expect(second.cert).toEqual({ ...first.cert, daysLeft: 10 });
    expect(first.cert!.daysLeft).toBe(29);
    expect(second.cert!.sans).not.toBe(first.cert!.sans);
    expect(third.cert).toMatchObject({
      subject: `CN=other, O=${TEST_ORGANIZATION}`,
      sans: [PRIVATE_NAME, PUBLIC_NAME],
    });
    // What a fresh read says, with no cache.
    expect(await probeTls(b!.host, b!.port, PRIVATE_NAME, trust, opts({ now: later }))).toMatchObject({
      cert: second.cert,
    });
  });

  it('verifies an IP literal against IP SANs and sends no SNI for it (no RFC 6066 warning)', async () => {
    const withIp = await endpoint('127.0.0.23', { ipAddresses: ['127.0.0.23'] });
    const withoutIp = await endpoint('127.0.0.24', { dnsNames: [PRIVATE_NAME] });
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      const ok = await probeTls(withIp.host, withIp.port, '127.0.0.23', trust, opts());
      expect(ok).toMatchObject({ outcome: 'ok', cert: { sans: ['127.0.0.23'] } });
      const mismatch = await probeTls(withoutIp.host, withoutIp.port, '127.0.0.24', trust, opts());
      expect(mismatch.outcome).toBe('hostname-mismatch');
      expect(mismatch.error).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('measures the handshake including the endpoint latency', async () => {
    const ep = await startTlsEndpoint({
      host: '127.0.0.25',
      cert: await ca.issue({ dnsNames: [PRIVATE_NAME] }),
      latencyMs: 150,
    });
    endpoints.push(ep);
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts());
    expect(result.outcome).toBe('ok');
    expect(result.ms).toBeGreaterThanOrEqual(150);
  });
});

describe('probeTls when the certificate covers the public name only', () => {
  let ep: TlsEndpoint;
  beforeAll(async () => {
    ep = await endpoint('127.0.0.31', { dnsNames: ['*.azure-devices.net'] });
  });

  it('reports hostname-mismatch, the SANs, and that the counterpart name verifies on the same endpoint', async () => {
    const before = ep.handshakes;
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts({ counterpart: PUBLIC_NAME }));
    expect(result.outcome).toBe('hostname-mismatch');
    expect(result.error).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(result.cert!.sans).toEqual(['*.azure-devices.net']);
    expect(result.counterpart).toMatchObject({ servername: PUBLIC_NAME, outcome: 'ok' });
    expect(result.counterpart!.error).toBeUndefined();
    expect(result.counterpart!.ms).toBeGreaterThanOrEqual(0);
    await vi.waitFor(() => expect(ep.handshakes).toBe(before + 2));
  });

  it('reports the counterpart mismatch too when neither name is covered', async () => {
    const result = await probeTls(
      ep.host,
      ep.port,
      'myhub.privatelink.azure-devices.cn',
      trust,
      opts({ counterpart: 'myhub.azure-devices.cn' }),
    );
    expect(result.outcome).toBe('hostname-mismatch');
    expect(result.counterpart).toMatchObject({ servername: 'myhub.azure-devices.cn', outcome: 'hostname-mismatch' });
    expect(result.counterpart!.error).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('makes no second handshake without a counterpart name', async () => {
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts());
    expect(result.outcome).toBe('hostname-mismatch');
    expect(result).not.toHaveProperty('counterpart');
  });
});

describe('probeTls chain verdicts', () => {
  it('reports expired with negative days left', async () => {
    const ep = await endpoint('127.0.0.41', {
      dnsNames: [PRIVATE_NAME],
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - 2 * DAY),
    });
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts());
    expect(result).toMatchObject({ outcome: 'expired', error: 'CERT_HAS_EXPIRED' });
    expect(result.cert!.daysLeft).toBeLessThan(0);
  });

  it('reports not-yet-valid for a notBefore in the future', async () => {
    const ep = await endpoint('127.0.0.42', { dnsNames: [PRIVATE_NAME], notBefore: new Date(Date.now() + DAY) });
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts());
    expect(result).toMatchObject({ outcome: 'not-yet-valid', error: 'CERT_NOT_YET_VALID' });
  });

  it('reports untrusted for an unknown CA and still reads the certificate', async () => {
    const ep = await endpoint('127.0.0.43', { dnsNames: [PRIVATE_NAME] });
    const withoutTestCa = createTrust();
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, withoutTestCa, opts({ counterpart: PUBLIC_NAME }));
    expect(result).toMatchObject({ outcome: 'untrusted', error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(result.cert).toMatchObject({ subject: `CN=${PRIVATE_NAME}, O=${TEST_ORGANIZATION}`, sans: [PRIVATE_NAME] });
    expect(result.azureRoot).toBe(false);
    expect(result).not.toHaveProperty('counterpart');
  });

  it('reports untrusted for a self-signed server certificate, whose chain tops out at itself', async () => {
    const selfSigned = await createCa('self-signed endpoint');
    const ep = await startTlsEndpoint({ host: '127.0.0.44', cert: selfSigned });
    endpoints.push(ep);
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts());
    expect(result).toMatchObject({ outcome: 'untrusted', error: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(result.cert!.chainTop).toBe(`CN=self-signed endpoint, O=${TEST_ORGANIZATION}`);
  });

  it('reports untrusted when the server sends an untrusted root in its chain', async () => {
    const other = await createCa('other CA');
    const ep = await startTlsEndpoint({
      host: '127.0.0.45',
      cert: await other.issue({ dnsNames: [PRIVATE_NAME] }),
      chainPem: other.certPem,
    });
    endpoints.push(ep);
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts());
    expect(result).toMatchObject({ outcome: 'untrusted', error: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(result.cert!.chainTop).toBe(`CN=other CA, O=${TEST_ORGANIZATION}`);
  });

  it('puts the chain before the name: an untrusted certificate for the wrong name is untrusted', async () => {
    const ep = await endpoint('127.0.0.46', { dnsNames: ['*.azure-devices.net'] });
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, createTrust(), opts());
    expect(result.outcome).toBe('untrusted');
  });

  it('puts the validity period before trust: an expired certificate from an unknown CA is expired', async () => {
    const ep = await endpoint('127.0.0.47', {
      dnsNames: ['*.azure-devices.net'],
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, createTrust(), opts());
    expect(result.outcome).toBe('expired');
  });

  it('sets azureRoot when the chain ends in a root with the common name of one Azure uses', async () => {
    const lookalike = await createCa('DigiCert Global Root G2');
    const ep = await startTlsEndpoint({ host: '127.0.0.48', cert: await lookalike.issue({ dnsNames: [PUBLIC_NAME] }) });
    endpoints.push(ep);
    const result = await probeTls(ep.host, ep.port, PUBLIC_NAME, createTrust(lookalike.certPem), opts());
    expect(result).toMatchObject({ outcome: 'ok', azureRoot: true });
    expect(result.cert!.chainTop).toBe(`CN=DigiCert Global Root G2, O=${TEST_ORGANIZATION}`);
  });

  it('sets azureRoot for a configured known root instead of the default list', async () => {
    const ep = await endpoint('127.0.0.49', { dnsNames: [PRIVATE_NAME] });
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts({ knownRoots: [ca.name] }));
    expect(result).toMatchObject({ outcome: 'ok', azureRoot: true });
  });
});

describe('probeTls when the handshake cannot happen', () => {
  it('reports failed with the connect error when nothing listens', async () => {
    const port = await closedPort('127.0.0.51');
    const result = await probeTls('127.0.0.51', port, PRIVATE_NAME, trust, opts());
    expect(result.outcome).toBe('failed');
    expect(result.error).toContain('ECONNREFUSED');
    expect(result.cert).toBeUndefined();
  });

  it('reports failed with the OpenSSL reason when the listener does not speak TLS', async () => {
    const plain = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume();
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.52', resolve));
    try {
      const { port } = plain.address() as net.AddressInfo;
      const result = await probeTls('127.0.0.52', port, PRIVATE_NAME, trust, opts());
      expect(result).toMatchObject({ outcome: 'failed', error: 'ERR_SSL_WRONG_VERSION_NUMBER: wrong version number' });
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('reports timeout within timeoutMs when the listener accepts TCP and never speaks TLS', async () => {
    const silent = await startSilentEndpoint({ host: '127.0.0.53' });
    endpoints.push(silent);
    const started = performance.now();
    const result = await probeTls(silent.host, silent.port, PRIVATE_NAME, trust, opts({ timeoutMs: 300 }));
    expect(result).toMatchObject({ outcome: 'timeout', bytesReceived: 0 });
    expect(result.error).toBe('TCP connected, but no TLS handshake within 300 ms');
    expect(performance.now() - started).toBeLessThan(300 + 2000);
  });

  it('stops when the signal aborts', async () => {
    const silent = await startSilentEndpoint({ host: '127.0.0.54' });
    endpoints.push(silent);
    const controller = new AbortController();
    const pending = probeTls(
      silent.host,
      silent.port,
      PRIVATE_NAME,
      trust,
      opts({ timeoutMs: 60_000, signal: controller.signal }),
    );
    setImmediate(() => controller.abort());
    await expect(pending).resolves.toMatchObject({ outcome: 'failed', error: 'aborted' });
  });
});

describe('createTrust keeps Node default store semantics', () => {
  // NODE_EXTRA_CA_CERTS is read once at process start, so this runs the probe in a child process.
  it('trusts NODE_EXTRA_CA_CERTS with and without an extra CA PEM', async () => {
    const envCa = await createCa('env CA');
    const byEnvCa = await startTlsEndpoint({
      host: '127.0.0.61',
      cert: await envCa.issue({ dnsNames: [PRIVATE_NAME] }),
    });
    const byTestCa = await endpoint('127.0.0.62', { dnsNames: [PRIVATE_NAME] });
    endpoints.push(byEnvCa);
    const dir = await mkdtemp(path.join(tmpdir(), 'plp-trust-'));
    try {
      const caFile = path.join(dir, 'env-ca.pem');
      await writeFile(caFile, envCa.certPem);
      const script = path.join(dir, 'probe.mjs');
      await build({
        stdin: {
          resolveDir: fileURLToPath(new URL('../../src/probe/', import.meta.url)),
          loader: 'ts',
          contents: `
            import { createTrust, probeTls } from './tls.js';
            const [endpoints, extraCaPem] = JSON.parse(process.argv[2]);
            const opts = { timeoutMs: 5000, elapsed: () => performance.now(), now: () => Date.now() };
            const outcomes = [];
            for (const trust of [createTrust(), createTrust(extraCaPem)])
              for (const [host, port] of endpoints)
                outcomes.push((await probeTls(host, port, '${PRIVATE_NAME}', trust, opts)).outcome);
            console.log(JSON.stringify(outcomes));`,
        },
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: script,
        logLevel: 'silent',
      });
      const args = JSON.stringify([
        [
          [byEnvCa.host, byEnvCa.port],
          [byTestCa.host, byTestCa.port],
        ],
        ca.certPem,
      ]);
      const { stdout } = await promisify(execFile)(process.execPath, [script, args], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
        timeout: 20_000,
      });
      const outcomes = JSON.parse(stdout) as TlsResult['outcome'][];
      // Default store only: the env CA is trusted, the test CA is not. With the extra PEM: both.
      expect(outcomes).toEqual(['ok', 'untrusted', 'ok', 'ok']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('probeTls on the connection the TCP step opened', () => {
  it('shakes hands on that one connection, and opens its own for the counterpart name', async () => {
    const ep = await endpoint('127.0.0.24', { dnsNames: [PUBLIC_NAME] });
    const tcpOpts = { timeoutMs: 5000, elapsed: () => performance.now() };
    const { result: tcp, socket } = await openTcp(ep.host, ep.port, (o) => net.connect(o), tcpOpts);
    expect(tcp.outcome).toBe('ok');
    const result = await probeTls(ep.host, ep.port, PRIVATE_NAME, trust, opts({ socket, counterpart: PUBLIC_NAME }));
    expect(result.outcome).toBe('hostname-mismatch');
    expect(result.counterpart).toMatchObject({ servername: PUBLIC_NAME, outcome: 'ok' });
    // Two handshakes in all: the handed-over connection's and the counterpart's own.
    await expect.poll(() => ep.handshakes).toBe(2);
  });

  it('a listener that never speaks TLS times out the handshake on the handed-over connection', async () => {
    const silent = await startSilentEndpoint({ host: '127.0.0.24' });
    endpoints.push(silent);
    const { socket } = await openTcp(silent.host, silent.port, (o) => net.connect(o), {
      timeoutMs: 1000,
      elapsed: () => performance.now(),
    });
    const result = await probeTls(silent.host, silent.port, PRIVATE_NAME, trust, opts({ socket, timeoutMs: 300 }));
    expect(result).toMatchObject({ outcome: 'timeout' });
    expect(result.error).toContain('TCP connected, but no TLS handshake within 300 ms');
    expect(socket!.destroyed).toBe(true);
  });
});

describe("probeTls on a path that delivers the server's first bytes and nothing after them", () => {
  /** The verdict an operator reads for this handshake on port 443 of a hub. */
  const verdictOf = (result: TlsResult) =>
    portVerdict(
      { host: PRIVATE_NAME, kind: 'iothub', settings: DEFAULT_SETTINGS },
      { port: 443, tcp: [{ address: result.address, port: 443, outcome: 'ok', ms: 1 }], tls: result },
    );

  let relay: Awaited<ReturnType<typeof startTruncatingRelay>>;
  beforeAll(async () => {
    const ep = await endpoint('127.0.5.1', { dnsNames: [PRIVATE_NAME] });
    relay = await startTruncatingRelay({ host: '127.0.5.2', target: ep, forwardBytes: 100 });
  });
  afterAll(() => relay.close());

  it('is stalled, with the bytes that came, on a connection of its own: TLS_STALLED names the MSS and the MTU', async () => {
    const result = await probeTls(relay.host, relay.port, PRIVATE_NAME, trust, opts({ timeoutMs: 300 }));
    expect(result).toMatchObject({ outcome: 'stalled', bytesReceived: 100 });
    expect(result.error).toBe('TCP connected and the server sent 100 bytes, then nothing more within 300 ms');
    const verdict = verdictOf(result);
    expect(verdict).toMatchObject({ code: 'TLS_STALLED', status: 'unhealthy' });
    expect(verdict.reason).toContain("stalled after the server's first 100 bytes");
    expect(verdict.reason).toContain('clamp the TCP MSS on the tunnel or lower its MTU');
  });

  it('counts the same bytes on the connection the TCP step handed over', async () => {
    const { socket } = await openTcp(relay.host, relay.port, (o) => net.connect(o), {
      timeoutMs: 1000,
      elapsed: () => performance.now(),
    });
    const result = await probeTls(relay.host, relay.port, PRIVATE_NAME, trust, opts({ socket, timeoutMs: 300 }));
    expect(result).toMatchObject({ outcome: 'stalled', bytesReceived: 100 });
    expect(socket!.destroyed).toBe(true);
  });

  it("does not count what the connection read before the handshake (a proxy's answer to CONNECT)", async () => {
    const answered = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume();
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    });
    await new Promise<void>((resolve) => answered.listen(0, '127.0.5.3', resolve));
    try {
      const { port } = answered.address() as net.AddressInfo;
      const socket = net.connect({ host: '127.0.5.3', port });
      await new Promise((resolve) => socket.once('data', resolve));
      socket.pause();
      const result = await probeTls('127.0.5.3', port, PRIVATE_NAME, trust, opts({ socket, timeoutMs: 300 }));
      expect(result).toMatchObject({ outcome: 'timeout', bytesReceived: 0 });
    } finally {
      await new Promise((resolve) => answered.close(resolve));
    }
  });

  it('is a timeout with 0 bytes when nothing came back: TLS_TIMEOUT names both a silent listener and large packets', async () => {
    const silent = await startSilentEndpoint({ host: '127.0.5.4' });
    endpoints.push(silent);
    const result = await probeTls(silent.host, silent.port, PRIVATE_NAME, trust, opts({ timeoutMs: 300 }));
    expect(result).toMatchObject({ outcome: 'timeout', bytesReceived: 0 });
    const verdict = verdictOf(result);
    expect(verdict).toMatchObject({ code: 'TLS_TIMEOUT', status: 'unhealthy' });
    expect(verdict.reason).toContain('does not speak TLS');
    expect(verdict.reason).toContain('the path drops large packets');
  });
});
