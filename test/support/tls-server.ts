// Stand-ins for private endpoints (real parts, not mocks): real TCP and TLS listeners on
// 127.0.0.x, shared by the TLS tests, the benchmark and the demo. Linux routes all of 127.0.0.0/8 to
// loopback, so each endpoint can have an address of its own, like the private endpoints it imitates.
// After the handshake a TLS endpoint answers the client's first request the way Azure's front ends answer
// an anonymous one (CONNACK 5, the AMQP header, an HTTP 401 with Azure's headers), or, on request, the way
// a firewall or proxy in the path would (silence, a reset, a block page, a web server, garbage).
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { Issued } from './pki.js';

export interface TlsEndpoint {
  host: string;
  port: number;
  close(): Promise<void>;
  /** Handshakes completed so far (always 0 for a silent endpoint). */
  readonly handshakes: number;
  /**
   * Per connection that sent anything after the handshake, in order: the bytes of its first request (at most
   * `MAX_RECORDED` bytes), so tests can check what a probe sends. Empty for a silent endpoint.
   */
  readonly received: readonly Buffer[];
}

/**
 * How the endpoint answers the first request after the handshake. `azure`: as Azure does. `silent`: reads and
 * never answers. `close`: ends the connection once the request is in, without a word. `reset`: a TCP RST
 * once the request is in. `foreign-http`: a firewall's HTTP 403 block page
 * to any request. `http-anything`: a web server's HTTP 400 to any bytes (MQTT and AMQP included).
 * `garbage`: bytes that are no protocol at all.
 */
export type ServiceBehaviour = 'azure' | 'silent' | 'close' | 'reset' | 'foreign-http' | 'http-anything' | 'garbage';

/** A request longer than this is answered as it stands; what is recorded of it stops here too. */
export const MAX_RECORDED = 16 * 1024;

export interface TlsEndpointOptions {
  /** Default 127.0.0.1; any 127.0.0.x works on Linux. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  cert: Issued;
  /** Intermediate certificates sent after the leaf. */
  chainPem?: string;
  /** Delay before the handshake starts, as a distant endpoint would have (for the benchmark). */
  latencyMs?: number;
  /** Default `azure`. A client that sends nothing and ends (a TLS-only probe) is let go under every behaviour. */
  service?: ServiceBehaviour;
  /** How far the `Date` of HTTP answers is off real time (a server clock that is wrong, or ours). */
  dateOffsetMs?: number;
}

/** A TLS listener that completes the handshake, then answers the first request (see `ServiceBehaviour`). */
export async function startTlsEndpoint(o: TlsEndpointOptions): Promise<TlsEndpoint> {
  let handshakes = 0;
  const received: Buffer[] = [];
  // The raw TCP connection under each TLS one, by the client's address and port: a reset is sent on it.
  const raw = new Map<string, net.Socket>();
  const cert = o.chainPem ? `${o.cert.certPem.trimEnd()}\n${o.chainPem}` : o.cert.certPem;
  const tlsServer = tls.createServer({ key: o.cert.keyPem, cert }, (socket) => {
    handshakes++;
    socket.on('error', ignore);
    const tcp = raw.get(`${socket.remoteAddress}:${socket.remotePort}`);
    answerFirstRequest(socket, o.service ?? 'azure', o.dateOffsetMs ?? 0, received, () =>
      tcp ? tcp.resetAndDestroy() : socket.destroy(),
    );
  });
  // Clients hang up as soon as they have verified (or failed to verify) the server: not a server fault.
  tlsServer.on('tlsClientError', ignore);
  // Raw TCP is accepted first and handed to the TLS server after the latency: the ClientHello waits
  // unread in the paused socket meanwhile, so the delay is in the handshake, not in the TCP connect.
  const endpoint = await listen(o.host, o.port, (socket) => {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    raw.set(key, socket);
    socket.once('close', () => raw.delete(key));
    const handOver = () => {
      if (!socket.destroyed) tlsServer.emit('connection', socket);
    };
    if (o.latencyMs) setTimeout(handOver, o.latencyMs);
    else handOver();
  });
  return {
    ...endpoint,
    get handshakes() {
      return handshakes;
    },
    received,
  };
}

