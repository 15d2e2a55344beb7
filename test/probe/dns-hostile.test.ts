// Hostile DNS answers, end to end through the engine: each is named as what it is (a malformed answer, a
// chain too long, a loop), never misread as an address, and never throws. Nothing here connects anywhere:
// every verdict is a DNS one, so the ports are "not tried".
import net from 'node:net';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/probe/defaults.js';
import { realDeps, type ProbeDeps } from '../../src/probe/deps.js';
import { resolveWithServer } from '../../src/probe/dns.js';
import { runProbe } from '../../src/probe/run.js';
import type { DnsOutcome, ProbeSettings, TargetResult } from '../../src/probe/types.js';
import type { HostileBehaviour } from '../support/dns-hostile.js';
import { startResponder, type ScriptedResponder } from '../support/dns-responder.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';

const HOST = 'h.example.test';
const TIMEOUT_MS = 400;
const MIDDLEBOX =
  'something between this device and the resolver, such as a broken middlebox or DNS proxy, mangles DNS traffic, ' +
  'or the resolver itself is faulty; query it from another host to tell which';

let server: TestDnsServer;
beforeAll(async () => {
  server = await startDnsServer();
  server.setRecords([{ name: HOST, type: 'A', data: '10.1.1.5' }]);
});
afterAll(() => server.close());

async function probe(
  host: string,
  over: Partial<ProbeSettings> = {},
  deps: ProbeDeps = realDeps(),
): Promise<TargetResult> {
  const settings = {
    ...DEFAULT_SETTINGS,
    dnsServers: [server.endpoint],
    systemDns: false,
    timeoutMs: TIMEOUT_MS,
    ...over,
  };
  const run = await runProbe([{ name: 't', host, ports: [443] }], settings, deps);
  return run.targets[0]!;
}

describe('a hostile answer is named, never read as an address', () => {
  it.each<[HostileBehaviour, string]>([
    ['short-a-record', 'A: malformed (cut short inside an A record: 1 of 4 address bytes); AAAA: no-answer'],
    ['pointer-loop', 'A: malformed (a name compression pointer that points at itself or forward); AAAA: no-answer'],
    ['header-only', 'ends after its 12-byte header'],
    ['wrong-question', `no answer to its query within ${TIMEOUT_MS} ms, only responses to another question`],
    ['wrong-id', `no answer to its query within ${TIMEOUT_MS} ms, only responses with another id`],
    ['garbage', `no answer to its query within ${TIMEOUT_MS} ms, only packets that are not DNS responses`],
  ])('%s: DNS_MALFORMED naming the server and the fault', async (behaviour, fault) => {
    server.setBehaviour(HOST, behaviour);
    const target = await probe(HOST);
    expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_MALFORMED' });
    expect(target.reason).toBe(
      `DNS server ${server.endpoint} sent a malformed answer for ${HOST} (${fault}): ${MIDDLEBOX}`,
    );
    expect(target.dns.answers[0]).toMatchObject({ outcome: 'malformed', addresses: [] });
    expect(target.dns.addresses).toEqual([]);
    expect(target.ports).toEqual([
      { port: 443, ok: false, code: 'DNS_MALFORMED', reason: 'not tried: DNS_MALFORMED', skipped: true, tcp: [] },
    ]);
  });
});

describe('the system resolver says EAI_AGAIN', () => {
  it('and its nameserver sends malformed answers: DNS_MALFORMED naming the nameserver, not SERVFAIL', async () => {
    server.setRecords([{ name: HOST, type: 'A', data: '10.1.1.5' }]);
    server.setBehaviour(HOST, 'header-only');
    const eaiAgain: ProbeDeps['lookup'] = () =>
      Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }));
    const target = await probe(
      HOST,
      { systemDns: true, dnsServers: [], systemNameservers: [server.endpoint] },
      { ...realDeps(), lookup: eaiAgain },
    );
    expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_MALFORMED' });
    expect(target.reason).toBe(
      `the system resolver sent a malformed answer for ${HOST} (EAI_AGAIN; nameserver ${server.endpoint}: ends after its 12-byte header): ${MIDDLEBOX}`,
    );
  });
});

