// The proxy's answer to CONNECT, read off the wire: the response head (RFC 9112 §2–4) and nothing more.
// The head is bounded (a proxy that streams bytes without ever ending a head is not waited on), bytes that
// cannot start an HTTP answer are refused at once, and whatever follows the head belongs to the tunnel.
// Pure and total: bytes from the network are never trusted, so nothing here throws.

/** More than any proxy's CONNECT answer needs (squid's and tinyproxy's are under 200 bytes). */
export const MAX_HEAD_BYTES = 8 * 1024;

export interface ResponseHead {
  status: number;
  /** Printable, at most 200 characters: safe to show. */
  statusLine: string;
  /** Names in lower case, values trimmed, in the order they came. */
  headers: Array<{ name: string; value: string }>;
}

export type HeadRead =
  | { state: 'more' }
  | ({ state: 'head'; rest: Buffer } & ResponseHead)
  /** `reason` is printable and bounded. */
  | { state: 'bad'; reason: string };

const HTTP = Buffer.from('HTTP/', 'latin1');
const STATUS_LINE = /^HTTP\/\d\.\d ([1-5]\d\d)(?: |$)/;
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/**
 * A reader for one response: feed it the socket's chunks in order until it answers `head` or `bad`.
 * Interim 1xx heads (RFC 9110 §15.2) are skipped; their bytes count towards the bound.
 */
export function createHeadReader(limit = MAX_HEAD_BYTES): (chunk: Buffer) => HeadRead {
  let buffered = Buffer.alloc(0);
  let skipped = 0;
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const start = buffered.subarray(0, HTTP.length);
      if (!start.equals(HTTP.subarray(0, start.length))) {
        return { state: 'bad', reason: `not an HTTP answer: ${firstBytes(buffered)}` };
      }
      const end = headEnd(buffered);
      const length = skipped + (end?.next ?? buffered.length);
      if (end === undefined && length < limit) return { state: 'more' };
      if (end === undefined || length > limit) {
        return { state: 'bad', reason: `no complete response head within ${limit} bytes` };
      }
      const head = parseHead(buffered.subarray(0, end.head).toString('latin1'));
      if (typeof head === 'string') return { state: 'bad', reason: head };
      buffered = buffered.subarray(end.next);
      if (head.status >= 200) return { state: 'head', ...head, rest: buffered };
      skipped += end.next;
    }
  };
}

/** Where the head ends (before the empty line) and the next byte after it; a bare LF is tolerated (RFC 9112 §2.2). */
function headEnd(bytes: Buffer): { head: number; next: number } | undefined {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { head: crlf, next: crlf + 4 };
  if (lf >= 0) return { head: lf, next: lf + 2 };
  return undefined;
}

function parseHead(text: string): ResponseHead | string {
  const [first = '', ...lines] = text.split(/\r?\n/);
  const status = STATUS_LINE.exec(first);
  if (!status) return `not an HTTP status line: ${printable(first)}`;
  const headers: ResponseHead['headers'] = [];
  for (const line of lines) {
    // A line that is not a header field (obsolete folding, garbage) is skipped: only the status decides.
    const field = HEADER.exec(line);
    if (field) headers.push({ name: field[1]!.toLowerCase(), value: printable(field[2]!) });
  }
  return { status: Number(status[1]), statusLine: printable(first), headers };
}

/** Text from the network as it may be shown: control characters dropped, at most 200 characters. */
export function printable(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is dropped
  const clean = text.replace(/[\x00-\x1f\x7f-\x9f]/g, '').trim();
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

/** The first 16 bytes, printable ASCII as is, anything else as `\xNN`: enough to recognise a TLS alert or a banner. */
export function firstBytes(bytes: Buffer): string {
  const shown = [...bytes.subarray(0, 16)]
    .map((b) =>
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
  return bytes.length > 16 ? `${shown}...` : shown;
}