/** Which protocol a first request speaks, once enough of it is in; undefined while it may still grow. */
function requestKind(bytes: Buffer): 'mqtt' | 'amqp' | 'http' | 'other' | undefined {
  if (bytes.length >= MAX_RECORDED) return 'other';
  if (bytes[0] === 0x10) {
    const length = mqttPacketLength(bytes);
    return length !== undefined && bytes.length >= length ? 'mqtt' : undefined;
  }
  if (startsWith(bytes, 'AMQP')) return bytes.length >= 8 ? 'amqp' : undefined;
  if (startsWith(bytes, 'GET ')) return bytes.includes('\r\n\r\n') ? 'http' : undefined;
  // Still a prefix of one of the above: wait for more.
  if (['AMQP', 'GET '].some((p) => p.startsWith(bytes.toString('latin1')))) return undefined;
  return 'other';
}

/** The whole packet's length from an MQTT fixed header (type byte, then up to four length bytes). */
function mqttPacketLength(bytes: Buffer): number | undefined {
  let length = 0;
  for (let i = 1; i <= 4 && i < bytes.length; i++) {
    length += (bytes[i]! & 0x7f) * 128 ** (i - 1);
    if ((bytes[i]! & 0x80) === 0) return 1 + i + length;
  }
  // A fifth length byte is malformed (MQTT 3.1.1 §2.2.3): the packet is taken as it stands.
  return bytes.length > 4 ? bytes.length : undefined;
}

function startsWith(bytes: Buffer, text: string): boolean {
  return bytes.subarray(0, text.length).toString('latin1') === text;
}

function answerFirstRequest(
  socket: tls.TLSSocket,
  behaviour: ServiceBehaviour,
  dateOffsetMs: number,
  received: Buffer[],
  reset: () => void,
): void {
  let request = Buffer.alloc(0);
  let slot = -1;
  const onData = (chunk: Buffer) => {
    request = Buffer.concat([request, chunk]).subarray(0, MAX_RECORDED);
    if (slot < 0) slot = received.push(request) - 1;
    received[slot] = request;
    const kind = requestKind(request);
    if (kind === undefined || behaviour === 'silent') return;
    socket.off('data', onData);
    // Whatever follows the first request is read and dropped, so the client's close is seen.
    socket.resume();
    if (behaviour === 'reset') return reset();
    socket.end(behaviour === 'close' ? Buffer.alloc(0) : answer(kind, behaviour, dateOffsetMs));
  };
  socket.on('data', onData);
  // A TLS-only client ends without a request: end too (the server does not allow half-open connections).
}

function answer(kind: 'mqtt' | 'amqp' | 'http' | 'other', behaviour: ServiceBehaviour, dateOffsetMs: number): Buffer {
  const date = new Date(Date.now() + dateOffsetMs).toUTCString();
  switch (behaviour) {
    case 'foreign-http':
      return httpResponse('403 Forbidden', ['Server: FortiGate', 'Content-Type: text/html'], BLOCK_PAGE);
    case 'http-anything':
      return httpResponse('400 Bad Request', ['Server: nginx', `Date: ${date}`], '');
    case 'garbage':
      return Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x7f, 0x01, 0xfe]);
    default:
      break;
  }
  if (kind === 'mqtt') return Buffer.from([0x20, 0x02, 0x00, 0x05]); // CONNACK, not authorized
  if (kind === 'amqp') return Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
  if (kind === 'http') {
    return httpResponse(
      '401 Unauthorized',
      [
        `x-ms-request-id: ${randomUUID()}`,
        'iothub-errorcode: IotHubUnauthorizedAccess',
        `Date: ${date}`,
        'Content-Type: application/json; charset=utf-8',
      ],
      '',
    );
  }
  // Azure's front ends close on bytes they cannot read.
  return Buffer.alloc(0);
}

const BLOCK_PAGE =
  '<html><head><title>Web Page Blocked</title></head><body>Access to this site is blocked.</body></html>';

function httpResponse(status: string, headers: string[], body: string): Buffer {
  const all = [...headers, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  return Buffer.from(`HTTP/1.1 ${status}\r\n${all.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

/** Accepts TCP and never speaks TLS: a handshake against it can only time out. */
export function startSilentEndpoint(o: { host?: string; port?: number } = {}): Promise<TlsEndpoint> {
  // Reads and discards, so it sees the client's FIN and lets the connection go when the client gives up.
  return listen(o.host, o.port, (socket) => socket.resume());
}

/** A port on which nothing listens: bound, read and closed again. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const endpoint = await listen(host, 0, () => undefined);
  await endpoint.close();
  return endpoint.port;
}

async function listen(host = '127.0.0.1', port = 0, onSocket: (socket: net.Socket) => void): Promise<TlsEndpoint> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', ignore);
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, resolve);
  });
  const address = server.address() as net.AddressInfo;
  return {
    host,
    port: address.port,
    handshakes: 0,
    received: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function ignore(): void {}
