// What a device costs on IoT Hub's bill, end to end: the real module's scheduled quiet run sends the compact
// summary (one 4 KB message unit), while the first run, a run asked for with runNow and a run in which a verdict
// changed go out in full detail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../support/emulator/index.js';
import { edgeModuleEnv, moduleCleanup } from '../support/edge-module-env.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { startModuleProcess } from '../support/module-process.js';

// 127.0.0.59 belongs to this file (see landscape.ts).
const HUB = 'e2e-bill.privatelink.azure-devices.net';
let land: Landscape;
const track = moduleCleanup();

beforeAll(async () => {
  land = await startLandscape();
  await land.add({ name: 'iothub', host: HUB, address: '127.0.0.59', fixedPorts: [8883] });
});
afterAll(() => land.close());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('message cost end to end', () => {
  it(
    'sends a summary for a quiet scheduled run and full detail for the first run, runNow and a change',
    { timeout: 90_000 },
    async () => {
      const emu = await startEmulator({ hubHostname: HUB, initialDesired: { intervalSeconds: 10 } });
      const mod = startModuleProcess(edgeModuleEnv(emu, await land.moduleEnv()));
      track(emu, mod);
      const results = () => emu.messages.filter((m) => m.output === 'probeResults');
      const schemaOf = (m: { properties: Record<string, string> }) => m.properties.schema;

      await emu.waitFor(() => results()[0], 20_000, 'the first run');
      // The next run, ten seconds on, changes nothing.
      const quiet = await emu.waitFor(() => results()[1], 20_000, 'the second, scheduled run');
      expect(schemaOf(results()[0]!)).toBe('privatelink-probe/result@2');
      expect(schemaOf(quiet)).toBe('privatelink-probe/summary@2');
      expect(quiet.body).toMatchObject({
        schema: 'privatelink-probe/summary@2',
        overall: 'healthy',
        targets: [{ name: 'iothub', status: 'healthy', code: 'OK' }],
      });
      expect(Buffer.byteLength(JSON.stringify(quiet.body))).toBeLessThan(4096);

      // The next scheduled run sees the hub's name gone: a change, in full.
      land.dns.setBehaviour(HUB, 'nxdomain');
      const changed = await emu.waitFor(() => results()[2], 20_000, 'the third, scheduled run');
      land.dns.setBehaviour(HUB, 'answer');
      expect(changed.body as Json).toMatchObject({ schema: 'privatelink-probe/result@2', overall: 'unhealthy' });
      expect((changed.body as Json).answers).toBeDefined();

      // Asked for: in full, though nothing changed since.
      land.dns.setBehaviour(HUB, 'nxdomain');
      await emu.invokeMethod('runNow', {});
      land.dns.setBehaviour(HUB, 'answer');
      expect(schemaOf(await emu.waitFor(() => results()[3]))).toBe('privatelink-probe/result@2');
    },
  );
});
