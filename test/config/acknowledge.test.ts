import { describe, expect, it } from 'vitest';
import { acknowledge, reportedAcknowledgements } from '../../src/config/acknowledge.js';
import type { JsonObject } from '../../src/config/json.js';
import type { DesiredDoc } from '../../src/config/model.js';
import { twinSafetyViolation } from '../../src/config/twin-safe.js';
import { DEFAULT_CONFIG, validateDesired } from '../../src/config/validate.js';

const good: DesiredDoc = {
  intervalSeconds: '60',
  dns: { servers: ['10.0.0.4', '10.0.0.5:5353'] },
  targets: {
    acr: {
      host: 'r.privatelink.azurecr.io',
      kind: 'acr',
      ports: [443, '8443'],
      expectedAddresses: ['10.1.2.4', '10.1.2.5'],
    },
    blob: { host: 's.blob.core.windows.net', enabled: false },
  },
};

function ack(desired: DesiredDoc, version: number, lastGood = DEFAULT_CONFIG) {
  return acknowledge(desired, version, validateDesired(desired), lastGood).ack;
}

/** The patch acknowledging `desired` over the acknowledgement `previous`. */
function patchOver(previous: JsonObject, desired: DesiredDoc, version: number) {
  return acknowledge(desired, version, validateDesired(desired), DEFAULT_CONFIG, previous).patch;
}

describe('acknowledge an accepted version', () => {
  const accepted = ack(good, 7);

  it('acknowledges every present key with ac 200, the version and "applied"', () => {
    expect(Object.keys(accepted).sort()).toEqual(['dns', 'intervalSeconds', 'targets']);
    for (const entry of Object.values(accepted)) expect(entry).toMatchObject({ ac: 200, av: 7, ad: 'applied' });
  });

  it('reports values as applied, normalized and twin-safe: lists joined, targets keyed by name, defaults filled', () => {
    expect(accepted.intervalSeconds!.value).toBe(60);
    expect(accepted.dns!.value).toEqual({
      servers: '10.0.0.4:53,10.0.0.5:5353',
      system: true,
      privateRanges: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7',
    });
    expect(accepted.targets!.value).toEqual({
      acr: { host: 'r.privatelink.azurecr.io', kind: 'acr', ports: '443,8443', expectedAddresses: '10.1.2.4,10.1.2.5' },
    });
    expect(twinSafetyViolation(accepted)).toBeUndefined();
  });

  it('reports every other key in the same form', () => {
    const all = ack(
      { timeoutMs: 100, hostnamePolicy: 'any', autoTargets: 'false', telemetry: { onChangeOnly: true } },
      3,
    );
    expect(all).toEqual({
      timeoutMs: { value: 100, ac: 200, av: 3, ad: 'applied' },
      hostnamePolicy: { value: 'any', ac: 200, av: 3, ad: 'applied' },
      autoTargets: { value: false, ac: 200, av: 3, ad: 'applied' },
      telemetry: {
        value: { enabled: true, output: 'probeResults', onChangeOnly: true, detail: 'auto' },
        ac: 200,
        av: 3,
        ad: 'applied',
      },
    });
  });
});

describe('acknowledge a rejected version', () => {
  const lastGood = validateDesired(good);
  if (!lastGood.ok) throw new Error('fixture must validate');
  const bad: DesiredDoc = {
    ...good,
    intervalSeconds: 5,
    targets: { acr: { host: 'r.privatelink.azurecr.io', ports: '70000' } },
    colour: 'red',
  };
  const rejected = ack(bad, 8, lastGood.config);

  it('gives every present key ac 400 and the version', () => {
    expect(Object.keys(rejected).sort()).toEqual(['colour', 'dns', 'intervalSeconds', 'targets']);
    for (const entry of Object.values(rejected)) expect(entry).toMatchObject({ ac: 400, av: 8 });
  });

  it('reports the value still in effect, not the rejected one', () => {
    expect(rejected.intervalSeconds!.value).toBe(60);
    expect(rejected.targets!.value).toEqual(ack(good, 7).targets!.value);
    expect(rejected.dns!.value).toEqual(ack(good, 7).dns!.value);
    expect(rejected.colour!.value).toBeNull();
  });

  it("names the keys at fault and why, the key's own faults first", () => {
    expect(rejected.intervalSeconds!.ad).toBe(
      "rejected, last good value kept: intervalSeconds: must be an integer from 10 to 86400, got 5; colour: unknown key 'colour'; targets.acr.ports: port 70000 is out of range 1–65535",
    );
    expect(rejected.targets!.ad).toMatch(/^rejected, last good value kept: targets\.acr\.ports: port 70000/);
    expect(rejected.dns!.ad).toBe(
      "not applied, the desired version was rejected: colour: unknown key 'colour'; intervalSeconds: must be an integer from 10 to 86400, got 5; targets.acr.ports: port 70000 is out of range 1–65535",
    );
  });

  it('keeps ad within 512 bytes, cut with an ellipsis', () => {
    const targets = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`target${i}`, { host: 'not a host' }]));
    const many = ack({ targets, timeoutMs: 1 }, 9);
    expect(Buffer.byteLength(many.timeoutMs!.ad)).toBeLessThanOrEqual(512);
    expect(many.timeoutMs!.ad).toMatch(/^rejected, last good value kept: timeoutMs: .*…$/);
    expect(twinSafetyViolation(many)).toBeUndefined();
  });

  it('does not acknowledge a desired key named like a reported section in place, but names it and its fault elsewhere', () => {
    const clash = ack({ status: 'x', timeoutMs: 1000, unknownKeys: 'y' }, 10);
    expect(Object.keys(clash)).toEqual(['timeoutMs', 'unknownKeys']);
    expect(clash.timeoutMs).toMatchObject({
      ac: 400,
      value: 5000,
      ad: expect.stringContaining("status: unknown key 'status'"),
    });
    expect(clash.unknownKeys).toMatchObject({
      value: 'status,unknownKeys',
      ac: 400,
      av: 10,
      ad: expect.stringMatching(/^2 unknown desired keys, /),
    });
  });
});

