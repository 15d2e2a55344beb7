// edgeHub going away again and again — restarted with and without the persistent sessions, refusing
// connections for a while, dropping them — each time while a probe run is in flight, so its result is made
// while the link is down. Every outage must be recovered, and every run's telemetry must reach edgeHub
// exactly once and in order (an outage once livelocked the send path).
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../support/emulator/index.js';
import type { ModuleProcess } from '../support/module-process.js';
import { recordFigures } from './figures.js';
import { faultRig, loggedRunIds, resultBodies, within, type Json } from './rig.js';

// Every DNS answer takes a little while, so a run is still in flight when the outage begins.
const rig = faultRig({ dnsLatencyMs: 150 });

const OUTAGES = 20;

interface Outage {
  name: string;
  /** Takes edgeHub away; resolves once the outage is under way (or over, for those edgeHub ends itself). */
  begin(emu: Emulator, mod: ModuleProcess): Promise<void>;
}

const OUTAGE_KINDS: Outage[] = [
  { name: 'restart keeping the sessions', begin: (emu) => emu.restart({ keepSessions: true }) },
  { name: 'restart losing the sessions', begin: (emu) => emu.restart({ keepSessions: false }) },
  {
    name: 'connections refused until the module has tried again',
    begin: async (emu, mod) => {
      const mark = mod.lines.length;
      await emu.refuseConnections(true);
      emu.dropConnections();
      await mod.waitForLine(/edgeHub connection failed/, 20_000, mark);
      await emu.refuseConnections(false);
    },
  },
  { name: 'connections dropped', begin: (emu) => Promise.resolve(emu.dropConnections()) },
];

/** Runs the module logged as completed while its edgeHub connection was not up (their results had to wait). */
function runsWhileAway(mod: ModuleProcess): number {
  let state = 'disconnected';
  let away = 0;
  for (const line of mod.lines) {
    const change = /"msg":"edgeHub connection (\w+)"/.exec(line);
    if (change) state = change[1]!;
    else if (line.includes('"msg":"probe run ') && state !== 'connected') away++;
  }
  return away;
}

/** Twin reads edgeHub answered: the module reads the whole twin at the start of every session. */
const twinsRead = (emu: Emulator) => emu.twinRequests.filter((r) => r.method === 'GET' && r.status === 200).length;
/** A method call reaches the module only while it holds the subscription (edgeHub does not keep them). */
const hearsMethods = (emu: Emulator) => emu.subscriptions.some((topic) => topic.startsWith('$iothub/methods/POST'));

describe('repeated edgeHub outages', () => {
  it(`recovers from ${OUTAGES} outages, losing, duplicating and reordering no telemetry`, async () => {
    const { emu, mod } = await rig.start({ emulator: { initialDesired: { intervalSeconds: 3600 } } });
    await emu.waitFor(
      () => twinsRead(emu) >= 1 && hearsMethods(emu) && resultBodies(emu).length >= 1,
      20_000,
      'the first run sent',
    );
    const dns = rig.land.dns;
    let recovered = 0;
    try {
      for (let i = 0; i < OUTAGES; i++) {
        const outage = OUTAGE_KINDS[i % OUTAGE_KINDS.length]!;
        const sessions = twinsRead(emu);
        const queries = dns.queries;
        // The answer may be lost with the connection; the run's telemetry must not be.
        void emu.invokeMethod('runNow', {}, 60_000).catch(() => undefined);
        await within(dns.waitForQueries(queries + 1), 20_000, `the run before outage ${i + 1}`);
        await outage.begin(emu, mod);
        await emu.waitFor(
          () => twinsRead(emu) > sessions && hearsMethods(emu),
          30_000,
          `recovery from outage ${i + 1} (${outage.name})`,
        );
        recovered++;
      }
    } finally {
      recordFigures('broker outages', { outages: OUTAGES, recovered });
    }
    const last = await emu.invokeMethod('runNow', {}, 30_000);
    expect(last.status).toBe(200);
    const lastRunId = (last.payload as Json).runId as string;
    await emu.waitFor(() => resultBodies(emu).some((b) => b.runId === lastRunId), 30_000, 'the last run sent');

    const ran = loggedRunIds(mod);
    const away = runsWhileAway(mod);
    const sent = resultBodies(emu);
    const sentIds = sent.map((b) => b.runId as string);
    const startedAt = sent.map((b) => Date.parse(b.startedAt as string));
    const upstream = ((await emu.invokeMethod('getStatus', {})).payload as Json).upstream as Json;
    recordFigures('broker outages', {
      'edgeHub connections': emu.connections,
      'runs completed': ran.length,
      'of which while edgeHub was away': away,
      'results received': sent.length,
      lost: ran.filter((id) => !sentIds.includes(id)).length,
      duplicated: sentIds.length - new Set(sentIds).size,
      'out of order': startedAt.filter((t, i) => i > 0 && t <= startedAt[i - 1]!).length,
      'dropped from the queue (reported)': upstream.dropped as number,
    });
    expect(recovered).toBe(OUTAGES);
    // The scenario's premise: most results were made while the link was down and had to wait for it.
    expect(away).toBeGreaterThanOrEqual(OUTAGES / 2);
    expect(sentIds).toEqual(ran);
    expect(startedAt).toEqual([...startedAt].sort((a, b) => a - b));
    expect(upstream).toMatchObject({ state: 'connected', queued: 0, dropped: 0 });
  }, 240_000);
});
