import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/hub/backoff.js';
import { combinePatches } from '../../src/hub/patches.js';
import { createBoundedQueue } from '../../src/hub/queue.js';
import { HubTimeoutError, withTimeout } from '../../src/hub/timeout.js';

describe('open() retry backoff', () => {
  it('grows exponentially from the base to the cap, with jitter inside the bounds', () => {
    const opts = { baseMs: 1000, capMs: 60_000 };
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, { ...opts, random: () => 1 }))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(20, { ...opts, random: () => 1 })).toBe(60_000);
    expect(backoffDelay(20, { ...opts, random: () => 0 })).toBe(500);
    for (let a = 0; a < 40; a++) {
      const d = backoffDelay(a, { ...opts, random: Math.random });
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(60_000);
    }
  });
});

describe('withTimeout', () => {
  it('turns a call that never settles into a HubTimeoutError naming the operation', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20, 'getTwin')).rejects.toThrow(HubTimeoutError);
    await expect(withTimeout(new Promise(() => undefined), 20, 'getTwin')).rejects.toThrow(
      'getTwin did not complete within 20 ms',
    );
  });
  it('passes results and errors through, and swallows a late rejection', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1000, 'x')).rejects.toThrow('boom');
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 30));
    await expect(withTimeout(late, 5, 'x')).rejects.toThrow(HubTimeoutError);
    await new Promise((r) => setTimeout(r, 50)); // an unhandled rejection would fail the run here
  });
});

describe('bounded message queue', () => {
  it('keeps order, drops the oldest first and counts the drops', () => {
    const q = createBoundedQueue<number>(3);
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(q.length).toBe(3);
    expect(q.dropped).toBe(2);
    expect([q.shift(), q.peek(), q.shift(), q.shift(), q.shift()]).toEqual([3, 4, 4, 5, undefined]);
  });
});

describe('combining reported patches', () => {
  it('later values win, nested objects merge, null survives as a delete instruction', () => {
    const combined = combinePatches(
      { a: 1, results: { x: { code: 'OK' }, y: { code: 'OK' } } },
      { results: { x: null, y: { status: 'healthy' } }, b: 2 },
    );
    expect(combined).toEqual({ a: 1, b: 2, results: { x: null, y: { code: 'OK', status: 'healthy' } } });
    expect(combinePatches(undefined, { a: 1 })).toEqual({ a: 1 });
    expect(combinePatches({ a: 1 }, undefined)).toEqual({ a: 1 });
  });
});
