// A link that comes and goes, end to end: the real module against the emulator while the loopback DNS server
// answers the hub's name, then refuses it, in turn. The twin must say FLAPPING, the alerts output must carry one
// alert when flapping starts and one when it ends (not one per flip), and the status page must draw the timeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../support/emulator/index.js';
import { edgeModuleEnv, moduleCleanup } from '../support/edge-module-env.js';
import { freePort } from '../support/free-port.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { startModuleProcess } from '../support/module-process.js';

// 127.0.0.58 belongs to this file (see landscape.ts).
const HUB = 'e2e-flap.privatelink.azure-devices.net';
let land: Landscape;
const track = moduleCleanup();

beforeAll(async () => {
  land = await startLandscape();
  await land.add({ name: 'iothub', host: HUB, address: '127.0.0.58', fixedPorts: [8883] });
});
afterAll(() => land.close());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('a flapping link end to end', () => {
  it(
    'shows FLAPPING in the twin, alerts once each way and draws the timeline on the page',
    { timeout: 60_000 },
    async () => {
      // A short rule keeps the test short: 3 changes within 4 runs flag it; 4 runs without a change clear it.
      const emu = await startEmulator({ hubHostname: HUB, initialDesired: { flapping: { changes: 3, window: 4 } } });
      const port = await freePort();
      const mod = startModuleProcess(
        edgeModuleEnv(emu, await land.moduleEnv(), { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' }),
      );
      track(emu, mod);
      const reported = () => emu.twin.reported as Json;
      const hubAlerts = () => emu.messages.filter((m) => m.output === 'alerts').map((m) => m.body as Json);
      await emu.waitFor(() => reported().results?.iothub, 20_000, 'the first run reported');

      /** Sets the hub's DNS answer, runs once through `runNow` and returns the code that run reports. */
      const run = async (up: boolean): Promise<string> => {
        land.dns.setBehaviour(HUB, up ? 'answer' : 'nxdomain');
        const answer = await emu.invokeMethod('runNow', {});
        expect(answer.status).toBe(200);
        return ((answer.payload as Json).targets as Json[]).find((t) => t.name === 'iothub')!.code as string;
      };

      // The first run was healthy; three changes follow, the third crosses the threshold.
      expect(await run(false)).toBe('DNS_NXDOMAIN');
      expect(await run(true)).toBe('OK');
      expect(await run(false)).toBe('FLAPPING');
      const flagged = await emu.waitFor(() =>
        reported().results?.iothub?.code === 'FLAPPING' ? reported().results.iothub : undefined,
      );
      expect(flagged).toMatchObject({ status: 'degraded', measured: 'DNS_NXDOMAIN' });
      expect(flagged.reason).toMatch(/^the verdict changed 3 times in the last 4 runs \(now DNS_NXDOMAIN/);
      // Still flipping: the flag holds and nothing is alerted.
      expect(await run(true)).toBe('FLAPPING');
      expect(await run(false)).toBe('FLAPPING');
      // Cleared once no run of the window changed: the change back to healthy counts, then four steady runs.
      for (let i = 0; i < 4; i++) expect(await run(true)).toBe('FLAPPING');
      expect(await run(true)).toBe('OK');

      await emu.waitFor(() => hubAlerts().find((a) => a.from === 'degraded'), 10_000, 'the alert that flapping ended');
      const alerts = hubAlerts();
      expect(alerts.map((a) => `${a.from}>${a.to}:${a.code}`)).toEqual([
        'unknown>healthy:OK',
        'healthy>unhealthy:DNS_NXDOMAIN',
        'unhealthy>healthy:OK',
        'healthy>degraded:FLAPPING',
        'degraded>healthy:OK',
      ]);
      expect(reported().results.iothub).toMatchObject({ code: 'OK', history: { runs: 11, changes: 6 } });

      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      const timeline =
        /<div class="history" data-target="iothub">[\s\S]*?<svg class="timeline"[^>]*>([\s\S]*?)<\/svg>/.exec(
          page,
        )![1]!;
      expect([...timeline.matchAll(/data-status="(\w+)"/g)].map((m) => m[1])).toEqual([
        'healthy',
        'unhealthy',
        'healthy',
        'unhealthy',
        'healthy',
        'unhealthy',
        'healthy',
      ]);
      const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Json;
      expect(status.history.targets.iothub).toHaveLength(11);
    },
  );
});
