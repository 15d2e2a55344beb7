// The DNS step against real DNS servers on loopback (DNS only: nothing here connects to the answers),
// and the system path with an injected lookup, so the machine's resolver is never asked.
import type { Packet } from 'dns-packet';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SystemLookup } from '../../src/probe/deps.js';
import { resolveSystem, resolveWithServer, type DnsQueryOptions } from '../../src/probe/dns.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { startResponder, type ScriptedResponder } from '../support/dns-responder.js';

const BLOB = 'acct.blob.core.windows.net';
const BLOB_PL = 'acct.privatelink.blob.core.windows.net';
const HEALTHY_CHAIN = [
  { name: BLOB, type: 'CNAME' as const, data: BLOB_PL },
  { name: BLOB_PL, type: 'A' as const, data: '10.1.1.5' },
];
const elapsed = () => performance.now();
const opts = (extra: Partial<DnsQueryOptions> = {}): DnsQueryOptions => ({ timeoutMs: 5000, elapsed, ...extra });

/** Wall-clock time of a call, for the bounded-time assertions. */
async function timed<T>(run: () => Promise<T>): Promise<{ value: T; wallMs: number }> {
  const start = performance.now();
  const value = await run();
  return { value, wallMs: performance.now() - start };
}

describe('resolveWithServer against the loopback DNS server', () => {
  let server: TestDnsServer;
  beforeEach(async () => {
    server = await startDnsServer();
  });
  afterEach(() => server.close());

  it('reports the healthy privatelink chain: CNAME to the privatelink name, private A record', async () => {
    server.setRecords(HEALTHY_CHAIN);
    const answer = await resolveWithServer(BLOB, server.endpoint, opts());
    expect(answer).toMatchObject({
      resolver: server.endpoint,
      name: BLOB,
      outcome: 'ok',
      rcode: 'NOERROR',
      addresses: ['10.1.1.5'],
      cname: [BLOB_PL],
    });
    expect(answer.ms).toBeGreaterThanOrEqual(0);
    expect(answer.error).toBeUndefined();
  });

  it('records the whole chain when the privatelink name falls through to a public frontend', async () => {
    const frontend = 'blob.ams20prdstr02a.store.core.windows.net';
    server.setRecords([
      { name: BLOB, type: 'CNAME', data: BLOB_PL },
      { name: BLOB_PL, type: 'CNAME', data: frontend },
      { name: frontend, type: 'A', data: '203.0.113.10' },
    ]);
    const answer = await resolveWithServer(BLOB, server.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'ok', addresses: ['203.0.113.10'], cname: [BLOB_PL, frontend] });
  });

  it('reports nxdomain and keeps the chain when a linked private zone lacks the record', async () => {
    server.setRecords([{ name: BLOB, type: 'CNAME', data: BLOB_PL }]);
    const answer = await resolveWithServer(BLOB, server.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'nxdomain', rcode: 'NXDOMAIN', addresses: [], cname: [BLOB_PL] });
  });

  it('reports nxdomain for an unknown name', async () => {
    const answer = await resolveWithServer('nothere.azure-devices.net', server.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'nxdomain', rcode: 'NXDOMAIN', addresses: [], cname: [] });
  });

  it('reports servfail and refused from the server rcode', async () => {
    server.setBehaviour('hub.azure-devices.net', 'servfail');
    server.setBehaviour('dps.azure-devices-provisioning.net', 'refused');
    const servfail = await resolveWithServer('hub.azure-devices.net', server.endpoint, opts());
    const refused = await resolveWithServer('dps.azure-devices-provisioning.net', server.endpoint, opts());
    expect(servfail).toMatchObject({ outcome: 'servfail', rcode: 'SERVFAIL', addresses: [] });
    expect(refused).toMatchObject({ outcome: 'refused', rcode: 'REFUSED', addresses: [] });
  });

  it('reports no-answer for a name that exists without an address of either family', async () => {
    server.setRecords([
      { name: BLOB, type: 'CNAME', data: BLOB_PL },
      { name: BLOB_PL, type: 'TXT', data: 'no addresses here' },
    ]);
    const answer = await resolveWithServer(BLOB, server.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'no-answer', rcode: 'NOERROR', addresses: [], cname: [BLOB_PL] });
  });

  it('ends a step against a silent server within timeoutMs, as timeout', async () => {
    server.setBehaviour(BLOB, 'silent');
    const { value: answer, wallMs } = await timed(() =>
      resolveWithServer(BLOB, server.endpoint, opts({ timeoutMs: 300 })),
    );
    expect(answer.outcome).toBe('timeout');
    expect(answer.rcode).toBeUndefined();
    expect(answer.error).toMatch(/300 ms/);
    expect(answer.ms).toBeGreaterThanOrEqual(290);
    expect(answer.ms).toBeLessThan(600);
    expect(wallMs).toBeLessThan(600);
  });

  it('detects a CNAME loop inside one response', async () => {
    server.setRecords([
      { name: 'a.example.test', type: 'CNAME', data: 'b.example.test' },
      { name: 'b.example.test', type: 'CNAME', data: 'a.example.test' },
    ]);
    const answer = await resolveWithServer('a.example.test', server.endpoint, opts());
    expect(answer.outcome).toBe('cname-loop');
    expect(answer.cname).toEqual(['b.example.test', 'a.example.test']);
  });

  it('tells a 50-name chain without a repeated name from a loop: cname-too-long, stopped at 16 names', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `hop${i}.example.test`);
    server.setRecords(names.slice(1).map((data, i) => ({ name: names[i]!, type: 'CNAME' as const, data })));
    server.addRecord({ name: names[49]!, type: 'A', data: '10.1.1.5' });
    const answer = await resolveWithServer(names[0]!, server.endpoint, opts());
    expect(answer).toMatchObject({
      outcome: 'cname-too-long',
      addresses: [],
      error: 'more than 16 names, none repeated',
    });
    expect(answer.cname).toEqual(names.slice(1, 18));
  });

  it('returns AAAA-only addresses', async () => {
    server.setRecords([{ name: 'v6.example.test', type: 'AAAA', data: 'fd00::5' }]);
    const answer = await resolveWithServer('v6.example.test', server.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'ok', addresses: ['fd00::5'], cname: [] });
  });

  it('returns both families, A first', async () => {
    server.setRecords([
      { name: 'dual.example.test', type: 'AAAA', data: 'fd00::5' },
      { name: 'dual.example.test', type: 'A', data: '10.1.1.5' },
      { name: 'dual.example.test', type: 'A', data: '10.1.1.6' },
    ]);
    const answer = await resolveWithServer('dual.example.test', server.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'ok', addresses: ['10.1.1.5', '10.1.1.6', 'fd00::5'] });
  });

  it('uses the smallest TTL among the records used', async () => {
    server.setRecords([
      { name: BLOB, type: 'CNAME', data: BLOB_PL, ttl: 3600 },
      { name: BLOB_PL, type: 'A', data: '10.1.1.5', ttl: 60 },
      { name: BLOB_PL, type: 'A', data: '10.1.1.6', ttl: 10 },
      { name: BLOB_PL, type: 'AAAA', data: 'fd00::5', ttl: 30 },
    ]);
    expect((await resolveWithServer(BLOB, server.endpoint, opts())).ttl).toBe(10);
    server.setRecords([
      { name: BLOB, type: 'CNAME', data: BLOB_PL, ttl: 5 },
      { name: BLOB_PL, type: 'A', data: '10.1.1.5', ttl: 300 },
    ]);
    expect((await resolveWithServer(BLOB, server.endpoint, opts())).ttl).toBe(5);
  });

  it('retries a truncated answer over TCP and gets the full answer', async () => {
    server.setRecords(HEALTHY_CHAIN);
    server.setBehaviour(BLOB, 'truncate');
    const answer = await resolveWithServer(BLOB, server.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'ok', addresses: ['10.1.1.5'], cname: [BLOB_PL] });
    expect(server.tcpQueries).toBe(2); // A and AAAA
  });

  it('falls back to TCP for an answer larger than 512 bytes and keeps every address', async () => {
    const addresses = Array.from({ length: 40 }, (_, i) => `10.1.2.${i + 1}`);
    server.setRecords(addresses.map((data) => ({ name: 'many.example.test', type: 'A' as const, data })));
    const answer = await resolveWithServer('many.example.test', server.endpoint, opts());
    expect(answer.outcome).toBe('ok');
    expect(answer.addresses).toEqual(addresses);
    expect(server.tcpQueries).toBeGreaterThanOrEqual(1);
  });

  it('ends at once with error "aborted" when the signal aborts mid-query', async () => {
    server.setBehaviour(BLOB, 'silent');
    const controller = new AbortController();
    const pending = timed(() => resolveWithServer(BLOB, server.endpoint, opts({ signal: controller.signal })));
    await server.waitForQueries(1);
    controller.abort();
    const { value: answer, wallMs } = await pending;
    expect(answer).toMatchObject({ outcome: 'error', error: 'aborted', addresses: [] });
    expect(wallMs).toBeLessThan(2000); // far below the 5000 ms budget
  });

  it('does not query at all when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const answer = await resolveWithServer(BLOB, server.endpoint, opts({ signal: controller.signal }));
    expect(answer).toMatchObject({ outcome: 'error', error: 'aborted' });
    expect(server.queries).toBe(0);
  });

  it('leaves no socket behind after a timeout or a TCP fallback, and the next step still works', async () => {
    const openSockets = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'TCPSocketWrap').length;
    // Only the server's UDP socket. A closed handle leaves libuv's list one loop turn after its close
    // callback, hence waitFor rather than a single sample.
    await vi.waitFor(() => expect(openSockets()).toBe(1));
    server.setBehaviour(BLOB, 'silent');
    expect((await resolveWithServer(BLOB, server.endpoint, opts({ timeoutMs: 300 }))).outcome).toBe('timeout');
    await vi.waitFor(() => expect(openSockets()).toBe(1));
    server.setRecords(HEALTHY_CHAIN);
    server.setBehaviour(BLOB, 'truncate');
    expect((await resolveWithServer(BLOB, server.endpoint, opts())).addresses).toEqual(['10.1.1.5']);
    expect(server.tcpQueries).toBe(2);
    await vi.waitFor(() => expect(openSockets()).toBe(1));
  });

  it('resends unanswered queries and clears every timer when the deadline ends the step', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      server.setBehaviour(BLOB, 'silent');
      const pending = resolveWithServer(BLOB, server.endpoint, opts({ timeoutMs: 300 }));
      await server.waitForQueries(2); // A and AAAA
      await vi.advanceTimersByTimeAsync(250); // the resend interval's floor
      await server.waitForQueries(4);
      await vi.advanceTimersByTimeAsync(50); // the deadline
      expect((await pending).outcome).toBe('timeout');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports an invalid server endpoint as error', async () => {
    const answer = await resolveWithServer(BLOB, 'dns.example.test:53', opts());
    expect(answer).toMatchObject({ resolver: 'dns.example.test:53', outcome: 'error', addresses: [] });
    expect(answer.error).toMatch(/not a DNS server endpoint/);
  });
});

