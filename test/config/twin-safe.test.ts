import { describe, expect, it } from 'vitest';
import { fitString, isTwinSafe, isTwinSafeKey, twinSafetyViolation } from '../../src/config/twin-safe.js';

describe('twin-safe values', () => {
  it('accepts scalars, null and nested objects of depth 5', () => {
    expect(isTwinSafe({ a: 1, b: 'x', c: true, d: null, e: { f: { g: { h: { i: 'deep' } } } } })).toBe(true);
  });

  it('rejects depth 6, counting the object passed in', () => {
    expect(twinSafetyViolation({ a: { b: { c: { d: { e: { f: 1 } } } } } })).toBe(
      "'a.b.c.d.e' nests deeper than 5 objects",
    );
  });

  it('rejects arrays anywhere, naming where', () => {
    expect(twinSafetyViolation({ dns: { servers: ['10.0.0.4'] } })).toBe("'dns.servers' is an array");
    expect(isTwinSafe([])).toBe(false);
  });

  it('rejects strings over 512 bytes, counting UTF-8 bytes', () => {
    expect(isTwinSafe({ s: 'a'.repeat(512) })).toBe(true);
    expect(twinSafetyViolation({ s: 'a'.repeat(513) })).toBe("'s' is longer than 512 bytes");
    expect(isTwinSafe({ s: 'é'.repeat(257) })).toBe(false);
  });

  it('rejects keys with a dot, a dollar, a space or a control character, empty keys and keys over 64 bytes', () => {
    for (const key of ['a.b', '$version', 'a b', 'a\tb', '', 'k'.repeat(65)]) {
      expect(isTwinSafeKey(key)).toBe(false);
      expect(isTwinSafe({ ok: { [key]: 1 } })).toBe(false);
    }
    expect(isTwinSafeKey('k'.repeat(64))).toBe(true);
    expect(isTwinSafeKey('acr-data_1')).toBe(true);
  });

  it('rejects what JSON cannot carry', () => {
    expect(isTwinSafe({ n: Number.NaN })).toBe(false);
    expect(isTwinSafe({ n: Infinity })).toBe(false);
    expect(isTwinSafe({ u: undefined })).toBe(false);
  });
});

describe('fitString', () => {
  it('leaves a string of 512 bytes alone', () => {
    const text = 'a'.repeat(512);
    expect(fitString(text)).toBe(text);
  });

  it('cuts a longer string to 512 bytes ending in an ellipsis, never inside a character', () => {
    const cut = fitString('é'.repeat(400));
    expect(cut.endsWith('…')).toBe(true);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(512);
    expect(cut).toBe(`${'é'.repeat(254)}…`);
    expect(fitString('😀'.repeat(10), 10)).toBe('😀…');
  });
});
