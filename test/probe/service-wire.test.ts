import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AMQP_SASL_HEADER,
  httpRequest,
  MAX_HEAD_BYTES,
  MAX_HEADERS,
  MAX_TEXT,
  mqttConnect,
  readAmqpHeader,
  readConnack,
  readHttpHead,
  remainingLength,
} from '../../src/probe/service-wire.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('mqttConnect', () => {
  const packet = mqttConnect({ clientId: 'privatelink-probe-0a1b2c3d', username: 'h.example/p', keepAliveSeconds: 30 });

  it('is a CONNECT of MQTT 3.1.1 with a user name, a clean session and no password or will', () => {
    expect(packet[0]).toBe(0x10);
    const remaining = packet.length - 2;
    expect(packet[1]).toBe(remaining); // one length byte below 128
    expect([...packet.subarray(2, 8)]).toEqual([0, 4, 0x4d, 0x51, 0x54, 0x54]); // "MQTT"
    expect(packet[8]).toBe(4); // protocol level
    expect(packet[9]).toBe(0x82); // user name flag + clean session
    expect(packet[9]! & 0x40).toBe(0); // password flag clear
    expect(packet[9]! & 0x04).toBe(0); // will flag clear
    expect(packet.readUInt16BE(10)).toBe(30);
    expect(packet.readUInt16BE(12)).toBe(26);
    expect(packet.subarray(14, 40).toString()).toBe('privatelink-probe-0a1b2c3d');
    expect(packet.readUInt16BE(40)).toBe(11);
    expect(packet.subarray(42).toString()).toBe('h.example/p'); // the payload ends with the user name
  });

  it('encodes a long remaining length in several bytes, and UTF-8 strings by their byte length', () => {
    const long = mqttConnect({ clientId: 'c', username: 'é'.repeat(100), keepAliveSeconds: 30 });
    expect(long[1]! & 0x80).toBe(0x80);
    const remaining = (long[1]! & 0x7f) + long[2]! * 128;
    expect(remaining).toBe(long.length - 3);
    expect(long.readUInt16BE(long.length - 202)).toBe(200);
  });

  it('follows the spec table for remaining lengths (§2.2.3)', () => {
    expect([...remainingLength(0)]).toEqual([0x00]);
    expect([...remainingLength(127)]).toEqual([0x7f]);
    expect([...remainingLength(128)]).toEqual([0x80, 0x01]);
    expect([...remainingLength(16_383)]).toEqual([0xff, 0x7f]);
    expect([...remainingLength(16_384)]).toEqual([0x80, 0x80, 0x01]);
    expect([...remainingLength(268_435_455)]).toEqual([0xff, 0xff, 0xff, 0x7f]);
    expect(() => remainingLength(268_435_456)).toThrow(RangeError);
  });
});

describe('readConnack', () => {
  it('reads the return code and session flag, waiting for all four bytes', () => {
    expect(readConnack(Buffer.from([0x20, 0x02, 0x00]))).toEqual({ kind: 'incomplete' });
    expect(readConnack(Buffer.from([0x20, 0x02, 0x00, 0x05]))).toEqual({
      kind: 'connack',
      returnCode: 5,
      sessionPresent: false,
    });
    expect(readConnack(Buffer.from([0x20, 0x02, 0x01, 0x00]))).toMatchObject({ returnCode: 0, sessionPresent: true });
  });

  it('calls other bytes foreign, naming an HTTP status line once it is in', () => {
    expect(readConnack(bytes('HTTP/1.1 40'))).toEqual({ kind: 'incomplete' });
    expect(readConnack(bytes('HTTP/1.1 400 Bad Request\r\n'))).toEqual({
      kind: 'foreign',
      detail: 'HTTP/1.1 400 Bad Request instead of a CONNACK',
    });
    expect(readConnack(bytes('HTTP/1.1 40'), true)).toMatchObject({ kind: 'foreign' });
    expect(readConnack(Buffer.from([0x00, 0xff, 0x13]))).toEqual({
      kind: 'foreign',
      detail: 'bytes 00 ff 13 instead of a CONNACK',
    });
    expect(readConnack(Buffer.from([0x20, 0x03]))).toMatchObject({ kind: 'foreign' });
  });
});

