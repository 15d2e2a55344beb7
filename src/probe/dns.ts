// The DNS step of a probe, two ways: the system resolver through the injected getaddrinfo, and each
// explicit server queried directly over UDP (TCP when the answer is truncated). Both settle with a
// DnsAnswer and never reject. Both are bounded by our own timer: dns.lookup has no timeout, and
// dns.Resolver checks its timers only about once a second, which is also why the explicit path speaks the
// wire protocol itself (dns-wire.ts reads what comes back) instead of using dns.Resolver.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, StringAnswer } from 'dns-packet';
import type { SystemLookup } from './deps.js';
import {
  MalformedAnswer,
  readResponse,
  sameName,
  type Asked,
  type Reading,
  type Response,
  type StrayKind,
} from './dns-wire.js';
import {
  formatServerEndpoint,
  normalizeHostname,
  parseServerEndpoint,
  type ServerEndpoint,
  type ServerName,
} from './hostname.js';
import { boundedPromise, errorText, roundMs, type StepOptions } from './step.js';
import type { DnsAnswer, DnsOutcome } from './types.js';

/**
 * One DNS step's bound covers every hop and both address families; an abort ends it at once with outcome
 * `error`, error `aborted`.
 */
export type DnsQueryOptions = StepOptions;

/** Longest CNAME chain followed, as in BIND's and Unbound's restart limits; a longer one is `cname-too-long`. */
const MAX_CNAME_CHAIN = 16;

/** A UDP query unanswered this long is sent again (same id): one lost datagram must not read as a timeout. */
function retransmitInterval(timeoutMs: number): number {
  // Two resends inside the step, like a stub resolver's `attempts`; never so often that it floods a slow server.
  return Math.max(250, Math.floor(timeoutMs / 3));
}

// ---- the system resolver ----------------------------------------------------------------------

/** The system resolver path (getaddrinfo via the injected lookup): all addresses, both families. */
export async function resolveSystem(name: string, lookup: SystemLookup, opts: DnsQueryOptions): Promise<DnsAnswer> {
  // A timed-out lookup keeps running in libuv's thread pool; its late result is simply never read.
  const { ended, ms } = await boundedPromise(opts, () => lookup(name));
  const answer = (outcome: DnsOutcome, extra: Partial<DnsAnswer> = {}): DnsAnswer => ({
    resolver: 'system',
    name,
    outcome,
    addresses: [],
    cname: [],
    ms,
    ...extra,
  });
  switch (ended.kind) {
    case 'timeout':
      return answer('timeout', { error: timeoutMessage(opts.timeoutMs) });
    case 'aborted':
      return answer('error', { error: 'aborted' });
    case 'failed':
      return answer(systemFailure(ended.error), { error: errorText(ended.error) });
    case 'done': {
      const addresses = unique(ended.value.map((a) => a.address));
      return addresses.length > 0 ? answer('ok', { addresses }) : answer('no-answer');
    }
  }
}

function systemFailure(error: unknown): DnsOutcome {
  switch ((error as { code?: unknown } | null)?.code) {
    // EAI_NONAME: getaddrinfo cannot tell NXDOMAIN from a name without addresses, so both read as nxdomain.
    case 'ENOTFOUND':
      return 'nxdomain';
    // EAI_AGAIN, "temporary failure": what a SERVFAIL or an unreachable resolver gives.
    case 'EAI_AGAIN':
      return 'temporary-failure';
    case 'ENODATA':
      return 'no-answer';
    default:
      return 'error';
  }
}

// ---- an explicit server -------------------------------------------------------------------------

