import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clean,
  describeBytes,
  MAX_HEADERS,
  MAX_TEXT,
  readResponseHead,
  type ResponseHeadReading,
} from '../../src/probe/http-head.js';
import { MAX_CONNECT_HEAD_BYTES } from '../../src/probe/proxy.js';
import { MAX_HEAD_BYTES } from '../../src/probe/service-wire.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

/**
 * Feeds the chunks in order, as a socket hands them over, until the first verdict; `fed` counts the bytes
 * that took, `tunnel` is what follows the head: the bytes after its end and the chunks never fed.
 */
function read(
  chunks: Array<string | Buffer>,
  limit = MAX_CONNECT_HEAD_BYTES,
): { answer: ResponseHeadReading; fed: number; tunnel: string } {
  const buffers = chunks.map((chunk) => (typeof chunk === 'string' ? bytes(chunk) : chunk));
  let received = Buffer.alloc(0);
  let answer: ResponseHeadReading = { kind: 'incomplete' };
  for (const [i, chunk] of buffers.entries()) {
    received = Buffer.concat([received, chunk]);
    answer = readResponseHead(received, { limit });
    if (answer.kind === 'head') {
      const tunnel = Buffer.concat([received.subarray(answer.head.end), ...buffers.slice(i + 1)]);
      return { answer, fed: received.length, tunnel: tunnel.toString('latin1') };
    }
    if (answer.kind === 'foreign') break;
  }
  return { answer, fed: received.length, tunnel: '' };
}

function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((from, i) => text.slice(from, points[i] ?? text.length));
}

