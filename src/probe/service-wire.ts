// The bytes of the service exchange, without I/O: the requests the probe sends after TLS and the readers of
// what comes back. Every reader takes all the bytes received so far (the answer arrives in pieces) and says
// `incomplete`, the answer, or `foreign`; none throws, whatever the bytes, and none keeps more than a bounded
// part of them. `ended` tells a reader that no more bytes will come, so it may describe what it was still
// waiting on.

import {
  clean,
  describeBytes,
  mayBeHttp,
  MAX_HEADERS,
  MAX_TEXT,
  readResponseHead,
  startsWithPrefix,
  STATUS_LINE_BYTES,
  type ResponseHeadReading,
} from './http-head.js';

export { clean, describeBytes, MAX_HEADERS, MAX_TEXT };

/** An HTTP response head longer than this is not read (Azure's heads are well under 2 KB). */
export const MAX_HEAD_BYTES = 16 * 1024;

// ---- MQTT 3.1.1 (OASIS mqtt-v3.1.1-os) ----------------------------------------------------------

export interface MqttConnectFields {
  clientId: string;
  username: string;
  keepAliveSeconds: number;
}

const MQTT_CONNECT = 0x10;
const MQTT_CONNACK = 0x20;
const MQTT_LEVEL_311 = 4;
/** §3.1.2.8 User Name Flag (bit 7) and §3.1.2.4 Clean Session (bit 1). No password (bit 6), no will (bit 2). */
export const MQTT_CONNECT_FLAGS = 0x82;

/**
 * A CONNECT packet (§3.1): fixed header 0x10 and the remaining length (§2.2.3), then the protocol name
 * `MQTT`, level 4, the flags, the keep-alive, and the payload's client id and user name, each a UTF-8
 * string with a two-byte length (§1.5.3). It carries no password field: the flags say there is none.
 */
export function mqttConnect(fields: MqttConnectFields): Buffer {
  const variableHeader = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([MQTT_LEVEL_311, MQTT_CONNECT_FLAGS]),
    uint16(fields.keepAliveSeconds),
  ]);
  const payload = Buffer.concat([mqttString(fields.clientId), mqttString(fields.username)]);
  const remaining = variableHeader.length + payload.length;
  return Buffer.concat([Buffer.from([MQTT_CONNECT]), remainingLength(remaining), variableHeader, payload]);
}

/** §2.2.3: seven bits a byte, least significant first, the top bit set while more bytes follow; at most four. */
export function remainingLength(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 268_435_455) throw new RangeError(`MQTT remaining length ${n}`);
  const bytes: number[] = [];
  do {
    const digit = n % 128;
    n = Math.floor(n / 128);
    bytes.push(n > 0 ? digit | 0x80 : digit);
  } while (n > 0);
  return Buffer.from(bytes);
}

function mqttString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([uint16(bytes.length), bytes]);
}

function uint16(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`MQTT two-byte field ${n}`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export type ConnackReading =
  | { kind: 'incomplete' }
  | { kind: 'connack'; returnCode: number; sessionPresent: boolean }
  | { kind: 'foreign'; detail: string };

/** §3.2: a CONNACK is 0x20, remaining length 2, the acknowledge flags and the return code. */
export function readConnack(bytes: Uint8Array, ended = false): ConnackReading {
  const expected = [MQTT_CONNACK, 2];
  if (!startsWithPrefix(bytes, expected)) return foreignOrWait(bytes, ended, 'a CONNACK');
  if (bytes.length < 4) return { kind: 'incomplete' };
  return { kind: 'connack', sessionPresent: (bytes[2]! & 1) === 1, returnCode: bytes[3]! };
}

// ---- AMQP 1.0 (OASIS amqp-core-v1.0) -------------------------------------------------------------

/** §5.3.2: the SASL layer's protocol header, `AMQP`, protocol id 3, version 1.0.0. */
export const AMQP_SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);

export type AmqpReading =
  | { kind: 'incomplete' }
  | { kind: 'header'; protocolId: number; major: number; minor: number; revision: number }
  | { kind: 'foreign'; detail: string };

/**
 * §2.2: a peer answers a protocol header with its own eight-byte header, `AMQP` and four version bytes
 * (the one it speaks, which may differ from ours) before it closes or goes on.
 */
export function readAmqpHeader(bytes: Uint8Array, ended = false): AmqpReading {
  if (!startsWithPrefix(bytes, [...AMQP_SASL_HEADER.subarray(0, 4)]))
    return foreignOrWait(bytes, ended, 'an AMQP header');
  if (bytes.length < 8) return { kind: 'incomplete' };
  return { kind: 'header', protocolId: bytes[4]!, major: bytes[5]!, minor: bytes[6]!, revision: bytes[7]! };
}