/** One explicit server (`ip`, `ip:port`, `[v6]:port`), queried directly over UDP with dns-packet. */
export async function resolveWithServer(name: string, server: string, opts: DnsQueryOptions): Promise<DnsAnswer> {
  const started = opts.elapsed();
  const endpoint = parseServerEndpoint(server);
  // Settings hold only servers their readers parsed; anything else is answered as an error, named as given.
  const resolver = endpoint ? formatServerEndpoint(endpoint) : (server.trim() as ServerName);
  const answer = (result: FamilyResult): DnsAnswer => ({
    resolver,
    name,
    ...result,
    ms: roundMs(opts.elapsed() - started),
  });
  if (!endpoint) return answer(failure('error', `not a DNS server endpoint: "${server}"`));
  if (opts.signal?.aborted) return answer(failure('error', 'aborted'));

  const exchange = new Exchange(endpoint, retransmitInterval(opts.timeoutMs));
  const qname = normalizeHostname(name);
  // Each family's result is kept as it arrives, so a deadline still reports the family that did answer.
  const results: Array<FamilyResult | undefined> = [undefined, undefined];
  const walks = (['A', 'AAAA'] as const).map((type, i) =>
    walkChain(exchange, qname, type).then((r) => {
      results[i] = r;
    }),
  );
  const { ended } = await boundedPromise(opts, () => Promise.all(walks));
  // Silence is a timeout; responses that were all for other queries are something on the path gone wrong.
  const strays = exchange.strays();
  const unanswered = strays
    ? failure('malformed', `no answer to its query within ${opts.timeoutMs} ms, only ${strays}`)
    : failure('timeout', timeoutMessage(opts.timeoutMs));
  const [a, aaaa] = results.map((r) => r ?? unanswered);
  const result = ended.kind === 'aborted' ? failure('error', 'aborted') : combineFamilies(a!, aaaa!);
  const final = answer(result);
  await exchange.close();
  return final;
}

/** What one address family's walk found; a DnsAnswer without its resolver, name and time. */
type FamilyResult = Omit<DnsAnswer, 'resolver' | 'name' | 'ms'>;

function failure(outcome: DnsOutcome, error?: string): FamilyResult {
  return { outcome, addresses: [], cname: [], ...(error === undefined ? {} : { error }) };
}

/**
 * Ask for `name`, follow the CNAME chain through each response, and ask again for the end of the chain
 * when the server stopped at a CNAME without chasing it. Never rejects: a failed exchange is `error`.
 */
function recursionAvailable(response: { flags?: number }): boolean {
  return ((response.flags ?? 0) & dnsPacket.RECURSION_AVAILABLE) !== 0;
}

async function walkChain(exchange: Exchange, name: string, type: 'A' | 'AAAA'): Promise<FamilyResult> {
  const cname: string[] = [];
  const seen = new Set([name]);
  let ttl: number | undefined;
  let current = name;
  const result = (outcome: DnsOutcome, rcode?: string, extra: Partial<FamilyResult> = {}): FamilyResult => ({
    outcome,
    ...(rcode === undefined ? {} : { rcode }),
    addresses: [],
    cname,
    ...(ttl === undefined ? {} : { ttl }),
    ...extra,
  });
  try {
    // Every pass either returns or lengthens the chain, which is capped: the loop ends.
    for (;;) {
      const asked = current;
      const response = await exchange.query(asked, type);
      const rcode = rcodeOf(response);
      const records = response.answers ?? [];
      for (let alias = cnameOf(records, current); alias; alias = cnameOf(records, current)) {
        cname.push(alias.target);
        ttl = minTtl(ttl, alias.ttl);
        if (seen.has(alias.target)) return result('cname-loop', rcode, { error: `CNAME loop at ${alias.target}` });
        if (cname.length > MAX_CNAME_CHAIN) {
          return result('cname-too-long', rcode, { error: `more than ${MAX_CNAME_CHAIN} names, none repeated` });
        }
        seen.add(alias.target);
        current = alias.target;
      }
      // A chain that ends in NXDOMAIN is kept: public CNAME → privatelink name → NXDOMAIN is exactly
      // how a linked private zone without the record looks.
      if (rcode !== 'NOERROR') {
        const outcome = RCODE_OUTCOMES[rcode];
        return outcome ? result(outcome, rcode) : result('error', rcode, { error: `server answered ${rcode}` });
      }
      const found = recordsOf(records, type, current);
      if (found.length > 0) {
        for (const r of found) ttl = minTtl(ttl, r.ttl);
        return result('ok', rcode, { addresses: unique(found.map((r) => r.data)) });
      }
      // A recursive resolver (RA set) has already chased the chain: asking again for its end would only
      // repeat the "no such record" it just gave (common: privatelink zones hold A records only).
      if (current === asked || recursionAvailable(response)) return result('no-answer', rcode);
    }
  } catch (error) {
    if (error instanceof MalformedAnswer) return result('malformed', undefined, { error: error.message });
    return result('error', undefined, { error: errorText(error) });
  }
}

