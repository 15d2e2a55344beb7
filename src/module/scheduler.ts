// Runs the probe every `intervalMs`, one run at a time. `runNow` joins a run in progress instead of starting
// a second; `stop` lets a run in progress finish for a grace period, then aborts it.
export interface SchedulerOptions<R> {
  intervalMs: () => number;
  run: (signal: AbortSignal) => Promise<R>;
  /** Called after every run, before the next is scheduled; errors are the caller's to log. */
  onResult?: (result: R) => void | Promise<void>;
  onError?: (error: unknown) => void;
  now?: () => number;
}

export interface Scheduler<R> {
  start(): void;
  runNow(): Promise<R>;
  stop(graceMs: number): Promise<void>;
  readonly nextRunAt: number | undefined;
  readonly lastCompletedAt: number | undefined;
  readonly running: boolean;
}

export function createScheduler<R>(options: SchedulerOptions<R>): Scheduler<R> {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<R> | undefined;
  let abort: AbortController | undefined;
  let lastStartedAt: number | undefined;
  let lastCompletedAt: number | undefined;
  let nextRunAt: number | undefined;
  let stopped = false;

  const schedule = () => {
    clearTimeout(timer);
    if (stopped) return;
    const due = (lastStartedAt ?? now()) + options.intervalMs();
    nextRunAt = due;
    timer = setTimeout(() => void trigger().catch(() => undefined), Math.max(0, due - now()));
  };

  const trigger = (): Promise<R> => {
    if (current) return current;
    abort = new AbortController();
    lastStartedAt = now();
    const run = (async () => {
      try {
        const signal = abort.signal;
        const result = await options.run(signal);
        // A run cut short by stop() is no verdict: its steps failed because they were aborted, not because a
        // link broke. Publishing it would send false alerts at every restart of the module.
        if (signal.aborted) return result;
        lastCompletedAt = now();
        await options.onResult?.(result);
        return result;
      } catch (e) {
        options.onError?.(e);
        throw e;
      } finally {
        current = undefined;
        schedule();
      }
    })();
    current = run;
    return run;
  };

  return {
    start: () => void trigger().catch(() => undefined),
    runNow: trigger,
    async stop(graceMs) {
      stopped = true;
      clearTimeout(timer);
      nextRunAt = undefined;
      const inFlight = current;
      if (!inFlight) return;
      const grace = setTimeout(() => abort?.abort(), graceMs);
      await inFlight.catch(() => undefined);
      clearTimeout(grace);
    },
    get nextRunAt() {
      return nextRunAt;
    },
    get lastCompletedAt() {
      return lastCompletedAt;
    },
    get running() {
      return current !== undefined;
    },
  };
}