// ---- HTTP/1.1 (RFC 9112) -------------------------------------------------------------------------

/**
 * A GET without credentials. `Connection: close` (RFC 9112 §9.6) asks the server to close after its answer.
 * `host` must already be a valid name or address: anything outside visible ASCII is refused, so nothing
 * from configuration can add a header line.
 */
export function httpRequest(host: string, port: number, path: string): Buffer {
  if (!/^[\x21-\x7e]+$/.test(host) || !/^\/[\x21-\x7e]*$/.test(path)) throw new RangeError('unsafe host or path');
  // RFC 9110 §7.2: Host is the target's authority: an IPv6 literal in brackets, the port unless it is 443.
  const name = host.includes(':') ? `[${host}]` : host;
  const authority = port === 443 ? name : `${name}:${port}`;
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${authority}`,
    'User-Agent: privatelink-probe',
    'Accept: */*',
    'Connection: close',
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

export interface HttpHead {
  status: number;
  reason: string;
  /** The first `MAX_HEADERS` headers, names as sent, values cut to `MAX_TEXT`. */
  headers: Array<[name: string, value: string]>;
  /** The first header that only Azure sends (`x-ms-*`, `iothub-*`, `Docker-Distribution-Api-Version`). */
  azureMarker?: string;
  server?: string;
  /** The `Date` header, milliseconds since the epoch, when it parses. */
  dateMs?: number;
}

export type HeadReading =
  { kind: 'incomplete' } | { kind: 'response'; head: HttpHead } | { kind: 'foreign'; detail: string };

/**
 * The response head (interim 1xx heads passed over), with what the service exchange looks for in it: Azure's
 * markers, found among all the headers, not only the kept ones, and the Server and Date headers. `ended`
 * changes nothing here: an HTTP head is foreign at its first wrong byte, whether or not more could come.
 */
export function readHttpHead(bytes: Uint8Array, _ended = false): HeadReading {
  let azureMarker: string | undefined;
  let server: string | undefined;
  let dateMs: number | undefined;
  const r: ResponseHeadReading = readResponseHead(bytes, {
    limit: MAX_HEAD_BYTES,
    visit: (name, value) => {
      const lower = name.toLowerCase();
      if (azureMarker === undefined && isAzureMarker(lower)) azureMarker = name;
      if (lower === 'server' && server === undefined) server = value;
      if (lower === 'date' && dateMs === undefined) {
        const ms = Date.parse(value);
        if (Number.isFinite(ms)) dateMs = ms;
      }
    },
  });
  if (r.kind !== 'head') return r;
  const head: HttpHead = { status: r.head.status, reason: r.head.reason, headers: r.head.headers };
  if (azureMarker !== undefined) head.azureMarker = azureMarker;
  if (server !== undefined) head.server = server;
  if (dateMs !== undefined) head.dateMs = dateMs;
  return { kind: 'response', head };
}

/**
 * Headers Azure's front ends add and a proxy or block page does not: `x-ms-request-id` and the other `x-ms-`
 * headers of Azure Storage and ARM, IoT Hub's `iothub-errorcode`, and the registry API's version header
 * (Docker Registry HTTP API V2, which ACR implements). Azure Storage documents `x-ms-request-id` on every
 * response: https://learn.microsoft.com/rest/api/storageservices/common-rest-api-headers
 */
function isAzureMarker(lowerName: string): boolean {
  return (
    lowerName.startsWith('x-ms-') || lowerName.startsWith('iothub-') || lowerName === 'docker-distribution-api-version'
  );
}

// ---- Shared ----------------------------------------------------------------------------------------

/**
 * Bytes that are not the expected answer. When they begin like an HTTP response, its status line is waited
 * for (up to `STATUS_LINE_BYTES`, or the end) so the detail can name it; anything else is foreign at once.
 */
function foreignOrWait(
  bytes: Uint8Array,
  ended: boolean,
  expected: string,
): { kind: 'incomplete' } | { kind: 'foreign'; detail: string } {
  if (bytes.length === 0) return { kind: 'incomplete' };
  const httpLike = mayBeHttp(bytes);
  if (httpLike && !ended && bytes.length < STATUS_LINE_BYTES && !bytes.includes(0x0a)) return { kind: 'incomplete' };
  return { kind: 'foreign', detail: clean(`${describeBytes(bytes)} instead of ${expected}`) };
}