describe('resolveWithServer with other server set-ups', () => {
  const servers: TestDnsServer[] = [];
  const start = async (...args: Parameters<typeof startDnsServer>) => {
    const s = await startDnsServer(...args);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('walks the chain itself when the server answers one record at a time (chase: false)', async () => {
    const server = await start({ chase: false });
    server.setRecords([
      { name: BLOB, type: 'CNAME', data: BLOB_PL },
      { name: BLOB_PL, type: 'CNAME', data: 'pe.example.test' },
      { name: 'pe.example.test', type: 'A', data: '10.1.1.5' },
    ]);
    const answer = await resolveWithServer(BLOB, server.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'ok', addresses: ['10.1.1.5'], cname: [BLOB_PL, 'pe.example.test'] });
    expect(server.queries).toBeGreaterThanOrEqual(6); // three hops for each family
  });

  it('detects a CNAME loop spread over several responses (chase: false)', async () => {
    const server = await start({ chase: false });
    server.setRecords([
      { name: 'a.example.test', type: 'CNAME', data: 'b.example.test' },
      { name: 'b.example.test', type: 'CNAME', data: 'c.example.test' },
      { name: 'c.example.test', type: 'CNAME', data: 'a.example.test' },
    ]);
    const answer = await resolveWithServer('a.example.test', server.endpoint, opts());
    expect(answer).toMatchObject({
      outcome: 'cname-loop',
      cname: ['b.example.test', 'c.example.test', 'a.example.test'],
    });
  });

  it('gives each of two servers its own answer', async () => {
    const inside = await start();
    const outside = await start({ host: '127.0.0.2' });
    inside.setRecords(HEALTHY_CHAIN);
    outside.setRecords([
      { name: BLOB, type: 'CNAME', data: BLOB_PL },
      { name: BLOB_PL, type: 'A', data: '203.0.113.10' },
    ]);
    const [a, b] = await Promise.all([
      resolveWithServer(BLOB, inside.endpoint, opts()),
      resolveWithServer(BLOB, outside.endpoint, opts()),
    ]);
    expect(a).toMatchObject({ resolver: inside.endpoint, addresses: ['10.1.1.5'] });
    expect(b).toMatchObject({ resolver: outside.endpoint, addresses: ['203.0.113.10'] });
  });

  it('queries an IPv6 server and names it [::1]:port', async () => {
    const server = await start({ host: '::1' });
    server.setRecords(HEALTHY_CHAIN);
    const answer = await resolveWithServer(BLOB, server.endpoint, opts());
    expect(server.endpoint).toBe(`[::1]:${server.port}`);
    expect(answer).toMatchObject({ resolver: server.endpoint, outcome: 'ok', addresses: ['10.1.1.5'] });
  });

  it('reports a server port with nothing listening as error ECONNREFUSED, well before the timeout', async () => {
    const gone = await startDnsServer();
    await gone.close();
    const { value: answer, wallMs } = await timed(() => resolveWithServer(BLOB, gone.endpoint, opts()));
    expect(answer).toMatchObject({ outcome: 'error', error: 'ECONNREFUSED' });
    expect(wallMs).toBeLessThan(2000);
  });
});

