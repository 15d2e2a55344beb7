// The service exchange against real loopback TLS endpoints (test/support/tls-server.ts). The endpoints
// listen on random ports; each test names the port whose exchange it emulates when it calls probeService.
import net from 'node:net';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService, servicePath, serviceProtocol } from '../../src/probe/service.js';
import { openTcp } from '../../src/probe/tcp.js';
import { createTrust, openTls, type TlsTrust } from '../../src/probe/tls.js';
import type { Kind, ServiceResult } from '../../src/probe/types.js';
import { createCa, type TestCa } from '../support/pki.js';
import { startTlsEndpoint, type TlsEndpoint, type TlsEndpointOptions } from '../support/tls-server.js';

const HUB = 'myhub.privatelink.azure-devices.net';
const HOUR = 3_600_000;

let ca: TestCa;
let trust: TlsTrust;
const endpoints: TlsEndpoint[] = [];
let nextAddress = 1;

beforeAll(async () => {
  ca = await createCa();
  trust = createTrust(ca.certPem);
});
afterAll(() => Promise.all(endpoints.map((e) => e.close())));

/** An endpoint on an address of its own in 127.0.4.1–127.0.4.40. */
async function endpoint(o: Omit<TlsEndpointOptions, 'cert' | 'host'> = {}): Promise<TlsEndpoint> {
  if (nextAddress > 40) throw new Error('out of test addresses');
  const host = `127.0.4.${nextAddress++}`;
  const started = await startTlsEndpoint({ host, cert: await ca.issue({ dnsNames: [HUB] }), ...o });
  endpoints.push(started);
  return started;
}

const stepOpts = (extra: { timeoutMs?: number; signal?: AbortSignal; now?: () => number } = {}) => ({
  timeoutMs: 5000,
  elapsed: () => performance.now(),
  now: () => Date.now(),
  ...extra,
});

/** A verified TLS connection to the endpoint, as the run hands it to the service step. */
async function verified(ep: TlsEndpoint): Promise<tls.TLSSocket> {
  const { socket: tcp } = await openTcp(ep.host, ep.port, (o) => net.connect(o), stepOpts());
  const { result, socket } = await openTls(ep.host, ep.port, HUB, trust, { ...stepOpts(), socket: tcp });
  expect(result.outcome).toBe('ok');
  return socket!;
}

/** Runs the exchange for `port` on a fresh connection; also checks the connection is closed afterwards. */
async function exchange(
  ep: TlsEndpoint,
  kind: Kind,
  port: number,
  o: Parameters<typeof stepOpts>[0] = {},
): Promise<ServiceResult> {
  const socket = await verified(ep);
  const result = await probeService(socket, HUB, kind, port, stepOpts(o));
  await expect.poll(() => socket.destroyed, { timeout: 2000 }).toBe(true);
  return result;
}

/** The MQTT CONNECT's connect flags byte, after the fixed header and the protocol name and level. */
function connectFlags(packet: Buffer): number {
  let i = 1;
  while (packet[i]! & 0x80) i++;
  return packet[i + 1 + 6 + 1]!;
}

describe('serviceProtocol and servicePath', () => {
  it('knows MQTT on 8883, AMQP on 5671 and HTTPS on 443, 8443 and 5986, nothing else', () => {
    expect([8883, 5671, 443, 8443, 5986, 636, 853, 9999].map(serviceProtocol)).toEqual([
      'mqtt',
      'amqp',
      'https',
      'https',
      'https',
      undefined,
      undefined,
      undefined,
    ]);
    expect(servicePath('acr')).toBe('/v2/');
    expect(servicePath('blob')).toBe('/?comp=list');
    expect(servicePath('iothub')).toBe('/devices?api-version=2021-04-12');
    expect(servicePath('dps')).toBe('/');
  });
});

describe('MQTT on 8883', () => {
  it('is ok on the CONNACK 5 an IoT Hub gives a CONNECT without a password, and sent no password', async () => {
    const ep = await endpoint();
    const result = await exchange(ep, 'iothub', 8883);
    expect(result).toMatchObject({ protocol: 'mqtt', outcome: 'ok', detail: 'CONNACK 5' });
    expect(result.ms).toBeGreaterThanOrEqual(0);
    expect(result.clockOffsetSeconds).toBeUndefined();
    const sent = ep.received[0]!;
    expect(sent[0]).toBe(0x10);
    expect(connectFlags(sent) & 0x40).toBe(0); // password flag
    expect(connectFlags(sent)).toBe(0x82);
    expect(sent.toString('latin1')).toMatch(/privatelink-probe-[0-9a-f]{8}/);
    // The payload ends with the user name: no password field follows it.
    expect(sent.toString('latin1').endsWith(`${HUB}/privatelink-probe`)).toBe(true);
  });

  it('is blocked within timeoutMs when nothing answers after TLS', async () => {
    const ep = await endpoint({ service: 'silent' });
    const started = performance.now();
    const result = await exchange(ep, 'iothub', 8883, { timeoutMs: 300 });
    expect(result).toMatchObject({ outcome: 'blocked', detail: 'no answer within 300 ms' });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(ep.received[0]![0]).toBe(0x10);
  });

  it('is blocked when the connection is reset after the CONNECT', async () => {
    const ep = await endpoint({ service: 'reset' });
    const result = await exchange(ep, 'dps', 8883);
    expect(result).toMatchObject({ outcome: 'blocked', detail: 'reset after the request (ECONNRESET)' });
  });

  it('is foreign on bytes that are not MQTT', async () => {
    const ep = await endpoint({ service: 'garbage' });
    const result = await exchange(ep, 'iothub', 8883);
    expect(result).toMatchObject({ outcome: 'foreign', detail: 'bytes 00 ff 13 37 80 7f 01 fe instead of a CONNACK' });
  });
});

