// The watchdog is the module's only way to be restarted when its scheduler stalls (edgeAgent ignores
// Docker health checks): it must fire once for a stalled scheduler and never for one that makes progress.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, type Scheduler } from '../../src/module/scheduler.js';
import { startWatchdog, type Watchdog } from '../../src/module/watchdog.js';

const schedulers: Array<Scheduler<number>> = [];
const watchdogs: Watchdog[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const w of watchdogs.splice(0)) w.stop();
  // Not awaited: a stalled scheduler's run never settles, which is the point.
  for (const s of schedulers.splice(0)) void s.stop(0);
});

function scheduler(s: Scheduler<number>): Scheduler<number> {
  schedulers.push(s);
  return s;
}

function watchdog(w: Watchdog): Watchdog {
  watchdogs.push(w);
  return w;
}

/** The progress the module reports: the last completed run, or the start before the first. */
function progressOf(s: Scheduler<number>, startedAt: number) {
  return () => s.lastCompletedAt ?? startedAt;
}

describe('watchdog with the real scheduler', () => {
  it('calls onStall once when runs stop completing (a run that never settles)', async () => {
    const startedAt = Date.now();
    let runs = 0;
    const scheduled = scheduler(
      createScheduler({
        intervalMs: () => 20,
        // The first runs complete, then one hangs forever: an awaited promise that never settles.
        run: () => (++runs <= 2 ? Promise.resolve(runs) : new Promise<number>(() => undefined)),
      }),
    );
    scheduled.start();
    const stalls: number[] = [];
    const stalled = new Promise<number>((resolve) => {
      watchdog(
        startWatchdog({
          lastProgressAt: progressOf(scheduled, startedAt),
          limitMs: () => 3 * 40,
          checkEveryMs: 10,
          onStall: (ms) => {
            stalls.push(ms);
            resolve(ms);
          },
        }),
      );
    });
    const stalledForMs = await stalled;
    expect(runs).toBe(3);
    expect(scheduled.lastCompletedAt).toBeDefined();
    expect(stalledForMs).toBeGreaterThan(120);
    expect(stalls).toEqual([stalledForMs]);
  });

  it('stays quiet while runs keep completing, even after many limits have passed', async () => {
    // Fake time: a loaded machine must not turn a late timer into a false stall in the test.
    vi.useFakeTimers({ now: 0 });
    const onStall = vi.fn();
    let completed = 0;
    // Each run takes longer than the check interval: progress is what counts, not the run being quick.
    const scheduled = scheduler(
      createScheduler({
        intervalMs: () => 30,
        run: () => new Promise<number>((r) => setTimeout(() => r(++completed), 20)),
      }),
    );
    const dog = watchdog(
      startWatchdog({ lastProgressAt: progressOf(scheduled, 0), limitMs: 100, checkEveryMs: 5, onStall }),
    );
    scheduled.start();
    await vi.advanceTimersByTimeAsync(10 * 100);
    expect(completed).toBeGreaterThanOrEqual(30);
    expect(onStall).not.toHaveBeenCalled();
    expect(dog.stalled()).toBe(false);
  });
});

describe('watchdog timing', () => {
  it('counts from the process start when no run has completed yet', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const onStall = vi.fn();
    const startedAt = Date.now();
    watchdog(startWatchdog({ lastProgressAt: () => startedAt, limitMs: 3 * 10_000, checkEveryMs: 1_000, onStall }));
    vi.advanceTimersByTime(30_000);
    expect(onStall).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(onStall).toHaveBeenCalledExactlyOnceWith(31_000);
    vi.advanceTimersByTime(60_000);
    expect(onStall).toHaveBeenCalledOnce();
  });

  it('reads the limit at every check, so a longer interval set at run time is honoured', () => {
    vi.useFakeTimers({ now: 0 });
    const onStall = vi.fn();
    let intervalSeconds = 10;
    watchdog(
      startWatchdog({
        lastProgressAt: () => 0,
        limitMs: () => 3 * intervalSeconds * 1000,
        checkEveryMs: 1_000,
        onStall,
      }),
    );
    vi.advanceTimersByTime(20_000);
    intervalSeconds = 300;
    vi.advanceTimersByTime(60_000);
    expect(onStall).not.toHaveBeenCalled();
  });

  it('reports stalled() between checks, for /healthz', () => {
    vi.useFakeTimers({ now: 0 });
    let clock = 0;
    const dog = watchdog(
      startWatchdog({
        lastProgressAt: () => 0,
        limitMs: 1_000,
        checkEveryMs: 3_600_000,
        onStall: vi.fn(),
        now: () => clock,
      }),
    );
    expect(dog.stalled()).toBe(false);
    clock = 1_001;
    expect(dog.stalled()).toBe(true);
  });

  it('never fires once stopped', () => {
    vi.useFakeTimers({ now: 0 });
    const onStall = vi.fn();
    startWatchdog({ lastProgressAt: () => 0, limitMs: 1_000, checkEveryMs: 100, onStall }).stop();
    vi.advanceTimersByTime(10_000);
    expect(onStall).not.toHaveBeenCalled();
  });
});
