import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/module/scheduler.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('scheduler', () => {
  it('runs at start, then every interval, one run at a time', async () => {
    let runs = 0;
    const done = deferred<void>();
    const s = createScheduler({
      intervalMs: () => 20,
      run: async () => {
        runs++;
        if (runs === 3) done.resolve();
        return runs;
      },
    });
    s.start();
    await done.promise;
    await s.stop(100);
    expect(runs).toBe(3);
    expect(s.nextRunAt).toBeUndefined();
  });

  it('runNow joins the run in progress instead of starting another', async () => {
    const gate = deferred<void>();
    let runs = 0;
    const s = createScheduler({ intervalMs: () => 60_000, run: async () => (await gate.promise, ++runs) });
    const a = s.runNow();
    const b = s.runNow();
    expect(s.running).toBe(true);
    gate.resolve();
    expect(await Promise.all([a, b])).toEqual([1, 1]);
    expect(s.lastCompletedAt).toBeDefined();
    await s.stop(10);
  });

  it('stop lets a run finish within the grace period, then aborts it', async () => {
    let aborted = false;
    const s = createScheduler({
      intervalMs: () => 60_000,
      run: (signal) =>
        new Promise<number>((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(0);
          }),
        ),
    });
    s.start();
    const t0 = Date.now();
    await s.stop(50);
    expect(aborted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a run that stop aborts is not published: its steps failed for the abort, not for a broken link', async () => {
    const published: number[] = [];
    const started = deferred<void>();
    const s = createScheduler({
      intervalMs: () => 60_000,
      run: (signal) =>
        new Promise<number>((resolve) => {
          started.resolve();
          signal.addEventListener('abort', () => resolve(-1));
        }),
      onResult: (r) => void published.push(r),
    });
    s.start();
    await started.promise;
    await s.stop(10);
    expect(published).toEqual([]);
    expect(s.lastCompletedAt).toBeUndefined();
  });

  it('a failing run is reported and the schedule goes on', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const second = deferred<void>();
    const s = createScheduler({
      intervalMs: () => 10,
      run: async () => {
        runs++;
        if (runs === 1) throw new Error('boom');
        second.resolve();
        return runs;
      },
      onError: (e) => errors.push(e),
    });
    s.start();
    await second.promise;
    await s.stop(10);
    expect(errors).toHaveLength(1);
  });
});
