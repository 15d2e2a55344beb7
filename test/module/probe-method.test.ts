// The `probe` direct method: one ad-hoc target, probed by the engine with the module's settings; a bad or
// oversized payload is a 400 with a reason, never silently cut. The network guard fails the test if anything
// connects outside loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeMethod } from '../../src/module/probe-method.js';
import { realDeps } from '../../src/probe/deps.js';
import type { TelemetryBody } from '../../src/report/telemetry.js';
import { startLandscape, type Landscape } from '../support/landscape.js';

let land: Landscape;
beforeAll(async () => {
  land = await startLandscape();
});
afterAll(() => land.close());

const probe = () =>
  createProbeMethod({ settings: () => land.settings({ timeoutMs: 500 }), deps: realDeps(), context: () => ({ deviceId: 'gw', moduleId: 'PrivateLinkProbe', edge: null }) });

describe('the probe method', () => {
  it.each(['8.8.8.8', '169.254.169.254', '2001:4860:4860::8888'])('does not connect to %s, outside the private ranges, and says so as for a name', async (host) => {
    const answer = await probe()({ host, ports: '443,8883' });
    expect(answer.status).toBe(200);
    const [target] = (answer.payload as TelemetryBody).targets;
    expect(target).toMatchObject({ host, status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' });
    expect(target!.ports.map((p) => p.tcp)).toEqual([[], []]);
  });
});
