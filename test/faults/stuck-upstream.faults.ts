// edgeHub that leaves the module hanging — a twin read that never answers, a broker that takes the TLS
// connection and never answers CONNECT — while a probe run completes: the state in which the send path once
// re-entered itself without yielding, so that no timer, HTTP request or signal was served again and only
// SIGKILL ended the process. The module must stay idle and answer, recover once edgeHub answers, and stop
// on SIGTERM.
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../support/emulator/index.js';
import { recordFigures } from './figures.js';
import { cpuShare } from './proc-stats.js';
import { EXIT_LIMIT_MS, faultRig, localGet, reported, resultBodies, stopWithin } from './rig.js';

const rig = faultRig();

/** A few seconds: long enough to tell an idle process (a few %) from a spinning one (most of a core). */
const CPU_WINDOW_MS = 3_000;
/** An idle module reconnecting every few seconds uses a few % of a core; a livelock uses most of one. */
const CPU_SHARE_LIMIT = 0.2;

interface Hang {
  name: string;
  hang(emu: Emulator): void;
  release(emu: Emulator): void;
  env: Record<string, string>;
}

const HANGS: Hang[] = [
  {
    name: 'twin read never answers',
    hang: (emu) => emu.stallTwin(true),
    release: (emu) => emu.stallTwin(false),
    env: {},
  },
  {
    name: 'broker never answers CONNECT',
    hang: (emu) => emu.hangConnects(true),
    release: (emu) => emu.hangConnects(false),
    // Each attempt gives up after 3 s rather than the default 30 s, so recovery comes soon after the release.
    env: { HUB_OPEN_TIMEOUT_MS: '3000' },
  },
];

describe.sequential('edgeHub leaves the module hanging while a run completes', () => {
  it.each(HANGS)(
    '$name: idle, /healthz answers, recovers, exits 0 on SIGTERM',
    async ({ name, hang, release, env }) => {
      // The first run starts half a second in, while the client exists and has no twin yet.
      const { emu, mod, metricsPort } = await rig.start({ env: { FIRST_RUN_WAIT_MS: '500', ...env }, setUp: hang });
      await mod.waitForLine(/"msg":"probe run /, 20_000);
      const cpu = await cpuShare(mod.child.pid!, CPU_WINDOW_MS);
      const healthz = await localGet(metricsPort, '/healthz', 2_000).then(
        (r) => r.status,
        (e: Error) => `no answer (${e.name})`,
      );
      recordFigures(`hang: ${name}`, {
        'CPU while hung (share of a core)': Number(cpu.toFixed(3)),
        '/healthz while hung': healthz,
      });
      expect(cpu, 'CPU share of a core while edgeHub hangs').toBeLessThan(CPU_SHARE_LIMIT);
      expect(healthz).toBe(200);

      release(emu);
      await emu.waitFor(() => reported(emu).status, 30_000, 'reported status once edgeHub answers');
      // The run made while edgeHub hung arrives too.
      await emu.waitFor(() => resultBodies(emu).length >= 1, 30_000, 'the telemetry of the run made while hung');
      const exit = await stopWithin(mod, 'SIGTERM');
      recordFigures(`hang: ${name}`, { 'SIGTERM exit code': String(exit.code), 'SIGTERM exit ms': exit.ms });
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeLessThan(EXIT_LIMIT_MS);
    },
  );
});
