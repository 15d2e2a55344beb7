import { describe, expect, it } from 'vitest';
import { applyDesiredPatch, applyFullDesired, createConfigState } from '../../src/config/state.js';
import { DEFAULT_CONFIG } from '../../src/config/validate.js';

const acr = { host: 'r.privatelink.azurecr.io', kind: 'acr' };

describe('config state: start-up', () => {
  it('runs the defaults before any desired document', () => {
    expect(createConfigState().config).toEqual(DEFAULT_CONFIG);
  });

  it('applies and acknowledges the full desired document at start-up', () => {
    const update = applyFullDesired(createConfigState(), {
      $version: 4,
      $metadata: {},
      intervalSeconds: 60,
      targets: { acr },
    });
    expect(update).toMatchObject({ changed: true, versionChanged: true, errors: [] });
    expect(update.state.config.intervalSeconds).toBe(60);
    expect(update.state.config.targets).toEqual([{ name: 'acr', ...acr, source: 'desired' }]);
    expect(update.ack).toEqual({
      intervalSeconds: { value: 60, ac: 200, av: 4, ad: 'applied' },
      targets: { value: { acr }, ac: 200, av: 4, ad: 'applied' },
    });
  });

  it('an empty desired document changes nothing and acknowledges nothing', () => {
    const update = applyFullDesired(createConfigState(), { $version: 1 });
    expect(update).toMatchObject({ changed: false, versionChanged: true, ack: {} });
  });

  it('removes acknowledgements, found in the reported section read at start-up, of keys deleted while offline', () => {
    const reported = { timeoutMs: { value: 1000, ac: 200, av: 3, ad: 'applied' }, status: { overall: 'healthy' } };
    const update = applyFullDesired(createConfigState(), { $version: 5, intervalSeconds: 60 }, reported);
    expect(update.ack).toEqual({ intervalSeconds: { value: 60, ac: 200, av: 5, ad: 'applied' }, timeoutMs: null });
  });
});

describe('config state: patches', () => {
  const start = applyFullDesired(createConfigState(), { $version: 4, intervalSeconds: 60, targets: { acr } }).state;

  it('merges a patch, applies the result and acknowledges every present key', () => {
    const update = applyDesiredPatch(start, { $version: 5, timeoutMs: 2000 });
    expect(update).toMatchObject({ changed: true, versionChanged: true, errors: [] });
    expect(update.state.desired).toEqual({ intervalSeconds: 60, targets: { acr }, timeoutMs: 2000 });
    expect(update.state.config.settings.timeoutMs).toBe(2000);
    expect(Object.keys(update.ack).sort()).toEqual(['intervalSeconds', 'targets', 'timeoutMs']);
    expect(Object.values(update.ack).every((entry) => (entry as { av: number }).av === 5)).toBe(true);
  });

  it('a rejected version keeps the last good configuration and acknowledges every key with 400', () => {
    const update = applyDesiredPatch(start, { $version: 5, intervalSeconds: 5 });
    expect(update.changed).toBe(false);
    expect(update.versionChanged).toBe(true);
    expect(update.state.config).toBe(start.config);
    expect(update.errors).toEqual([
      { key: 'intervalSeconds', path: 'intervalSeconds', message: 'must be an integer from 10 to 86400, got 5' },
    ]);
    expect(update.ack).toMatchObject({
      intervalSeconds: {
        value: 60,
        ac: 400,
        av: 5,
        ad: expect.stringContaining('intervalSeconds: must be an integer'),
      },
      targets: { value: { acr }, ac: 400, av: 5, ad: expect.stringMatching(/^not applied/) },
    });
  });

  it('a later patch that does not touch the fault stays rejected; one that fixes it is accepted', () => {
    const broken = applyDesiredPatch(start, { $version: 5, intervalSeconds: 5 }).state;
    const still = applyDesiredPatch(broken, { $version: 6, timeoutMs: 2000 });
    expect(still.changed).toBe(false);
    expect(still.state.config).toBe(start.config);
    expect(still.ack).toMatchObject({
      timeoutMs: { value: 5000, ac: 400, av: 6 },
      intervalSeconds: { ac: 400, av: 6 },
    });

    const fixed = applyDesiredPatch(still.state, { $version: 7, intervalSeconds: 120 });
    expect(fixed.changed).toBe(true);
    expect(fixed.errors).toEqual([]);
    expect(fixed.state.config).toMatchObject({ intervalSeconds: 120, settings: { timeoutMs: 2000 } });
    expect(fixed.ack).toMatchObject({
      intervalSeconds: { value: 120, ac: 200, av: 7 },
      timeoutMs: { value: 2000, ac: 200, av: 7 },
      targets: { ac: 200, av: 7 },
    });
  });

  it("deleting the faulty key also fixes the version, and the deleted key's acknowledgement becomes null", () => {
    const broken = applyDesiredPatch(start, { $version: 5, colour: 'red' }).state;
    const fixed = applyDesiredPatch(broken, { $version: 6, colour: null });
    expect(fixed.errors).toEqual([]);
    expect(fixed.changed).toBe(false);
    expect(fixed.ack).toMatchObject({ colour: null, intervalSeconds: { ac: 200, av: 6 } });
  });

  it('a patch deleting a target reports the target gone and changes the configuration', () => {
    const update = applyDesiredPatch(start, { $version: 5, targets: { acr: null } });
    expect(update.changed).toBe(true);
    expect(update.state.config.targets).toEqual([]);
    expect(update.ack).toMatchObject({ targets: { value: { acr: null }, ac: 200, av: 5 } });
  });

  it('a patch that changes nothing in effect is acknowledged but not a change', () => {
    const update = applyDesiredPatch(start, { $version: 5, intervalSeconds: '60' });
    expect(update).toMatchObject({ changed: false, versionChanged: true });
    expect(update.ack).toMatchObject({ intervalSeconds: { value: 60, ac: 200, av: 5 } });
  });
});

describe('config state: versions', () => {
  const start = applyFullDesired(createConfigState(), { $version: 4, intervalSeconds: 60 }).state;

  it('ignores a patch carrying the version already held, or an older one', () => {
    for (const version of [4, 3]) {
      const update = applyDesiredPatch(start, { $version: version, intervalSeconds: 5 });
      expect(update).toEqual({ state: start, changed: false, versionChanged: false, ack: {}, errors: [] });
    }
  });

  it('re-reading the same full document after a reconnect is idempotent', () => {
    const again = applyFullDesired(start, { $version: 4, intervalSeconds: 60 });
    expect(again.changed).toBe(false);
    expect(again.versionChanged).toBe(false);
    expect(again.state.config).toEqual(start.config);
    expect(again.state.desired).toEqual(start.desired);
  });

  it('a full re-read with a newer version replaces the document, deleting what the patches missed', () => {
    const update = applyFullDesired(start, { $version: 9, timeoutMs: 1000 });
    expect(update).toMatchObject({ changed: true, versionChanged: true });
    expect(update.state.desired).toEqual({ timeoutMs: 1000 });
    expect(update.state.config.intervalSeconds).toBe(300);
    expect(update.ack).toEqual({ timeoutMs: { value: 1000, ac: 200, av: 9, ad: 'applied' }, intervalSeconds: null });
  });

  it('never mutates the state it is given', () => {
    const snapshot = structuredClone(start);
    applyDesiredPatch(start, { $version: 5, intervalSeconds: 5, targets: { acr } });
    applyFullDesired(start, { $version: 6 });
    expect(start).toEqual(snapshot);
  });
});
