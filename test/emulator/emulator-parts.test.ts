// The emulator's pieces on their own: SAS checks against tokens minted by the real SDK code, the telemetry
// property bag, twin merge patches and limits, the workload API's HTTP contract, and a clean close().
import http from 'node:http';
import tls from 'node:tls';
import commonSdk from 'azure-iot-common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../support/emulator/index.js';
import { checkModuleConnect, hmacSha256Base64, sasTokenProblem } from '../support/emulator/module-auth.js';
import { decodeTelemetry, moduleEventsPrefix } from '../support/emulator/telemetry.js';
import { mergePatch, reportedPatchProblem } from '../support/emulator/twin-document.js';

const { SharedAccessSignature, encodeUriComponentStrict } = commonSdk;

const identity = { hubHostname: 'test-hub.azure-devices.net', deviceId: 'edge-device-1', moduleId: 'PrivateLinkProbe' };
const key = Buffer.alloc(32, 1).toString('base64');
const now = 1_800_000_000;
const resource = encodeUriComponentStrict('test-hub.azure-devices.net/devices/edge-device-1/modules/PrivateLinkProbe');

function sdkToken(signingKey: string, expiry: number, sr = resource): string {
  return SharedAccessSignature.create(sr, '', signingKey, expiry).toString();
}

describe('module SAS authentication', () => {
  it('accepts a token the SDK signs with the module key', () => {
    expect(sasTokenProblem(sdkToken(key, now + 3600), identity, key, now)).toBeUndefined();
  });

  it('refuses a wrong key, an expired token, another module and a non-token', () => {
    expect(sasTokenProblem(sdkToken(Buffer.alloc(32, 2).toString('base64'), now + 3600), identity, key, now)).toBe(
      'signature does not match the module key',
    );
    expect(sasTokenProblem(sdkToken(key, now), identity, key, now)).toMatch(/^token expired at /);
    const other = encodeUriComponentStrict('test-hub.azure-devices.net/devices/edge-device-1/modules/Other');
    expect(sasTokenProblem(sdkToken(key, now + 3600, other), identity, key, now)).toMatch(
      /scoped to ".*modules\/Other"/,
    );
    expect(sasTokenProblem('hunter2', identity, key, now)).toMatch(/not a "SharedAccessSignature/);
  });

  it('checks clientId and username and reads the model id', () => {
    const password = Buffer.from(sdkToken(key, now + 3600));
    const username =
      'test-hub.azure-devices.net/edge-device-1/PrivateLinkProbe/?api-version=2021-04-12' +
      '&model-id=dtmi:x:y;1&DeviceClientType=azure-iot-device%2F1.18.4';
    const clientId = 'edge-device-1/PrivateLinkProbe';
    expect(checkModuleConnect(identity, key, { clientId, username, password }, now)).toEqual({
      ok: true,
      modelId: 'dtmi:x:y;1',
    });
    expect(checkModuleConnect(identity, key, { clientId: 'edge-device-1', username, password }, now)).toMatchObject({
      ok: false,
    });
    expect(
      checkModuleConnect(
        identity,
        key,
        { clientId, username: 'other-hub.azure-devices.net/edge-device-1/PrivateLinkProbe/?api-version=1', password },
        now,
      ),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('does not start with') });
    expect(
      checkModuleConnect(
        identity,
        key,
        { clientId, username: 'test-hub.azure-devices.net/edge-device-1/PrivateLinkProbe/', password },
        now,
      ),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('api-version') });
  });
});

describe('telemetry property bag', () => {
  const prefix = moduleEventsPrefix('d', 'm');

  it('splits system and application properties and parses a JSON body', () => {
    const topic = `${prefix}%24.on=probeResults&%24.ct=application%2Fjson&%24.ce=utf-8&schema=privatelink-probe%2Fresult%401/`;
    expect(decodeTelemetry(prefix, topic, Buffer.from('{"overall":"healthy"}'))).toEqual({
      output: 'probeResults',
      body: { overall: 'healthy' },
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      systemProperties: { '$.on': 'probeResults', '$.ct': 'application/json', '$.ce': 'utf-8' },
      properties: { schema: 'privatelink-probe/result@1' },
      topic,
      size: 21,
    });
  });

  it('round-trips any application property the SDK encodes', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('__proto__', 'constructor', '$.mid')),
        fc.string(),
        (name, value) => {
          const topic = `${prefix}%24.on=o&${encodeURIComponent(name)}=${encodeURIComponent(value)}/`;
          const decoded = decodeTelemetry(prefix, topic, Buffer.alloc(0));
          return name.startsWith('$.') ? decoded.systemProperties[name] === value : decoded.properties[name] === value;
        },
      ),
    );
  });
});