describe('AMQP on 5671', () => {
  it('is ok on the AMQP header back', async () => {
    const ep = await endpoint();
    const result = await exchange(ep, 'eventhub', 5671);
    expect(result).toMatchObject({ protocol: 'amqp', outcome: 'ok', detail: 'AMQP header 3 1.0.0' });
    expect([...ep.received[0]!]).toEqual([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
  });

  it('is foreign when a web server answers it', async () => {
    const ep = await endpoint({ service: 'http-anything' });
    const result = await exchange(ep, 'iothub', 5671);
    expect(result).toMatchObject({
      protocol: 'amqp',
      outcome: 'foreign',
      detail: 'HTTP/1.1 400 Bad Request instead of an AMQP header',
    });
  });
});

describe('HTTPS on 443', () => {
  it("is ok on Azure's 401 with its headers, and sent no credential", async () => {
    const ep = await endpoint();
    const result = await exchange(ep, 'iothub', 443);
    expect(result).toMatchObject({ protocol: 'https', outcome: 'ok', detail: 'HTTP 401 x-ms-request-id' });
    const request = ep.received[0]!.toString('latin1');
    expect(request).toMatch(/^GET \/devices\?api-version=2021-04-12 HTTP\/1\.1\r\n/);
    expect(request).toContain(`\r\nHost: ${HUB}\r\n`);
    expect(request.toLowerCase()).not.toMatch(/authorization|cookie|sharedaccesssignature|\bsig=/);
    // The endpoint's clock is ours: well within the Date header's one-second resolution.
    expect(Math.abs(result.clockOffsetSeconds!)).toBeLessThanOrEqual(2);
  });

  it('is foreign on a block page, with its status line and Server', async () => {
    const ep = await endpoint({ service: 'foreign-http' });
    const result = await exchange(ep, 'blob', 443);
    expect(result).toMatchObject({ outcome: 'foreign', detail: 'HTTP 403 Forbidden, Server: FortiGate' });
    expect(result.clockOffsetSeconds).toBeUndefined();
    expect(ep.received[0]!.toString('latin1')).toMatch(/^GET \/\?comp=list HTTP\/1\.1\r\n/);
  });

  it("is ok for a custom target's answer without Azure's headers", async () => {
    const ep = await endpoint({ service: 'foreign-http' });
    const result = await exchange(ep, 'custom', 8443);
    expect(result).toMatchObject({ outcome: 'ok', detail: 'HTTP 403' });
    expect(ep.received[0]!.toString('latin1')).toContain(`\r\nHost: ${HUB}:8443\r\n`);
  });

  it('reads the clock offset from Date, half the round trip taken off', async () => {
    const ep = await endpoint({ dateOffsetMs: 3 * HOUR });
    const result = await exchange(ep, 'acr', 443);
    expect(result.outcome).toBe('ok');
    expect(result.clockOffsetSeconds).toBeGreaterThanOrEqual(10_798);
    expect(result.clockOffsetSeconds).toBeLessThanOrEqual(10_802);
    // The same answer read by a device whose clock is 3 hours ahead: no offset left.
    const ahead = await exchange(ep, 'acr', 443, { now: () => Date.now() + 3 * HOUR });
    expect(Math.abs(ahead.clockOffsetSeconds!)).toBeLessThanOrEqual(2);
  });

  it('is blocked when the connection is closed after the request without an answer', async () => {
    const ep = await endpoint({ service: 'close' });
    const result = await exchange(ep, 'iothub', 443);
    expect(result).toMatchObject({ outcome: 'blocked', detail: 'closed after the request' });
    expect(ep.received[0]!.toString('latin1')).toMatch(/^GET /);
  });

  it('is blocked, sending nothing, on a connection already closed when it is handed over', async () => {
    const ep = await endpoint();
    const socket = await verified(ep);
    socket.end();
    const result = await probeService(socket, HUB, 'iothub', 443, stepOpts());
    expect(result).toMatchObject({ outcome: 'blocked', detail: 'closed before the request' });
    await expect.poll(() => socket.destroyed).toBe(true);
    expect(ep.received).toHaveLength(0);
  });
});

describe('bounds', () => {
  it('settles promptly on the abort signal and closes the connection', async () => {
    const ep = await endpoint({ service: 'silent' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const result = await exchange(ep, 'iothub', 8883, { signal: controller.signal });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ protocol: 'mqtt', outcome: 'skipped', detail: 'aborted' });
  });

  it('closes a connection handed over after the abort without sending anything', async () => {
    const ep = await endpoint({ service: 'silent' });
    const result = await exchange(ep, 'iothub', 443, { signal: AbortSignal.abort() });
    expect(result.outcome).toBe('skipped');
    expect(ep.received).toHaveLength(0);
  });

  it('skips a TLS port without a known exchange, sending nothing', async () => {
    const ep = await endpoint();
    const result = await exchange(ep, 'custom', 636);
    expect(result).toEqual({ outcome: 'skipped', ms: 0, detail: 'no exchange known for port 636' });
    expect(ep.received).toHaveLength(0);
  });

  it('lets a TLS-only client go under the default behaviour: the endpoint closes when the client ends', async () => {
    const ep = await endpoint();
    const socket = await verified(ep);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.end();
    await closed;
    expect(ep.handshakes).toBe(1);
    expect(ep.received).toHaveLength(0);
  });
});