describe('acknowledge unknown keys', () => {
  it('acknowledges the first 8 in place and names the others, in document order, in unknownKeys', () => {
    const unknown = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`extra${i}`, i]));
    const acks = ack({ intervalSeconds: 60, ...unknown, 'not a key': 1 }, 3);
    expect(Object.keys(acks)).toEqual([
      'intervalSeconds',
      ...Array.from({ length: 8 }, (_, i) => `extra${i}`),
      'unknownKeys',
    ]);
    expect(acks.extra0).toMatchObject({
      value: null,
      ac: 400,
      av: 3,
      ad: expect.stringMatching(/^rejected, last good value kept: extra0: unknown key 'extra0'/),
    });
    expect(acks.unknownKeys).toEqual({
      value: 'extra8,extra9,extra10,not a key',
      ac: 400,
      av: 3,
      ad: '4 unknown desired keys, not acknowledged one by one (value names them): delete them; the desired version is rejected while they are there',
    });
  });

  it('names only the target names when their settings would not fit, and deletes the settings with the same patch', () => {
    const host = (i: number) => `${'h'.repeat(63)}.${'x'.repeat(63)}.${'y'.repeat(63)}.t${i}.example.com`;
    const pins = Array.from({ length: 8 }, (_, i) => `10.255.255.${240 + i}`);
    const targets = Object.fromEntries(
      Array.from({ length: 32 }, (_, i) => [
        `target${String(i).padStart(2, '0')}`,
        { host: host(i), ports: '1,2,3,4,5,6,7,8', expectedAddresses: pins },
      ]),
    );
    const before = ack({ targets: { target00: { host: host(0) } } }, 1);
    const { ack: acks, patch } = acknowledge({ targets }, 2, validateDesired({ targets }), DEFAULT_CONFIG, before);
    const names = Object.keys(targets);
    expect(acks.targets).toMatchObject({
      ac: 200,
      ad: 'applied',
      value: Object.fromEntries(names.map((name) => [name, {}])),
    });
    // Still keyed by name, as the model's map says; the settings acknowledged before are deleted with nulls.
    expect((patch.targets as { value: Record<string, unknown> }).value.target00).toEqual({ host: null });
  });
});

describe('the acknowledgement patch', () => {
  it('writes null for keys acknowledged before and deleted since', () => {
    const before = ack({ intervalSeconds: 60, timeoutMs: 1000 }, 1);
    expect(patchOver(before, { intervalSeconds: 60 }, 2)).toEqual({
      intervalSeconds: { value: 60, ac: 200, av: 2, ad: 'applied' },
      timeoutMs: null,
    });
  });

  it('writes null for a removed target and for a removed target field, which would otherwise linger', () => {
    const before = ack({ targets: { a: { host: 'a.example.com', kind: 'custom' }, b: { host: 'b.example.com' } } }, 1);
    expect(patchOver(before, { targets: { a: { host: 'a.example.com' } } }, 2)).toEqual({
      targets: { value: { a: { host: 'a.example.com', kind: null }, b: null }, ac: 200, av: 2, ad: 'applied' },
    });
  });

  it('is the acknowledgement itself when nothing was reported before', () => {
    expect(patchOver({}, good, 1)).toEqual(ack(good, 1));
  });

  it('picks acknowledgements out of a reported section read at start-up', () => {
    const reported = {
      status: { overall: 'healthy' },
      results: {},
      timeoutMs: { value: 1000, ac: 200, av: 3, ad: 'applied' },
      foo: { value: null, ac: 400, av: 3, ad: 'x' },
      $version: 12,
    };
    expect(reportedAcknowledgements(reported)).toEqual({ timeoutMs: reported.timeoutMs, foo: reported.foo });
    expect(patchOver(reportedAcknowledgements(reported), {}, 4)).toEqual({ timeoutMs: null, foo: null });
  });
});
