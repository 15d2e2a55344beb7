// An HTTP/1.1 response head (RFC 9112 §2–4) read off the wire, for both exchanges that read one: the proxy's
// answer to CONNECT and the service's answer to a GET. The reader takes all the bytes received so far (they
// arrive in pieces) and says `incomplete`, the head, or `foreign`. It never throws and never keeps more than
// a bounded part of the bytes: they come from the network and are not trusted.

/** Headers kept from one head; a caller that wants to look at every one passes `visit`. */
export const MAX_HEADERS = 32;
/** A kept header's name or value, a status line and any detail are cut to this many characters. */
export const MAX_TEXT = 160;
/** Bytes shown in a detail: as text when printable, else as hex. */
const SHOWN_BYTES = 16;
/** Bytes that begin like `HTTP/` are shown up to their first line, within this many bytes. */
export const STATUS_LINE_BYTES = 128;

export interface ResponseHead {
  status: number;
  /** The reason phrase, safe to show (maybe empty). */
  reason: string;
  /** The whole status line, safe to show. */
  statusLine: string;
  /** The first `MAX_HEADERS` header fields in the order they came, names as sent, values trimmed, both cut. */
  headers: Array<[name: string, value: string]>;
  /** The offset just past the empty line that ends the head: what follows is not the head's. */
  end: number;
}

export type ResponseHeadReading =
  { kind: 'incomplete' } | { kind: 'head'; head: ResponseHead } | { kind: 'foreign'; detail: string };

export interface ReadOptions {
  /** The most bytes the head, interim 1xx heads included, may take. */
  limit: number;
  /** Called for every header field of the final head, kept or not (both already made safe to show). */
  visit?: (name: string, value: string) => void;
}

const HTTP_PREFIX = [...Buffer.from('HTTP/', 'latin1')];
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/;
// RFC 9110 §5.1: a field name is a token, and no whitespace may come between it and the colon.
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/**
 * The final response head, up to its empty line. Interim 1xx heads (100 Continue, 103 Early Hints) are
 * passed over and count towards the limit; 101 is final, the connection changes protocol after it. A bare
 * LF ends a line too (RFC 9112 §2.2 lets a recipient accept it). Bytes that cannot begin an HTTP answer are
 * foreign at their first wrong byte; a head not ended within `limit` bytes is foreign as soon as that is
 * certain, so a caller never has to wait for more than `limit` bytes.
 */
export function readResponseHead(bytes: Uint8Array, options: ReadOptions): ResponseHeadReading {
  const { limit } = options;
  let start = 0;
  for (;;) {
    const rest = bytes.subarray(start);
    if (rest.length === 0) return { kind: 'incomplete' };
    if (!startsWithPrefix(rest, HTTP_PREFIX)) {
      return { kind: 'foreign', detail: clean(`not an HTTP answer: ${describeBytes(rest)}`) };
    }
    const end = headEnd(rest);
    if (end === undefined ? bytes.length >= limit : start + end > limit) {
      return { kind: 'foreign', detail: `no complete response head within ${limit} bytes` };
    }
    if (end === undefined) return { kind: 'incomplete' };
    const [first = '', ...lines] = Buffer.from(rest.subarray(0, end)).toString('latin1').split(/\r?\n/);
    const status = STATUS_LINE.exec(first);
    if (!status) return { kind: 'foreign', detail: `malformed status line ${quote(first)}` };
    const code = Number(status[1]);
    if (code >= 100 && code < 200 && code !== 101) {
      start += end;
      continue;
    }
    const head: ResponseHead = {
      status: code,
      reason: clean(status[2] ?? ''),
      statusLine: clean(first),
      headers: [],
      end: start + end,
    };
    for (const line of lines) {
      // A line that is not a header field (obsolete folding, junk) carries nothing a caller reads.
      const field = HEADER.exec(line);
      if (!field) continue;
      const name = clean(field[1]!);
      const value = clean(field[2]!);
      if (head.headers.length < MAX_HEADERS) head.headers.push([name, value]);
      options.visit?.(name, value);
    }
    return { kind: 'head', head };
  }
}

/** The offset just past the empty line that ends a head (CRLF CRLF or LF LF), if it has arrived. */
function headEnd(bytes: Uint8Array): number | undefined {
  for (let i = 1; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i - 1] === 0x0a) return i + 1;
    if (bytes[i - 1] === 0x0d && i >= 2 && bytes[i - 2] === 0x0a) return i + 1;
  }
  return undefined;
}

/** Whether `bytes` and `expected` agree on their common length (either may be the shorter). */
export function startsWithPrefix(bytes: Uint8Array, expected: readonly number[]): boolean {
  const n = Math.min(bytes.length, expected.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== expected[i]) return false;
  return true;
}

/** Whether the bytes so far may still become an HTTP answer (they agree with `HTTP/` as far as they go). */
export function mayBeHttp(bytes: Uint8Array): boolean {
  return startsWithPrefix(bytes, HTTP_PREFIX);
}

/**
 * Unexpected bytes in a few words, enough to recognise a TLS alert or a banner: an HTTP status line as it
 * is, printable text quoted, anything else as hex; at most 16 bytes of either.
 */
export function describeBytes(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, STATUS_LINE_BYTES));
  if (startsWithPrefix(head, HTTP_PREFIX) && head.length >= HTTP_PREFIX.length) {
    return clean(head.toString('latin1').split(/\r?\n/)[0]!.slice(0, 64));
  }
  const shown = head.subarray(0, SHOWN_BYTES);
  const more = bytes.length > SHOWN_BYTES ? '…' : '';
  if (shown.every((b) => b >= 0x20 && b < 0x7f)) return `${quote(shown.toString('latin1'))}${more}`;
  return `bytes ${shown.toString('hex').replace(/(..)(?!$)/g, '$1 ')}${more}`;
}

/** Text from the wire, quoted as JSON: safe to show, at most 64 characters of it. */
export function quote(text: string): string {
  return JSON.stringify(clean(text.slice(0, 64)));
}

/** Text from the wire made safe to show: control characters out, cut to `MAX_TEXT`. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is dropped
  const printable = text.replace(/[\x00-\x1f\x7f-\x9f]/g, '');
  return printable.length > MAX_TEXT ? `${printable.slice(0, MAX_TEXT - 1)}…` : printable;
}
