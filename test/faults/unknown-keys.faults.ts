// A desired document with hundreds of unknown top-level keys. Each one is acknowledged, and an unbounded
// acknowledgement once made the reported section pass IoT Hub's 32 KB limit: the hub refused the patch, the
// module reconnected in a loop, telemetry and methods stopped, and deleting the keys did not help. The
// emulator refuses a reported section over 32 KB with status 400, as IoT Hub does.
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../support/emulator/index.js';
import { recordFigures } from './figures.js';
import { faultRig, HUB, reported, resultBodies, type Json } from './rig.js';

const rig = faultRig();

const PATCH_LIMIT_BYTES = 32 * 1024;

const patchSizes = (emu: Emulator) =>
  emu.twinRequests.filter((r) => r.method === 'PATCH').map((r) => Buffer.byteLength(JSON.stringify(r.body)));
/** The acknowledgement of `version` is in the twin, or the hub has refused a reported patch. */
const settled = (emu: Emulator, version: number) =>
  reported(emu).intervalSeconds?.av === version || emu.rejectedReportedPatches.length > 0;

describe('hundreds of unknown desired keys', () => {
  // 56: an unbounded acknowledgement alone just fits in 32 KB, the section with it does not; 300: far over.
  it.each([56, 300])(
    '%i keys: every reported patch within 32 KB, sending and answering go on, the acks go with the keys',
    async (count) => {
      const unknownKeys = Array.from({ length: count }, (_, i) => `unknownSetting${i}`);
      const staleAcks = (emu: Emulator) => unknownKeys.filter((key) => key in reported(emu));
      const { emu } = await rig.start({ emulator: { initialDesired: { intervalSeconds: 600 } } });
      await emu.waitFor(
        () => reported(emu).status && resultBodies(emu).length >= 1,
        20_000,
        'the first run reported and sent',
      );
      const connections = emu.connections;
      try {
        emu.patchDesired(Object.fromEntries(unknownKeys.map((key) => [key, 'some value'])));
        await emu.waitFor(() => settled(emu, emu.twin.desiredVersion), 20_000, 'the document acknowledged');
        // Methods are answered, telemetry keeps flowing, and a verdict that changes still reaches the twin: the
        // acknowledgement leaves the results their room.
        rig.land.dns.setBehaviour(HUB, 'nxdomain');
        const run = await emu.invokeMethod('runNow', {}, 20_000);
        expect(run.status).toBe(200);
        const runId = (run.payload as Json).runId as string;
        await emu.waitFor(
          () => resultBodies(emu).some((b) => b.runId === runId),
          20_000,
          'the run after the document sent',
        );
        await emu.waitFor(
          () => reported(emu).results?.iothub?.code === 'DNS_NXDOMAIN' || emu.rejectedReportedPatches.length > 0,
          20_000,
          'the changed verdict reported',
        );

        emu.patchDesired(Object.fromEntries(unknownKeys.map((key) => [key, null])));
        await emu.waitFor(() => settled(emu, emu.twin.desiredVersion), 20_000, 'the clean document acknowledged');
        expect(emu.rejectedReportedPatches.map((r) => r.reason)).toEqual([]);
        expect(Math.max(...patchSizes(emu))).toBeLessThanOrEqual(PATCH_LIMIT_BYTES);
        expect(emu.connections - connections, 'reconnects').toBe(0);
        expect(staleAcks(emu)).toEqual([]);
        expect(reported(emu).intervalSeconds).toMatchObject({ value: 600, ac: 200, av: emu.twin.desiredVersion });
      } finally {
        rig.land.dns.setBehaviour(HUB, 'answer');
        recordFigures(`${count} unknown desired keys`, {
          'reported patches': patchSizes(emu).length,
          'largest reported patch (bytes)': Math.max(...patchSizes(emu)),
          'patches refused by the hub': emu.rejectedReportedPatches.length,
          'reconnects meanwhile': emu.connections - connections,
          'stale acks at the end': staleAcks(emu).length,
        });
      }
    },
  );
});
