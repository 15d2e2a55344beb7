// SIGTERM (edgeAgent's stop) and SIGINT in every state the module can be in: it must exit 0 within 5 s each
// time. Once, a signal during the first-run wait killed the process by the signal, and a livelocked send
// path ignored it altogether.
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../support/emulator/index.js';
import type { ModuleProcess } from '../support/module-process.js';
import { recordFigures } from './figures.js';
import { EXIT_LIMIT_MS, faultRig, reported, resultBodies, stopWithin, within, type StartOptions } from './rig.js';

const rig = faultRig();

/** A name the landscape's DNS server receives queries for and never answers. */
const SILENT_NAME = 'faults-silent.privatelink.blob.core.windows.net';
let queriesBeforeStart = 0;

interface State {
  name: string;
  start: StartOptions;
  /** Resolves once the module is in the state. */
  reach(emu: Emulator, mod: ModuleProcess): Promise<unknown>;
}

const STATES: State[] = [
  {
    name: 'connecting, edgeHub down, first-run wait',
    // The wait is long enough for the signal to land inside it.
    start: { env: { FIRST_RUN_WAIT_MS: '60000' }, setUp: (emu) => emu.refuseConnections(true) },
    reach: (_emu, mod) => mod.waitForLine(/edgeHub connection failed/, 20_000),
  },
  {
    name: 'connected, idle',
    start: {},
    reach: (emu) =>
      emu.waitFor(() => reported(emu).status && resultBodies(emu).length >= 1, 20_000, 'a run reported and sent'),
  },
  {
    name: 'mid-run, DNS server silent',
    start: {
      emulator: { initialDesired: { timeoutMs: 20_000, targets: { silent: { host: SILENT_NAME, ports: '443' } } } },
      setUp: () => {
        rig.land.dns.setBehaviour(SILENT_NAME, 'silent');
        queriesBeforeStart = rig.land.dns.queries;
      },
    },
    // The module asks DNS nothing before its first run, which then waits 20 s for the silent server.
    reach: async (emu) => {
      await emu.waitFor(() => reported(emu).timeoutMs?.ac === 200, 20_000, 'the desired properties acknowledged');
      await within(rig.land.dns.waitForQueries(queriesBeforeStart + 1), 20_000, "the first run's DNS query");
    },
  },
  {
    name: 'mid-reconnect, edgeHub gone',
    start: {},
    reach: async (emu, mod) => {
      await emu.waitFor(() => reported(emu).status, 20_000, 'reported status');
      const mark = mod.lines.length;
      await emu.refuseConnections(true);
      emu.dropConnections();
      await mod.waitForLine(/edgeHub connection failed/, 20_000, mark);
    },
  },
  {
    name: 'twin stalled, a run completed',
    start: { env: { FIRST_RUN_WAIT_MS: '500' }, setUp: (emu) => emu.stallTwin(true) },
    reach: (_emu, mod) => mod.waitForLine(/"msg":"probe run /, 20_000),
  },
];

describe.sequential.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  it.each(STATES)('$name: exits 0 within 5 s', async ({ name, start, reach }) => {
    const { emu, mod } = await rig.start(start);
    await reach(emu, mod);
    const exit = await stopWithin(mod, signal);
    recordFigures('signals: exit code, ms', {
      [`${signal}, ${name}`]: `${exit.code ?? 'killed by the signal'}, ${exit.ms}`,
    });
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(EXIT_LIMIT_MS);
  });
});
