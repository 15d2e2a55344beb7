// The connection's own logic, driven through a stand-in for the SDK calls (the real SDK against the emulator is
// the end-to-end and fault suites' job): a drain that never spins, holds nothing once a call has settled, drops a
// patch IoT Hub refused, and a shutdown that ends every wait at once.
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HubConnection, type HubHandlers, type HubSdk } from '../../src/hub/connection.js';
import { ReportedRejectedError, type ModuleClient, type ModuleTwin, type OutgoingMessage } from '../../src/hub/sdk.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

type Call<T> = { resolve(value: T): void; reject(error: Error): void };

/** An SDK whose calls settle when the test says so (or at once, by default). */
function fakeSdk() {
  const pendingTwin: Call<ModuleTwin>[] = [];
  const counts = { clients: 0, sends: 0, reported: 0 };
  const state = { stallTwin: false, rejectReported: false, clients: [] as EventEmitter[] };
  const twin = () =>
    Object.assign(new EventEmitter(), {
      properties: { desired: { $version: 1 }, reported: {} },
    }) as unknown as ModuleTwin;
  const sdk: HubSdk = {
    createModuleClient: () => {
      counts.clients++;
      const client = new EventEmitter();
      state.clients.push(client);
      return Promise.resolve(client as unknown as ModuleClient);
    },
    openClient: () => Promise.resolve(undefined),
    closeClient: () => Promise.resolve(undefined),
    onMethod: () => undefined,
    getTwin: () =>
      state.stallTwin
        ? new Promise<ModuleTwin>((resolve, reject) => pendingTwin.push({ resolve, reject }))
        : Promise.resolve(twin()),
    updateReported: () => {
      counts.reported++;
      return state.rejectReported
        ? Promise.reject(new ReportedRejectedError('reported section would be 40000 bytes'))
        : Promise.resolve();
    },
    // Like the SDK's MessageEnqueued result, the answer refers to the message it sent.
    sendOutput: (_client, _output, message) => {
      counts.sends++;
      return Promise.resolve({ transportObj: message });
    },
  };
  return { sdk, counts, state, pendingTwin };
}

function capturedLog() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

function handlers(extra: Partial<HubHandlers> = {}): HubHandlers {
  return { onTwin: () => undefined, onDesiredPatch: () => undefined, methods: {}, ...extra };
}

const message = (data: string): OutgoingMessage => ({
  data,
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  properties: {},
});
const until = async (condition: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
};

const open: HubConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((hub) => hub.close(100)));
});

function connection(sdk: HubSdk, extra: Partial<HubHandlers> = {}, twinTimeoutMs = 60_000) {
  const { log, lines } = capturedLog();
  const hub = new HubConnection(handlers(extra), {
    modelId: 'dtmi:test;1',
    twinTimeoutMs,
    openTimeoutMs: 60_000,
    sendTimeoutMs: 60_000,
    queueCapacity: 100,
    backoff: { baseMs: 10, capMs: 20 },
    log,
    sdk,
  });
  open.push(hub);
  return { hub, lines };
}

describe('the send path', () => {
  it('never spins while the client exists but its twin has not been read: timers still fire, the twin timeout ends the session', async () => {
    const fake = fakeSdk();
    fake.state.stallTwin = true;
    const { hub, lines } = connection(fake.sdk, {}, 200);
    hub.start();
    await until(() => fake.pendingTwin.length === 1, 'the twin read');
    // A run completes now: a reported patch and a message wait for the twin.
    hub.updateReported({ status: { overall: 'healthy' } });
    hub.sendMessage('probeResults', message('{}'));
    // A spinning flush would starve this timer (and the twin timeout, the watchdog and signal handlers with it).
    await new Promise((r) => setTimeout(r, 20));
    await until(() => fake.counts.clients >= 2, 'a new client after the getTwin timeout');
    expect(lines.some((l) => l.msg === 'edgeHub connection failed')).toBe(true);
    expect(hub.queued).toBe(1);
    fake.state.stallTwin = false;
    await until(() => hub.state === 'connected' && hub.queued === 0, 'the queue drained once the twin answers');
    expect(fake.counts.reported).toBe(1);
  });

  it('keeps nothing of a sent message: thousands of sends on one session leave none of them reachable', async () => {
    const fake = fakeSdk();
    const { hub } = connection(fake.sdk);
    hub.start();
    await until(() => hub.state === 'connected', 'connected');
    const sent: WeakRef<OutgoingMessage>[] = [];
    for (let i = 0; i < 2_000; i++) {
      const m = message(`{"run":${i},"pad":"${'x'.repeat(200)}"}`);
      sent.push(new WeakRef(m));
      hub.sendMessage('probeResults', m);
      if (i % 100 === 99) await until(() => hub.queued === 0, 'the queue drained');
    }
    await until(() => hub.queued === 0, 'the queue drained');
    expect(fake.counts.sends).toBe(2_000);
    await new Promise((r) => setImmediate(r));
    gc();
    // The last one may linger in a settled promise's slot until the next send; none before it may.
    expect(sent.slice(0, -1).filter((ref) => ref.deref() !== undefined).length).toBe(0);
  });

  it('drops a reported patch IoT Hub refused instead of merging it into every retry, and keeps the session', async () => {
    const fake = fakeSdk();
    const rejected: string[] = [];
    const { hub, lines } = connection(fake.sdk, { onReportedRejected: (reason) => rejected.push(reason) });
    hub.start();
    await until(() => hub.state === 'connected', 'connected');
    fake.state.rejectReported = true;
    hub.updateReported({ unknownKey: { ac: 400 } });
    hub.sendMessage('probeResults', message('{}'));
    await until(() => rejected.length === 1 && hub.queued === 0, 'the refusal handled and the message sent');
    fake.state.rejectReported = false;
    hub.updateReported({ status: { overall: 'healthy' } });
    await until(() => fake.counts.reported === 2, 'the next patch written');
    expect(rejected[0]).toContain('reported section would be 40000 bytes');
    expect(fake.counts.clients).toBe(1);
    expect(lines.some((l) => l.level === 50 && l.msg.includes('refused a reported patch'))).toBe(true);
  });
});

describe('closing', () => {
  it('ends a twin read that never answers at once, and says nothing of recreating the client', async () => {
    const fake = fakeSdk();
    fake.state.stallTwin = true;
    const { hub, lines } = connection(fake.sdk);
    hub.start();
    await until(() => fake.pendingTwin.length === 1, 'the twin read');
    const started = Date.now();
    await hub.close(1_000);
    expect(Date.now() - started).toBeLessThan(5_000); // the twin timeout is 60 s
    expect(hub.state).toBe('closed');
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
    expect(fake.counts.clients).toBe(1);
  });
});