describe('twin documents', () => {
  it('merge-patches: objects merge, null deletes, values replace', () => {
    const doc: Record<string, unknown> = { a: { b: 1, c: 2 }, d: 'x', e: [1] };
    mergePatch(doc, { a: { c: null, f: { g: true } }, d: null, e: [2, 3], h: 0 });
    expect(doc).toEqual({ a: { b: 1, f: { g: true } }, e: [2, 3], h: 0 });
    mergePatch(doc, JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(Object.keys(doc)).toContain('__proto__');
  });

  it('refuses what IoT Hub refuses in a reported patch and accepts what it accepts', () => {
    expect(reportedPatchProblem({}, { status: { overall: 'healthy' }, list: [1, 'a'] })).toBeUndefined();
    expect(reportedPatchProblem({}, { $version: 3 })).toMatch(/key contains/);
    expect(reportedPatchProblem({}, { 'has space': 1 })).toMatch(/key contains/);
    expect(reportedPatchProblem({}, { s: 'x'.repeat(4097) })).toMatch(/longer than 4096 bytes/);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) deep = { n: deep };
    expect(reportedPatchProblem({}, deep)).toMatch(/deeper than 10 levels/);
    const big = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(4000)]));
    expect(reportedPatchProblem({}, big)).toMatch(/over the 32768-byte limit/);
    expect(reportedPatchProblem({}, [1])).toBe('reported patch is not a JSON object');
  });
});

function request(
  socketPath: string,
  method: string,
  requestPath: string,
  body?: unknown,
): Promise<{ status: number; contentType: string | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: requestPath, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        }),
      );
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('workload API', () => {
  it('serves the trust bundle and signs for the module, as JSON, and nothing else', async () => {
    const emu = await startEmulator({ generationId: '637000000000000001' });
    try {
      const socketPath = emu.moduleEnv().IOTEDGE_WORKLOADURI!.slice('unix://'.length);
      expect(await request(socketPath, 'GET', '/trust-bundle?api-version=2018-06-28')).toEqual({
        status: 200,
        contentType: 'application/json',
        body: { certificate: emu.caPem },
      });
      const data = Buffer.from('test-hub.azure-devices.net%2Fdevices%2Fedge-device-1\n1800000000').toString('base64');
      const signPath = '/modules/PrivateLinkProbe/genid/637000000000000001/sign?api-version=2018-06-28';
      expect(await request(socketPath, 'POST', signPath, { keyId: 'primary', algo: 'HMACSHA256', data })).toMatchObject(
        {
          status: 200,
          body: { digest: hmacSha256Base64(emu.moduleKey, Buffer.from(data, 'base64')) },
        },
      );
      const otherGeneration = '/modules/PrivateLinkProbe/genid/1/sign?api-version=2018-06-28';
      expect(
        await request(socketPath, 'POST', otherGeneration, { keyId: 'primary', algo: 'HMACSHA256', data }),
      ).toMatchObject({ status: 404 });
      expect(await request(socketPath, 'POST', signPath, { keyId: 'primary', algo: 'SHA1', data })).toMatchObject({
        status: 400,
      });
      expect(await request(socketPath, 'GET', '/trust-bundle')).toMatchObject({ status: 400 });
    } finally {
      await emu.close();
    }
  });
});

describe('close()', () => {
  it('leaves no servers, sockets or timers behind, and fails what was still waiting', async () => {
    const relevant = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
      return counts;
    };
    const before = relevant();
    const emu = await startEmulator({ workloadTransport: 'http' });
    // A client that never hangs up: close() must cut it.
    const socket = tls.connect({ host: '127.0.0.1', port: emu.mqttPort, ca: emu.caPem });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    const waiting = expect(emu.waitFor(() => false, 60_000, 'nothing')).rejects.toThrow('emulator: closed');
    const invoked = expect(emu.invokeMethod('runNow', null, 60_000)).rejects.toThrow('emulator: closed');
    await emu.close();
    await socketClosed;
    await waiting;
    await invoked;
    // Closed handles leave the list within a turn or two of the event loop.
    const leftovers = (): string[] =>
      Object.entries(relevant())
        .filter(([type, n]) => n > (before[type] ?? 0))
        .map(([t]) => t);
    for (let turn = 0; turn < 20 && leftovers().length > 0; turn++) await new Promise((r) => setImmediate(r));
    expect(leftovers()).toEqual([]);
  });
});
