import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from './support/network-guard.js';

// The guard throws at the call and also fails the running test from afterEach, so a probe that swallows
// the error still fails its test. `it.fails` asserts exactly that failure.
describe('network guard', () => {
  it('recognises loopback forms and nothing else', () => {
    for (const a of ['127.0.0.1', '127.9.8.7', '::1', '[::1]', 'localhost', '::ffff:127.0.0.2'])
      expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['10.1.2.4', '192.168.1.1', '203.0.113.10', '::ffff:10.0.0.1', 'fd00::1', 'example.com'])
      expect(isLoopbackAddress(a)).toBe(false);
  });

  it('allows loopback TCP connects', async () => {
    const server = net.createServer((s) => s.end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as net.AddressInfo;
    const sock = net.connect({ host: '127.0.0.1', port });
    await new Promise((r, j) => sock.once('connect', r).once('error', j));
    sock.destroy();
    server.close();
  });
});

describe.sequential('network guard refusals', () => {
  // Documentation addresses (RFC 5737): the guard throws before any packet could leave, whatever the address.
  it.fails('stops a TCP connect outside loopback and fails the test', () => {
    net.connect({ host: '198.51.100.7', port: 443 });
  });
  it.fails('stops a TCP connect through net.connect(port, host)', () => {
    net.connect(443, '192.0.2.1');
  });
  it.fails('stops a UDP send to a non-loopback resolver', () => {
    const s = dgram.createSocket('udp4');
    try {
      s.send(Buffer.from('x'), 53, '198.51.100.1');
    } finally {
      s.close();
    }
  });
  it.fails('stops a system-resolver query for a made-up name', async () => {
    await dns.promises.lookup('made-up.privatelink.azure-devices.net');
  });
});