const RCODE_OUTCOMES: Partial<Record<string, DnsOutcome>> = {
  NXDOMAIN: 'nxdomain',
  SERVFAIL: 'servfail',
  REFUSED: 'refused',
};

function recordsOf(records: Answer[], type: 'A' | 'AAAA' | 'CNAME', owner: string): StringAnswer[] {
  return records.filter((r): r is StringAnswer => r.type === type && sameName(r.name, owner));
}

function cnameOf(records: Answer[], owner: string): { target: string; ttl: number | undefined } | undefined {
  const record = recordsOf(records, 'CNAME', owner)[0];
  return record && { target: normalizeHostname(record.data), ttl: record.ttl };
}

/**
 * Failures in order of what they tell the operator. A server's statement about the name beats silence:
 * resolvers and middleboxes that drop AAAA queries are a known pathology, so "A: no-answer, AAAA:
 * timeout" is a name without addresses, not a dead resolver. Among statements, a loop, a chain too long
 * and NXDOMAIN are facts about the zone (and name the fix); SERVFAIL/REFUSED are facts about the resolver;
 * a malformed answer is a fact about the path to it; an empty NOERROR is normal for one family alone. A
 * local error (e.g. ECONNREFUSED) still says more than silence.
 */
const FAILURE_ORDER: readonly DnsOutcome[] = [
  'cname-loop',
  'cname-too-long',
  'nxdomain',
  'servfail',
  'refused',
  'malformed',
  'no-answer',
  'error',
  'timeout',
];

/** Either family with addresses makes the answer `ok` (A first); otherwise the most telling failure. */
function combineFamilies(a: FamilyResult, aaaa: FamilyResult): FamilyResult {
  const ok = [a, aaaa].filter((f) => f.outcome === 'ok');
  if (ok.length > 0) {
    const ttls = ok.map((f) => f.ttl).filter((t): t is number => t !== undefined);
    return {
      outcome: 'ok',
      rcode: 'NOERROR',
      addresses: unique([...a.addresses, ...aaaa.addresses]),
      cname: ok[0]!.cname,
      ...(ttls.length > 0 ? { ttl: Math.min(...ttls) } : {}),
    };
  }
  const chosen = FAILURE_ORDER.indexOf(aaaa.outcome) < FAILURE_ORDER.indexOf(a.outcome) ? aaaa : a;
  if (a.outcome === aaaa.outcome) return chosen;
  const detail = (type: string, f: FamilyResult) => `${type}: ${f.outcome}${f.error ? ` (${f.error})` : ''}`;
  return { ...chosen, error: `${detail('A', a)}; ${detail('AAAA', aaaa)}` };
}

// ---- the wire ------------------------------------------------------------------------------------

/** What settles a query: its response, or word that it is truncated. Malformed answers reject it. */
type Reply = Extract<Reading, { kind: 'response' | 'truncated' }>;

interface PendingQuery extends Asked {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  resend: NodeJS.Timeout;
}

/** How the strays of a step are summed up, in this order. */
const STRAY_TEXT: ReadonlyArray<[StrayKind, string]> = [
  ['another id', 'responses with another id'],
  ['another question', 'responses to another question'],
  ['not a response', 'packets that are not DNS responses'],
];

/**
 * The sockets of one step: one UDP socket *connected* to the server, so the kernel delivers only its
 * datagrams (source address and port matched) and reports ICMP port-unreachable as ECONNREFUSED instead
 * of a silent timeout; responses are matched by random id and by question, and what matches nothing is
 * counted as a stray. TCP connections are opened only for truncated answers. `close()` leaves no socket or
 * timer behind.
 */
class Exchange {
  private readonly server: ServerEndpoint;
  private readonly retransmitMs: number;
  private readonly socket: dgram.Socket;
  private readonly connected: Promise<void>;
  private readonly pending = new Map<number, PendingQuery>();
  private readonly streams = new Set<net.Socket>();
  private readonly strayKinds = new Set<StrayKind>();
  private broken: Error | undefined;
  private closed = false;

