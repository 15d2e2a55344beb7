// A real DNS server on loopback for tests, the benchmark and the demo, so the probe's DNS step is tested
// against the wire protocol rather than a mock: UDP and TCP on one port, built on dns-packet. It answers
// from a record list the way a recursive resolver would (chasing CNAMEs within one response unless
// `chase: false`), and plays scripted faults per name: NXDOMAIN, SERVFAIL, REFUSED, silence, truncation,
// and the hostile answers of dns-hostile.ts. Malformed queries are ignored.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import { formatServerEndpoint, normalizeHostname as normalize } from '../../src/probe/hostname.js';
import { hostileResponse, isHostile, type HostileBehaviour } from './dns-hostile.js';

export type Behaviour = 'answer' | 'nxdomain' | 'servfail' | 'refused' | 'silent' | 'truncate' | HostileBehaviour;

export interface ZoneRecord {
  name: string;
  /** TXT gives a name that exists without addresses (NOERROR, no data, for A and AAAA). */
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT';
  data: string;
  /** Seconds; 300 when omitted. */
  ttl?: number;
}

export interface DnsServerOptions {
  /** Default 127.0.0.1; `::1` for an IPv6 server. */
  host?: string;
  /** 0 (the default) picks a free port for both UDP and TCP. */
  port?: number;
  /** Delay before every response. */
  latencyMs?: number;
  /** Default true: one response carries the whole CNAME chain and its targets, like a recursive resolver. */
  chase?: boolean;
}