const reply = (query: Packet, rcode: number, answers: NonNullable<Packet['answers']> = []): Packet => ({
  type: 'response',
  id: query.id,
  flags: rcode,
  questions: query.questions,
  answers,
});

describe('resolveWithServer against a scripted responder', () => {
  let responder: ScriptedResponder | undefined;
  afterEach(() => responder?.close());

  it('ignores garbage, wrong ids and wrong questions, and takes the matching answer', async () => {
    responder = await startResponder((query, send) => {
      const question = query.questions![0]!;
      const a = { type: 'A' as const, name: question.name, ttl: 60, data: '10.1.1.5' };
      const good = reply(query, 0, question.type === 'A' ? [a] : []);
      send(Buffer.from('not a dns packet'));
      send({ ...reply(query, 0, [{ ...a, data: '203.0.113.66' }]), id: (query.id! + 1) % 0x10000 });
      send({ ...good, questions: [{ ...question, name: 'other.example.test' }], answers: [] });
      send(good);
    });
    const answer = await resolveWithServer(BLOB, responder.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'ok', addresses: ['10.1.1.5'] });
  });

  it('prefers a server statement over silence: A empty, AAAA dropped gives no-answer with both details', async () => {
    responder = await startResponder((query, send) => {
      if (query.questions![0]!.type === 'A') send(reply(query, 0));
    });
    const answer = await resolveWithServer(BLOB, responder.endpoint, opts({ timeoutMs: 300 }));
    expect(answer.outcome).toBe('no-answer');
    expect(answer.error).toMatch(/A: no-answer; AAAA: timeout/);
  });

  it('is ok with the A addresses when the server drops AAAA queries, within the time bound', async () => {
    responder = await startResponder((query, send) => {
      const question = query.questions![0]!;
      if (question.type === 'A') send(reply(query, 0, [{ type: 'A', name: question.name, ttl: 60, data: '10.1.1.5' }]));
    });
    const { value: answer, wallMs } = await timed(() =>
      resolveWithServer(BLOB, responder!.endpoint, opts({ timeoutMs: 300 })),
    );
    expect(answer).toMatchObject({ outcome: 'ok', addresses: ['10.1.1.5'], ttl: 60 });
    expect(wallMs).toBeLessThan(600);
  });

  it('prefers NXDOMAIN over SERVFAIL when the families disagree', async () => {
    responder = await startResponder((query, send) => {
      send(reply(query, query.questions![0]!.type === 'A' ? 2 : 3));
    });
    const answer = await resolveWithServer(BLOB, responder.endpoint, opts());
    expect(answer).toMatchObject({ outcome: 'nxdomain', rcode: 'NXDOMAIN' });
    expect(answer.error).toMatch(/A: servfail; AAAA: nxdomain/);
  });

  it('resends an unanswered UDP query within the budget, so one lost datagram is not a timeout', async () => {
    const seen = new Map<string, number>();
    responder = await startResponder((query, send) => {
      const type = query.questions![0]!.type;
      seen.set(type, (seen.get(type) ?? 0) + 1);
      // Drop each family's first datagram.
      if (seen.get(type) === 1) return;
      const a = { type: 'A' as const, name: query.questions![0]!.name, ttl: 60, data: '10.1.1.5' };
      send(reply(query, 0, type === 'A' ? [a] : []));
    });
    const answer = await resolveWithServer(BLOB, responder.endpoint, opts({ timeoutMs: 3000 }));
    expect(answer).toMatchObject({ outcome: 'ok', addresses: ['10.1.1.5'] });
    expect(answer.ms).toBeLessThan(3000);
  });
});

