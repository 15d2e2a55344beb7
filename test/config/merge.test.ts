import { describe, expect, it } from 'vitest';
import { desiredVersion, mergeDesired } from '../../src/config/merge.js';

describe('mergeDesired (JSON merge patch)', () => {
  const current = {
    intervalSeconds: 60,
    targets: { acr: { host: 'r.privatelink.azurecr.io', ports: '443' }, blob: { host: 's.blob.core.windows.net' } },
    dns: { servers: ['10.0.0.4'] },
  };

  it('merges objects key by key and keeps untouched keys', () => {
    const merged = mergeDesired(current, { targets: { acr: { kind: 'acr' } }, timeoutMs: 2000 });
    expect(merged).toEqual({
      intervalSeconds: 60,
      targets: {
        acr: { host: 'r.privatelink.azurecr.io', ports: '443', kind: 'acr' },
        blob: { host: 's.blob.core.windows.net' },
      },
      dns: { servers: ['10.0.0.4'] },
      timeoutMs: 2000,
    });
  });

  it('deletes a nested target given null, and a top-level key given null', () => {
    const merged = mergeDesired(current, { targets: { blob: null }, intervalSeconds: null });
    expect(merged).toEqual({
      targets: { acr: { host: 'r.privatelink.azurecr.io', ports: '443' } },
      dns: { servers: ['10.0.0.4'] },
    });
  });

  it('replaces arrays wholesale instead of merging them', () => {
    expect(mergeDesired(current, { dns: { servers: ['10.0.0.5'] } }).dns).toEqual({ servers: ['10.0.0.5'] });
  });

  it('replaces a scalar with an object, dropping nulls inside the new object', () => {
    expect(mergeDesired({ dns: 'x' }, { dns: { system: false, servers: null } })).toEqual({ dns: { system: false } });
  });

  it('drops twin metadata keys at every level and reads $version from the patch', () => {
    const patch = { $version: 7, $metadata: { $lastUpdated: 'x' }, telemetry: { enabled: false, $lastUpdated: 'y' } };
    expect(mergeDesired({ $version: 6 }, patch)).toEqual({ telemetry: { enabled: false } });
    expect(desiredVersion(patch)).toBe(7);
    expect(desiredVersion({})).toBeUndefined();
    expect(desiredVersion({ $version: '7' })).toBeUndefined();
  });

  it('never mutates its inputs and never aliases the patch', () => {
    const before = structuredClone(current);
    const patch = { targets: { acr: { ports: [443] } }, dns: { servers: ['10.0.0.9'] } };
    const patchBefore = structuredClone(patch);
    const merged = mergeDesired(current, patch);
    expect(current).toEqual(before);
    expect(patch).toEqual(patchBefore);
    patch.dns.servers.push('10.0.0.10');
    patch.targets.acr.ports.push(8883);
    expect(merged.dns).toEqual({ servers: ['10.0.0.9'] });
    expect((merged.targets as { acr: { ports: number[] } }).acr.ports).toEqual([443]);
  });

  it('keeps a key named __proto__ as an ordinary key, never as the prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const merged = mergeDesired({}, patch);
    expect(Object.keys(merged)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