  constructor(server: ServerEndpoint, retransmitMs: number) {
    this.server = server;
    this.retransmitMs = retransmitMs;
    this.socket = dgram.createSocket(server.family === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (message) => this.receive(message));
    this.socket.on('error', (error) => this.fail(error));
    this.connected = new Promise((resolve, reject) => {
      this.socket.connect(server.port, server.address, (error?: Error) => (error ? reject(error) : resolve()));
    });
    // Until a query awaits it, a failed connect must not surface as an unhandled rejection.
    this.connected.catch(() => undefined);
  }

  /** One question; over TCP again when the UDP answer comes back truncated. */
  async query(name: string, type: 'A' | 'AAAA'): Promise<Response> {
    await this.connected;
    const id = this.freshId();
    const packet = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type, name, class: 'IN' }],
    });
    const reply = await new Promise<Reply>((resolve, reject) => {
      if (this.closed || this.broken) return reject(this.broken ?? new Error('closed'));
      const send = () => this.socket.send(packet, (error) => error && this.fail(error));
      this.pending.set(id, { name, type, resolve, reject, resend: setInterval(send, this.retransmitMs) });
      send();
    });
    return reply.kind === 'truncated' ? this.queryOverTcp(packet, id, { name, type }) : reply.response;
  }

  /** What arrived that was no query's answer, summed up; undefined when nothing did. */
  strays(): string | undefined {
    const seen = STRAY_TEXT.filter(([kind]) => this.strayKinds.has(kind)).map(([, text]) => text);
    return seen.length > 0 ? seen.join(' and ') : undefined;
  }

  private queryOverTcp(packet: Buffer, id: number, asked: Asked): Promise<Response> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('closed'));
      const stream = net.connect({ host: this.server.address, port: this.server.port });
      this.streams.add(stream);
      let buffered = Buffer.alloc(0);
      stream.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(packet.length);
        stream.write(Buffer.concat([length, packet]));
      });
      stream.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const frame = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
          buffered = buffered.subarray(2 + frame.length);
          const reading = readResponse(frame, (frameId) => (frameId === id ? asked : undefined));
          if (reading.kind === 'stray') {
            this.strayKinds.add(reading.stray);
            continue;
          }
          if (reading.kind === 'response') resolve(reading.response);
          else
            reject(
              new MalformedAnswer(reading.kind === 'malformed' ? reading.fault : 'marked truncated even over TCP'),
            );
          stream.destroy();
          return;
        }
      });
      stream.on('error', (error) => reject(new Error(`truncated over UDP, and TCP failed: ${errorText(error)}`)));
      stream.on('close', () => {
        this.streams.delete(stream);
        reject(new Error('truncated over UDP, and the TCP connection closed without an answer'));
      });
    });
  }

  private receive(message: Buffer): void {
    const reading = readResponse(message, (id) => this.pending.get(id));
    // Stray datagrams (another id, another question, garbage) are counted and otherwise ignored.
    if (reading.kind === 'stray') {
      this.strayKinds.add(reading.stray);
      return;
    }
    const query = this.pending.get(reading.id)!;
    this.settle(reading.id);
    if (reading.kind === 'malformed') query.reject(new MalformedAnswer(reading.fault));
    else query.resolve(reading);
  }

  private fail(error: Error): void {
    this.broken ??= error;
    for (const [id, query] of this.pending) {
      this.settle(id);
      query.reject(error);
    }
  }

  private settle(id: number): void {
    clearInterval(this.pending.get(id)?.resend);
    this.pending.delete(id);
  }

  private freshId(): number {
    let id: number;
    do id = randomInt(0x10000);
    while (this.pending.has(id));
    return id;
  }

  /** Stops every query, closes every socket and waits until they are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('closed'));
    const streamsClosed = [...this.streams].map((s) => new Promise((resolve) => s.once('close', resolve)));
    for (const stream of this.streams) stream.destroy();
    await Promise.all([...streamsClosed, new Promise<void>((resolve) => this.socket.close(() => resolve()))]);
  }
}

function rcodeOf(response: Response): string {
  return response.rcode ?? 'NOERROR';
}

// ---- shared ----------------------------------------------------------------------------------------

function timeoutMessage(timeoutMs: number): string {
  return `no answer within ${timeoutMs} ms`;
}

function minTtl(current: number | undefined, ttl: number | undefined): number | undefined {
  if (ttl === undefined) return current;
  return current === undefined ? ttl : Math.min(current, ttl);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
