// A hand-scripted responder on loopback UDP for what the zone-driven server (dns-server.ts) cannot do:
// answer per record type, send stray packets before the real answer, or send arbitrary bytes.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { Packet } from 'dns-packet';

export interface ScriptedResponder {
  endpoint: string;
  close(): Promise<void>;
}

export async function startResponder(
  script: (query: Packet, send: (packet: Packet | Buffer) => void) => void,
): Promise<ScriptedResponder> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, peer) => {
    const send = (packet: Packet | Buffer) =>
      socket.send(Buffer.isBuffer(packet) ? packet : dnsPacket.encode(packet), peer.port, peer.address);
    script(dnsPacket.decode(message), send);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