describe('readAmqpHeader', () => {
  it('reads the eight-byte header back, whatever version it names', () => {
    expect(readAmqpHeader(AMQP_SASL_HEADER.subarray(0, 6))).toEqual({ kind: 'incomplete' });
    expect(readAmqpHeader(AMQP_SASL_HEADER)).toEqual({
      kind: 'header',
      protocolId: 3,
      major: 1,
      minor: 0,
      revision: 0,
    });
    expect(readAmqpHeader(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0, 0x99]))).toMatchObject({ protocolId: 0 });
  });

  it('calls an HTTP answer or text foreign', () => {
    expect(readAmqpHeader(bytes('HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n'))).toEqual({
      kind: 'foreign',
      detail: 'HTTP/1.1 400 Bad Request instead of an AMQP header',
    });
    expect(readAmqpHeader(bytes('SSH-2.0-OpenSSH_9.6\r\n'))).toEqual({
      kind: 'foreign',
      detail: '"SSH-2.0-OpenSSH_"… instead of an AMQP header',
    });
  });
});

describe('httpRequest', () => {
  it('is a GET with Host, User-Agent and Connection: close, and no credential', () => {
    const text = httpRequest('myhub.azure-devices.net', 443, '/devices?api-version=2021-04-12').toString('latin1');
    expect(text).toBe(
      'GET /devices?api-version=2021-04-12 HTTP/1.1\r\nHost: myhub.azure-devices.net\r\n' +
        'User-Agent: privatelink-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n',
    );
    expect(text.toLowerCase()).not.toContain('authorization');
  });

  it('puts a port other than 443 and IPv6 brackets in Host, and refuses line breaks', () => {
    expect(httpRequest('fd00::4', 8443, '/').toString()).toContain('\r\nHost: [fd00::4]:8443\r\n');
    expect(() => httpRequest('a.example\r\nAuthorization: x', 443, '/')).toThrow(RangeError);
    expect(() => httpRequest('a.example', 443, '/ x')).toThrow(RangeError);
  });
});

const AZURE_401 =
  'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nServer: Microsoft-HTTPAPI/2.0\r\n' +
  'iothub-errorcode: IotHubUnauthorizedAccess\r\nx-ms-request-id: 1\r\nDate: Tue, 03 Jun 2025 10:00:00 GMT\r\n\r\n';

