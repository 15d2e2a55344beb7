import { describe, expect, it } from 'vitest';
import { acknowledge, acknowledgementPatch, reportedAcknowledgements } from '../../src/config/acknowledge.js';
import type { DesiredDoc } from '../../src/config/model.js';
import { twinSafetyViolation } from '../../src/config/twin-safe.js';
import { DEFAULT_CONFIG, validateDesired } from '../../src/config/validate.js';

const good: DesiredDoc = {
  intervalSeconds: '60',
  dns: { servers: ['10.0.0.4', '10.0.0.5:5353'] },
  targets: {
    acr: { host: 'r.privatelink.azurecr.io', kind: 'acr', ports: [443, '8443'], expectedAddresses: ['10.1.2.4', '10.1.2.5'] },
    blob: { host: 's.blob.core.windows.net', enabled: false },
  },
};

function ack(desired: DesiredDoc, version: number, lastGood = DEFAULT_CONFIG) {
  return acknowledge(desired, version, validateDesired(desired), lastGood);
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
    const all = ack({ timeoutMs: 100, hostnamePolicy: 'any', autoTargets: 'false', telemetry: { onChangeOnly: true } }, 3);
    expect(all).toEqual({
      timeoutMs: { value: 100, ac: 200, av: 3, ad: 'applied' },
      hostnamePolicy: { value: 'any', ac: 200, av: 3, ad: 'applied' },
      autoTargets: { value: false, ac: 200, av: 3, ad: 'applied' },
      telemetry: { value: { enabled: true, output: 'probeResults', onChangeOnly: true }, ac: 200, av: 3, ad: 'applied' },
    });
  });
});

describe('acknowledge a rejected version', () => {
  const lastGood = validateDesired(good);
  if (!lastGood.ok) throw new Error('fixture must validate');
  const bad: DesiredDoc = { ...good, intervalSeconds: 5, targets: { acr: { host: 'r.privatelink.azurecr.io', ports: '70000' } }, colour: 'red' };
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

  it('names the keys at fault and why, the key\'s own faults first', () => {
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

  it('does not acknowledge a desired key named like a reported section, but names its fault elsewhere', () => {
    const clash = ack({ status: 'x', timeoutMs: 1000 }, 10);
    expect(Object.keys(clash)).toEqual(['timeoutMs']);
    expect(clash.timeoutMs).toMatchObject({ ac: 400, value: 5000, ad: expect.stringContaining("status: unknown key 'status'") });
  });
});

describe('acknowledgementPatch', () => {
  it('writes null for keys acknowledged before and deleted since', () => {
    const before = ack({ intervalSeconds: 60, timeoutMs: 1000 }, 1);
    const after = ack({ intervalSeconds: 60 }, 2);
    expect(acknowledgementPatch(before, after)).toEqual({ intervalSeconds: { value: 60, ac: 200, av: 2, ad: 'applied' }, timeoutMs: null });
  });

  it('writes null for a removed target and for a removed target field, which would otherwise linger', () => {
    const before = ack({ targets: { a: { host: 'a.example.com', kind: 'custom' }, b: { host: 'b.example.com' } } }, 1);
    const after = ack({ targets: { a: { host: 'a.example.com' } } }, 2);
    expect(acknowledgementPatch(before, after)).toEqual({
      targets: { value: { a: { host: 'a.example.com', kind: null }, b: null }, ac: 200, av: 2, ad: 'applied' },
    });
  });

  it('is the acknowledgement itself when nothing was reported before', () => {
    const first = ack(good, 1);
    expect(acknowledgementPatch({}, first)).toEqual(first);
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
    expect(acknowledgementPatch(reportedAcknowledgements(reported), ack({}, 4))).toEqual({ timeoutMs: null, foo: null });
  });
});
