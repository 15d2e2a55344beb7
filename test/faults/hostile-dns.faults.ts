// Hostile DNS answers reaching the running module — a record cut short, a compression pointer loop, a bare
// header, answers to another question or with another id, garbage — through the `probe` direct method and
// through a configured target reported in the twin. Each must be named DNS_MALFORMED, never read as an
// address: a cut A record once decoded to "127.undefined.undefined.undefined" and sent the operator to fix a
// record that was fine, and the others were reported as a server that did not answer.
import { describe, expect, it } from 'vitest';
import { HOSTILE_BEHAVIOURS, type HostileBehaviour } from '../support/dns-hostile.js';
import { recordFigures } from './figures.js';
import { faultRig, reported, resultBodies, type Json } from './rig.js';

const rig = faultRig();

/** One name per hostile behaviour, with a record the server spoils (the address is never connected to). */
const hostileName = (behaviour: HostileBehaviour) => `faults-${behaviour}.privatelink.blob.core.windows.net`;
/** What the hostile answers carry as decoys, and what a record read past its end decodes to. */
const MISREADINGS = ['203.0.113.66', '2001:db8::66', 'undefined'];
// Answers to another question or with another id are waited out to the deadline: keep it short.
const TIMEOUT_MS = 500;

function serveHostileAnswers(): void {
  for (const behaviour of HOSTILE_BEHAVIOURS) {
    rig.land.dns.addRecord({ name: hostileName(behaviour), type: 'A', data: '127.0.3.9' });
    rig.land.dns.setBehaviour(hostileName(behaviour), behaviour);
  }
}

/** The target is named as a malformed answer and carries no address. */
function expectNamedNotMisread(target: Json, behaviour: HostileBehaviour): void {
  const text = JSON.stringify(target);
  for (const misreading of MISREADINGS) expect(text, `${behaviour}: ${misreading}`).not.toContain(misreading);
  expect(target, behaviour).toMatchObject({ status: 'unhealthy', code: 'DNS_MALFORMED' });
  expect(target.reason, behaviour).toContain('malformed answer');
}

describe('hostile DNS answers', () => {
  it('through the probe method: each named DNS_MALFORMED, none read as an address', async () => {
    const { emu } = await rig.start({
      emulator: { initialDesired: { timeoutMs: TIMEOUT_MS } },
      setUp: serveHostileAnswers,
    });
    await emu.waitFor(() => reported(emu).status, 20_000, 'the first run reported');
    const targets = new Map<HostileBehaviour, Json>();
    for (const behaviour of HOSTILE_BEHAVIOURS) {
      const answer = await emu.invokeMethod('probe', {
        host: hostileName(behaviour),
        ports: '443',
        dnsServers: rig.land.dns.endpoint,
      });
      expect(answer.status, behaviour).toBe(200);
      // The target with its answers: what each resolver said must not be misread either.
      const payload = answer.payload as Json;
      targets.set(behaviour, { ...(payload.targets as Json[])[0], answers: payload.answers });
    }
    recordFigures(
      'hostile DNS answers: code',
      Object.fromEntries([...targets].map(([behaviour, target]) => [behaviour, target.code as string])),
    );
    for (const [behaviour, target] of targets) {
      expectNamedNotMisread(target, behaviour);
      expect(target.addresses ?? [], behaviour).toEqual([]);
    }
  });

  it('as a configured target: named in the twin and in telemetry', async () => {
    const behaviour = 'short-a-record';
    const { emu } = await rig.start({
      emulator: {
        initialDesired: { timeoutMs: TIMEOUT_MS, targets: { hostile: { host: hostileName(behaviour), ports: '443' } } },
      },
      setUp: serveHostileAnswers,
    });
    const twinResult = await emu.waitFor(
      () => reported(emu).results?.hostile as Json | undefined,
      20_000,
      'the hostile target reported',
    );
    expectNamedNotMisread(twinResult, behaviour);
    const body = await emu.waitFor(
      () => resultBodies(emu).find((b) => (b.targets as Json[]).some((t) => t.name === 'hostile')),
      20_000,
      'its telemetry',
    );
    const hostile = (body.targets as Json[]).find((t) => t.name === 'hostile')!;
    expectNamedNotMisread(
      { ...hostile, answers: (body.answers as Json[]).filter((a) => a.target === 'hostile') },
      behaviour,
    );
  });
});