describe('readHttpHead', () => {
  it('reads status, reason, the first Azure marker, Server and Date', () => {
    const r = readHttpHead(bytes(AZURE_401));
    expect(r).toMatchObject({
      kind: 'response',
      head: {
        status: 401,
        reason: 'Unauthorized',
        azureMarker: 'iothub-errorcode',
        server: 'Microsoft-HTTPAPI/2.0',
        dateMs: Date.UTC(2025, 5, 3, 10),
      },
    });
  });

  it('knows the registry API header, has no marker on a block page, and leaves out a Date that does not parse', () => {
    const acr = readHttpHead(
      bytes('HTTP/1.1 401 Unauthorized\r\ndocker-distribution-api-version: registry/2.0\r\n\r\n'),
    );
    expect(acr).toMatchObject({ head: { azureMarker: 'docker-distribution-api-version' } });
    const block = readHttpHead(bytes('HTTP/1.1 403 Forbidden\nServer: FortiGate\nDate: soon\n\n<html>'));
    expect(block.kind).toBe('response');
    if (block.kind !== 'response') return;
    expect(block.head).toEqual({
      status: 403,
      reason: 'Forbidden',
      server: 'FortiGate',
      headers: [
        ['Server', 'FortiGate'],
        ['Date', 'soon'],
      ],
    });
  });

  it('passes over interim 1xx heads, and is foreign on a head over the bound or bytes that are not HTTP', () => {
    const r = readHttpHead(bytes(`HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${AZURE_401}`));
    expect(r).toMatchObject({ kind: 'response', head: { status: 401 } });
    const long = bytes(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(MAX_HEAD_BYTES)}`);
    expect(readHttpHead(long)).toEqual({
      kind: 'foreign',
      detail: `no complete response head within ${MAX_HEAD_BYTES} bytes`,
    });
    expect(readHttpHead(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02]))).toEqual({
      kind: 'foreign',
      detail: 'not an HTTP answer: bytes 15 03 03 00 02',
    });
  });

  it('keeps at most MAX_HEADERS headers, and looks for Azure markers past them', () => {
    const many = Array.from({ length: 100 }, (_, i) => `H${i}: v\x07${i}`).join('\r\n');
    const r = readHttpHead(bytes(`HTTP/1.1 200 OK\r\n${many}\r\nx-ms-late: 1\r\n\r\n`));
    expect(r.kind).toBe('response');
    if (r.kind !== 'response') return;
    expect(r.head.headers).toHaveLength(MAX_HEADERS);
    expect(r.head.headers[0]).toEqual(['H0', 'v0']);
    expect(r.head.azureMarker).toBe('x-ms-late');
  });
});

// ---- Properties ---------------------------------------------------------------------------------------

type Reader = (b: Uint8Array, ended?: boolean) => { kind: string; detail?: string } & Record<string, unknown>;
const READERS: Array<[string, Reader]> = [
  ['readConnack', readConnack],
  ['readAmqpHeader', readAmqpHeader],
  ['readHttpHead', readHttpHead],
];

/** Bytes that look a little like each answer, so the properties reach past the first byte. */
const wireBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.concat([Buffer.from([0x20, 0x02]), b])),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.concat([bytes('AMQP'), b])),
  fc
    .array(
      fc.oneof(fc.constantFrom('HTTP/1.1 ', '200 ', '103 ', 'x-ms-a: ', 'Date: ', '\r\n', '\n', ':'), fc.string()),
      {
        maxLength: 40,
      },
    )
    .map((parts) => bytes(parts.join(''))),
);

function boundedSize(value: unknown): number {
  return JSON.stringify(value).length;
}

describe('every reader on arbitrary bytes', () => {
  for (const [name, read] of READERS) {
    it(`${name} never throws, and what it returns is bounded`, () => {
      fc.assert(
        fc.property(wireBytes, fc.boolean(), (b, ended) => {
          const r = read(b, ended);
          expect(['incomplete', 'foreign', 'connack', 'header', 'response']).toContain(r.kind);
          if (r.detail !== undefined) expect(r.detail.length).toBeLessThanOrEqual(MAX_TEXT);
          // eslint-disable-next-line no-control-regex
          if (r.detail !== undefined) expect(r.detail).not.toMatch(/[\x00-\x1f\x7f]/);
          expect(boundedSize(r)).toBeLessThanOrEqual(MAX_HEADERS * 2 * (MAX_TEXT * 6 + 10) + 2000);
        }),
        { numRuns: 500 },
      );
    });

    it(`${name} gives the same answer for any chunking: once the bytes grow past incomplete it stays put`, () => {
      fc.assert(
        fc.property(wireBytes, (b) => {
          const whole = read(b);
          // The answer read once, and the first non-incomplete reading of its growing prefixes, agree.
          let first: ReturnType<Reader> | undefined;
          for (let i = 1; i <= b.length && !first; i++) {
            const r = read(b.subarray(0, i));
            if (r.kind !== 'incomplete') first = r;
          }
          if (first) expect(whole.kind).toBe(first.kind);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('a valid answer split at any point', () => {
  const answers: Array<[string, Reader, Buffer]> = [
    ['CONNACK', readConnack, Buffer.from([0x20, 0x02, 0x00, 0x05])],
    ['AMQP header', readAmqpHeader, AMQP_SASL_HEADER],
    ['HTTP head', readHttpHead, bytes(`HTTP/1.1 103 Early Hints\r\n\r\n${AZURE_401}body`)],
  ];
  for (const [name, read, answer] of answers) {
    it(`${name}: incomplete until the last byte it needs, then exactly the whole answer's reading`, () => {
      const whole = read(answer);
      expect(whole.kind).not.toBe('incomplete');
      fc.assert(
        fc.property(fc.array(fc.nat({ max: answer.length }), { maxLength: 6 }), (cuts) => {
          // Fed chunk by chunk, as a socket hands them over: the reader sees every prefix at a cut.
          const points = [...new Set([...cuts, answer.length])].sort((a, b) => a - b);
          const readings = points.map((p) => read(answer.subarray(0, p)));
          const settled = readings.filter((r) => r.kind !== 'incomplete');
          for (const r of settled) expect(r).toEqual(whole);
        }),
      );
    });
  }
});