describe('resolveSystem with an injected lookup', () => {
  const lookupError = (code: string): Error => Object.assign(new Error(`getaddrinfo ${code} ${BLOB}`), { code });

  it('returns both families with duplicates removed, in lookup order', async () => {
    const lookup: SystemLookup = async () => [
      { address: '10.1.1.5', family: 4 },
      { address: 'fd00::5', family: 6 },
      { address: '10.1.1.5', family: 4 },
    ];
    const answer = await resolveSystem(BLOB, lookup, opts());
    expect(answer).toEqual({
      resolver: 'system',
      name: BLOB,
      outcome: 'ok',
      addresses: ['10.1.1.5', 'fd00::5'],
      cname: [],
      ms: expect.any(Number),
    });
  });

  it.each([
    ['ENOTFOUND', 'nxdomain'],
    ['EAI_AGAIN', 'temporary-failure'],
    ['ENODATA', 'no-answer'],
    ['ECONNREFUSED', 'error'],
  ] as const)('maps a %s lookup failure to %s and keeps the code', async (code, outcome) => {
    const answer = await resolveSystem(BLOB, async () => Promise.reject(lookupError(code)), opts());
    expect(answer).toMatchObject({ resolver: 'system', outcome, error: code, addresses: [] });
  });

  it('reports an empty address list as no-answer and a lookup that throws synchronously as error', async () => {
    expect((await resolveSystem(BLOB, async () => [], opts())).outcome).toBe('no-answer');
    const throwing: SystemLookup = () => {
      throw new Error('boom');
    };
    expect(await resolveSystem(BLOB, throwing, opts())).toMatchObject({ outcome: 'error', error: 'boom' });
  });

  it('bounds a lookup that never settles by timeoutMs and then answers the next call', async () => {
    const { value: answer, wallMs } = await timed(() =>
      resolveSystem(BLOB, () => new Promise(() => undefined), opts({ timeoutMs: 300 })),
    );
    expect(answer).toMatchObject({ outcome: 'timeout', addresses: [] });
    expect(answer.ms).toBeGreaterThanOrEqual(290);
    expect(wallMs).toBeLessThan(600);
    const next = await resolveSystem(BLOB, async () => [{ address: '10.1.1.5', family: 4 }], opts());
    expect(next.addresses).toEqual(['10.1.1.5']);
  });

  it('ends with error "aborted" when the signal aborts a hanging lookup', async () => {
    const controller = new AbortController();
    let started!: () => void;
    const lookupStarted = new Promise<void>((resolve) => (started = resolve));
    const hanging: SystemLookup = () => {
      started();
      return new Promise(() => undefined);
    };
    const pending = resolveSystem(BLOB, hanging, opts({ signal: controller.signal }));
    await lookupStarted;
    controller.abort();
    expect(await pending).toMatchObject({ outcome: 'error', error: 'aborted' });
  });
});