export interface TestDnsServer {
  address: string;
  port: number;
  /** `ip:port` (`[ipv6]:port`), ready for `dnsServers`. */
  endpoint: string;
  setRecords(records: ZoneRecord[]): void;
  addRecord(record: ZoneRecord): void;
  /** Per queried name (case-insensitive); every name starts as 'answer'. */
  setBehaviour(name: string, behaviour: Behaviour): void;
  setLatency(ms: number): void;
  /** Well-formed queries received over UDP and TCP. */
  readonly queries: number;
  /** Of those, the ones that came over TCP. */
  readonly tcpQueries: number;
  /** Settles once `queries` reaches `count`: lets a test act while a query is in flight. */
  waitForQueries(count: number): Promise<void>;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const FAULT_RCODES: Partial<Record<Behaviour, number>> = {
  nxdomain: RCODE.NXDOMAIN,
  servfail: RCODE.SERVFAIL,
  refused: RCODE.REFUSED,
};
/** The classic UDP payload limit for a client that sends no EDNS: larger answers go out truncated. */
const UDP_LIMIT = 512;
const DEFAULT_TTL = 300;

export async function startDnsServer(options: DnsServerOptions = {}): Promise<TestDnsServer> {
  const host = options.host ?? '127.0.0.1';
  const chase = options.chase ?? true;
  let latencyMs = options.latencyMs ?? 0;
  const zone = new Map<string, ZoneRecord[]>();
  const behaviours = new Map<string, Behaviour>();
  const delayed = new Set<NodeJS.Timeout>();
  const connections = new Set<net.Socket>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let queries = 0;
  let tcpQueries = 0;

  const { udp, tcp, port } = await bindUdpAndTcp(host, options.port ?? 0);

  function addRecord(record: ZoneRecord): void {
    const name = normalize(record.name);
    const data = record.type === 'CNAME' ? normalize(record.data) : record.data;
    zone.set(name, [...(zone.get(name) ?? []), { ...record, name, data }]);
  }

  /** The records for a question, chasing CNAMEs; NXDOMAIN when the chain ends in a name that has no records. */
  function lookUp(qname: string, qtype: string): { rcode: number; answers: Answer[] } {
    const answers: Answer[] = [];
    const visited = new Set<string>();
    for (let name = qname; ;) {
      visited.add(name);
      const records = zone.get(name) ?? [];
      const matches = records.filter((r) => r.type === qtype);
      if (matches.length > 0) return { rcode: RCODE.NOERROR, answers: [...answers, ...matches.map(toAnswer)] };
      const alias = records.find((r) => r.type === 'CNAME');
      if (!alias) return { rcode: records.length > 0 ? RCODE.NOERROR : RCODE.NXDOMAIN, answers };
      answers.push(toAnswer(alias));
      // A loop is answered with the chain so far: spotting it is the client's job.
      if (!chase || visited.has(alias.data)) return { rcode: RCODE.NOERROR, answers };
      name = alias.data;
    }
  }

  /** The encoded response, or undefined to stay silent. */
  function respond(query: Packet, transport: 'udp' | 'tcp'): Buffer | undefined {
    const question = query.questions![0]!;
    const behaviour = behaviours.get(normalize(question.name)) ?? 'answer';
    if (behaviour === 'silent') return undefined;
    const header = (rcode: number, extra = 0) => ({
      type: 'response' as const,
      id: query.id ?? 0,
      // Recursion available only when it chases, as a recursive resolver does; an authoritative-only server
      // (chase: false) leaves the rest of the chain to the client.
      flags:
        ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
        (chase ? dnsPacket.RECURSION_AVAILABLE : 0) |
        extra |
        rcode,
      questions: [question],
    });
    const truncated = () => dnsPacket.encode(header(RCODE.NOERROR, dnsPacket.TRUNCATED_RESPONSE));
    if (behaviour === 'truncate' && transport === 'udp') return truncated();
    const rcode = FAULT_RCODES[behaviour];
    if (rcode !== undefined) return dnsPacket.encode(header(rcode));
    const found = lookUp(normalize(question.name), question.type);
    const answer = { ...header(found.rcode), answers: found.answers };
    if (isHostile(behaviour)) return hostileResponse(behaviour, answer);
    const response = dnsPacket.encode(answer);
    return transport === 'udp' && response.length > UDP_LIMIT ? truncated() : response;
  }

  /** Decodes one query and hands its response to `reply` after the configured latency. */
  function handle(message: Buffer, transport: 'udp' | 'tcp', reply: (response: Buffer) => void): void {
    const query = decodeQuery(message);
    if (!query) return;
    queries += 1;
    if (transport === 'tcp') tcpQueries += 1;
    for (const waiter of waiters.filter((w) => queries >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const response = respond(query, transport);
    if (!response) return;
    if (latencyMs <= 0) return reply(response);
    const timer = setTimeout(() => {
      delayed.delete(timer);
      reply(response);
    }, latencyMs);
    delayed.add(timer);
  }

  udp.on('message', (message, peer) => {
    handle(message, 'udp', (response) => {
      // The socket may have been closed while the response waited out its latency.
      try {
        udp.send(response, peer.port, peer.address);
      } catch {
        /* closed */
      }
    });
  });
  udp.on('error', () => undefined);

  tcp.on('connection', (connection) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    connection.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    connection.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const frame = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + frame.length);
        handle(frame, 'tcp', (response) => {
          if (!connection.destroyed) connection.write(framed(response));
        });
      }
    });
  });

  return {
    address: host,
    port,
    endpoint: formatServerEndpoint({ address: host, port, family: net.isIPv6(host) ? 6 : 4 }),
    setRecords(records) {
      zone.clear();
      records.forEach(addRecord);
    },
    addRecord,
    setBehaviour(name, behaviour) {
      behaviours.set(normalize(name), behaviour);
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    get queries() {
      return queries;
    },
    get tcpQueries() {
      return tcpQueries;
    },
    waitForQueries(count) {
      if (queries >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      for (const timer of delayed) clearTimeout(timer);
      delayed.clear();
      for (const connection of connections) connection.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

/** UDP first, then TCP on the same port; with port 0 a port whose TCP side is taken is given up and retried. */
async function bindUdpAndTcp(
  host: string,
  wanted: number,
): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(wanted, host, () => resolve());
    });
    const port = udp.address().port;
    const tcp = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => resolve());
      });
      return { udp, tcp, port };
    } catch (error) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (wanted !== 0 || attempt >= 10) throw error;
    }
  }
}

function decodeQuery(message: Buffer): Packet | undefined {
  try {
    const packet = dnsPacket.decode(message);
    return packet.type === 'query' && packet.questions?.[0] ? packet : undefined;
  } catch {
    return undefined;
  }
}

function toAnswer(record: ZoneRecord): Answer {
  return { type: record.type, name: record.name, ttl: record.ttl ?? DEFAULT_TTL, class: 'IN', data: record.data };
}

/** RFC 7766 framing: a two-byte length before each message. */
function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}