describe('long CNAME chains and loops are told apart', () => {
  it('a chain of 50 distinct names is too long, not a loop', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `hop${i}.example.test`);
    server.setRecords(names.slice(1).map((data, i) => ({ name: names[i]!, type: 'CNAME' as const, data })));
    server.addRecord({ name: names[49]!, type: 'A', data: '10.1.1.5' });
    const target = await probe(names[0]!);
    expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_CNAME_LOOP' });
    expect(target.reason).toBe(
      `${names[0]} has a CNAME chain too long to follow at DNS server ${server.endpoint} (more than 16 names, none repeated: ` +
        `${names[1]} > … > ${names[17]}): shorten the chain in the zone; resolvers give up after that many aliases`,
    );
  });

  it('a chain that comes back to a name it passed is a loop', async () => {
    server.setRecords([
      { name: 'a.example.test', type: 'CNAME', data: 'b.example.test' },
      { name: 'b.example.test', type: 'CNAME', data: 'a.example.test' },
    ]);
    const target = await probe('a.example.test');
    expect(target).toMatchObject({ status: 'unhealthy', code: 'DNS_CNAME_LOOP' });
    expect(target.reason).toBe(
      `a.example.test has a CNAME loop (after CNAME b.example.test > a.example.test) at DNS server ${server.endpoint}: fix the CNAME records in the zone`,
    );
  });
});

describe('arbitrary bytes as the answer', () => {
  let responder: ScriptedResponder;
  /** What the responder sends for each query, given the query as it arrived. */
  let answerWith: (query: Buffer) => Buffer = () => Buffer.alloc(0);
  beforeAll(async () => {
    responder = await startResponder((query, send) => send(answerWith(dnsPacket.encode(query))));
  });
  afterAll(() => responder.close());

  const OUTCOMES: readonly DnsOutcome[] = [
    'ok',
    'nxdomain',
    'servfail',
    'refused',
    'timeout',
    'no-answer',
    'cname-loop',
    'cname-too-long',
    'malformed',
    'error',
  ];
  const PROPERTY_TIMEOUT_MS = 100;

  // Raw bytes; bytes behind our own id; bytes behind our own header and question; a well-formed answer cut
  // short in its last 40 bytes, perhaps with one byte changed. Raw bytes almost never get past the header: the others reach the
  // parsing of questions and records.
  const tail = fc.uint8Array({ maxLength: 600 });
  const spoilt = fc.oneof(
    fc.record({ kind: fc.constant('raw' as const), tail }),
    fc.record({ kind: fc.constant('our id' as const), tail }),
    fc.record({
      kind: fc.constant('our question' as const),
      tail,
      counts: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    }),
    fc.record({
      kind: fc.constant('cut answer' as const),
      drop: fc.nat({ max: 40 }),
      change: fc.option(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) })),
    }),
  );
  type Spoilt = typeof spoilt extends fc.Arbitrary<infer T> ? T : never;

  function build(query: Buffer, s: Spoilt): Buffer {
    switch (s.kind) {
      case 'raw':
        return Buffer.from(s.tail);
      case 'our id':
        return Buffer.concat([query.subarray(0, 2), s.tail]);
      case 'our question': {
        const head = Buffer.from(query);
        head[2]! |= 0x80; // a response
        Buffer.from(s.counts).copy(head, 6); // answer, authority and additional counts
        return Buffer.concat([head, s.tail]);
      }
      case 'cut answer': {
        const asked = dnsPacket.decode(query);
        const question = asked.questions![0]!;
        const record =
          question.type === 'AAAA'
            ? { type: 'AAAA' as const, data: 'fd00::5' }
            : { type: 'A' as const, data: '10.1.1.5' };
        const whole = dnsPacket.encode({
          type: 'response',
          id: asked.id,
          flags: dnsPacket.RECURSION_AVAILABLE,
          questions: [question],
          answers: [
            { type: 'CNAME', name: question.name, ttl: 60, data: 'pe.example.test' },
            { ...record, name: 'pe.example.test', ttl: 60 },
          ],
        });
        const cut = Buffer.from(whole.subarray(0, whole.length - s.drop));
        if (s.change) cut[s.change.at % cut.length] = s.change.byte;
        return cut;
      }
    }
  }

  it('never throws, ends within the step, and every address it reports is an address', async () => {
    await fc.assert(
      fc.asyncProperty(spoilt, async (s) => {
        answerWith = (query) => build(query, s);
        const started = performance.now();
        const answer = await resolveWithServer(HOST, responder.endpoint, {
          timeoutMs: PROPERTY_TIMEOUT_MS,
          elapsed: () => performance.now(),
        });
        expect(performance.now() - started).toBeLessThan(PROPERTY_TIMEOUT_MS + 500);
        expect(OUTCOMES).toContain(answer.outcome);
        for (const address of answer.addresses) expect(net.isIP(address)).not.toBe(0);
        expect(answer.outcome === 'ok').toBe(answer.addresses.length > 0);
      }),
      { numRuns: 80 },
    );
  });
});