describe('readResponseHead', () => {
  const squid = 'HTTP/1.1 200 Connection established\r\n\r\n';

  it('reads a status, reason, status line, headers and where the head ends', () => {
    const text = 'HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n';
    expect(read([text]).answer).toEqual({
      kind: 'head',
      head: {
        status: 407,
        reason: 'Proxy Authentication Required',
        statusLine: 'HTTP/1.0 407 Proxy Authentication Required',
        headers: [['Proxy-Authenticate', 'Basic realm="x"']],
        end: text.length,
      },
    });
  });

  it('gives the same head however the bytes are split, and keeps what follows for the tunnel', () => {
    const text = `${squid}\x16\x03\x01tunnel bytes`;
    for (let cut = 0; cut <= text.length; cut++) {
      const { answer, tunnel } = read([text.slice(0, cut), text.slice(cut)]);
      expect(answer).toMatchObject({
        kind: 'head',
        head: { status: 200, statusLine: 'HTTP/1.1 200 Connection established' },
      });
      expect(tunnel).toBe('\x16\x03\x01tunnel bytes');
    }
    expect(read([...squid]).answer).toMatchObject({ kind: 'head', head: { status: 200 } });
  });

  it('skips interim 1xx heads (not 101), accepts bare LF line ends and a status line without a reason', () => {
    const continued = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nafter';
    expect(read([continued]).answer).toMatchObject({ head: { status: 200, end: continued.length - 5 } });
    expect(read(['HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 2']).answer).toEqual({ kind: 'incomplete' });
    expect(read(['HTTP/1.1 101 Switching Protocols\r\n\r\n']).answer).toMatchObject({ head: { status: 101 } });
    expect(read(['HTTP/1.0 503 Service Unavailable\nServer: x\n\n']).answer).toMatchObject({
      head: { status: 503, headers: [['Server', 'x']] },
    });
    expect(read(['HTTP/1.1 502\r\n\r\n']).answer).toMatchObject({
      head: { status: 502, reason: '', statusLine: 'HTTP/1.1 502' },
    });
  });

  it('refuses bytes that cannot start an HTTP answer at the first wrong byte, showing them', () => {
    expect(read(['SSH-2.0-OpenSSH_9.6\r\n']).answer).toEqual({
      kind: 'foreign',
      detail: 'not an HTTP answer: "SSH-2.0-OpenSSH_"…',
    });
    expect(read([Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])]).answer).toEqual({
      kind: 'foreign',
      detail: 'not an HTTP answer: bytes 15 03 03 00 02 02 28',
    });
    expect(read(['HT', 'TX']).answer).toMatchObject({ kind: 'foreign' });
    expect(read(['HTTP/1.1 abc\r\n\r\n']).answer).toEqual({
      kind: 'foreign',
      detail: 'malformed status line "HTTP/1.1 abc"',
    });
    expect(read(['HTTP/1.1 OK\r\n\r\n']).answer).toEqual({
      kind: 'foreign',
      detail: 'malformed status line "HTTP/1.1 OK"',
    });
  });

  it('strips control characters from the status line and bounds it', () => {
    const { answer } = read([`HTTP/1.1 403 Den\x1b[31mied${'!'.repeat(400)}\r\n\r\n`]);
    expect(answer).toMatchObject({ head: { status: 403 } });
    const line = answer.kind === 'head' ? answer.head.statusLine : '';
    expect(line).toMatch(/^HTTP\/1\.1 403 Den\[31mied!+…$/);
    expect(line).toHaveLength(MAX_TEXT);
  });

  it('keeps at most MAX_HEADERS headers, cleaned, and shows every header to `visit`', () => {
    const many = Array.from({ length: 100 }, (_, i) => `H${i}: v\x07${i}`).join('\r\n');
    const seen: string[] = [];
    const r = readResponseHead(bytes(`HTTP/1.1 200 OK\r\n${many}\r\n x: folded\r\nlate: 1\r\n\r\n`), {
      limit: MAX_HEAD_BYTES,
      visit: (name) => seen.push(name),
    });
    expect(r.kind).toBe('head');
    if (r.kind !== 'head') return;
    expect(r.head.headers).toHaveLength(MAX_HEADERS);
    expect(r.head.headers[0]).toEqual(['H0', 'v0']);
    expect(seen).toHaveLength(101);
    expect(seen.at(-1)).toBe('late');
  });

  for (const limit of [MAX_CONNECT_HEAD_BYTES, MAX_HEAD_BYTES]) {
    it(`gives up on a head that has not ended within ${limit} bytes, counting interim heads`, () => {
      const header = `X: ${'a'.repeat(100)}\r\n`;
      const endless = ['HTTP/1.1 200 OK\r\n', ...Array.from({ length: Math.ceil(limit / 100) }, () => header)];
      const { answer, fed } = read(endless, limit);
      expect(answer).toEqual({ kind: 'foreign', detail: `no complete response head within ${limit} bytes` });
      expect(fed).toBeLessThan(limit + header.length);
      const interim = 'HTTP/1.1 100 Continue\r\n\r\n';
      expect(read([interim.repeat(Math.ceil(limit / interim.length)), squid], limit).answer).toMatchObject({
        kind: 'foreign',
      });
      const exact = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(limit - 24)}\r\n\r\n`;
      expect(exact).toHaveLength(limit);
      expect(read([exact], limit).answer).toMatchObject({ kind: 'head' });
      expect(read([`${exact.slice(0, -4)}a\r\n\r\n`], limit).answer).toMatchObject({ kind: 'foreign' });
    });
  }
});

describe('the safe-to-show helpers', () => {
  it('describeBytes shows at most 16 bytes as hex or quoted text, and an HTTP status line as it is', () => {
    expect(describeBytes(Buffer.alloc(40, 0xab))).toBe(`bytes ${Array(16).fill('ab').join(' ')}…`);
    expect(describeBytes(bytes('hello'))).toBe('"hello"');
    expect(describeBytes(bytes('HTTP/1.1 400 Bad Request\r\nServer: x'))).toBe('HTTP/1.1 400 Bad Request');
  });

  it('clean drops control characters and cuts to MAX_TEXT', () => {
    expect(clean('a\x00b\x1b[0m\x9fc')).toBe('ab[0mc');
    expect(clean('x'.repeat(500))).toHaveLength(MAX_TEXT);
  });
});

// ---- Properties ---------------------------------------------------------------------------------------

/** Bytes that look a little like a head, so the properties reach past the first byte. */
const wireBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom('HTTP/1.1 ', '200 ', '103 ', '101 ', 'x-ms-a: ', 'Date: ', '\r\n', '\n', ':'),
        fc.string(),
      ),
      { maxLength: 40 },
    )
    .map((parts) => bytes(parts.join(''))),
);

describe('readResponseHead on arbitrary bytes', () => {
  it('never throws on arbitrary bytes in arbitrary chunks, never waits past the bound, and is bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 40 }), (arrays) => {
        const { answer, fed } = read(arrays.map((a) => Buffer.from(a)));
        if (answer.kind === 'incomplete') expect(fed).toBeLessThan(MAX_CONNECT_HEAD_BYTES);
        if (answer.kind === 'foreign') expect(answer.detail.length).toBeLessThanOrEqual(MAX_TEXT);
        // eslint-disable-next-line no-control-regex
        if (answer.kind === 'foreign') expect(answer.detail).not.toMatch(/[\x00-\x1f\x7f]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps what it returns bounded, whatever the bytes', () => {
    fc.assert(
      fc.property(wireBytes, (b) => {
        const r = readResponseHead(b, { limit: MAX_HEAD_BYTES });
        expect(['incomplete', 'foreign', 'head']).toContain(r.kind);
        expect(JSON.stringify(r).length).toBeLessThanOrEqual(MAX_HEADERS * 2 * (MAX_TEXT * 6 + 10) + 2000);
        if (r.kind === 'head') expect(r.head.end).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same kind for any chunking: once the bytes grow past incomplete it stays put', () => {
    fc.assert(
      fc.property(wireBytes, (b) => {
        const whole = readResponseHead(b, { limit: MAX_HEAD_BYTES });
        let first: ResponseHeadReading | undefined;
        for (let i = 1; i <= b.length && !first; i++) {
          const r = readResponseHead(b.subarray(0, i), { limit: MAX_HEAD_BYTES });
          if (r.kind !== 'incomplete') first = r;
        }
        if (first) expect(whole.kind).toBe(first.kind);
        if (first?.kind === 'head') expect(whole).toEqual(first);
      }),
      { numRuns: 300 },
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
        fc.constantFrom('', 'HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\nLink: </a>\n\n'),
      )
      .map(([version, status, reason, headers, interim]) => ({
        status,
        text: `${interim}${version} ${status} ${reason}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`,
      }));
    fc.assert(
      fc.property(head, fc.uint8Array({ maxLength: 100 }), fc.array(fc.nat(), { maxLength: 8 }), (h, after, cuts) => {
        const whole = Buffer.concat([bytes(h.text), after]).toString('latin1');
        const { answer, tunnel } = read(splitAt(whole, cuts));
        expect(answer).toMatchObject({ kind: 'head', head: { status: h.status, end: h.text.length } });
        expect(tunnel).toBe(Buffer.from(after).toString('latin1'));
      }),
    );
  });
});
