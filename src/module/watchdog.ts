// The watchdog: edgeAgent ignores Docker health checks (an `unhealthy` container is left running), so the
// only way to get a stalled module restarted is to exit. When no probe run has completed for `limitMs`
// (3 × intervalSeconds in the module), `onStall` is called once — main logs and exits non-zero, and
// edgeAgent restarts the module with its usual backoff.
//
// Progress is read, not pushed: the watchdog asks `lastProgressAt()` (the last completed run, or the
// process start before the first one) every `checkEveryMs`, so a scheduler stuck in an awaited promise that
// never settles — the failure this guards against — is caught just like one whose timer was lost.

export interface WatchdogOptions {
  /** Epoch ms of the last progress: the last completed run, or the start before the first. */
  lastProgressAt: () => number;
  /** How long without progress counts as stalled; a function when the interval can change at run time. */
  limitMs: number | (() => number);
  checkEveryMs: number;
  /** Called once, with how long the scheduler has made no progress (ms). */
  onStall: (stalledForMs: number) => void;
  now?: () => number;
}

export interface Watchdog {
  /** True once no progress was made for longer than the limit (also between checks). */
  stalled(): boolean;
  stop(): void;
}

export function startWatchdog(options: WatchdogOptions): Watchdog {
  const now = options.now ?? Date.now;
  const { limitMs } = options;
  const limit = typeof limitMs === 'function' ? limitMs : () => limitMs;
  const idleFor = () => now() - options.lastProgressAt();
  const stalled = () => idleFor() > limit();

  const timer = setInterval(() => {
    if (!stalled()) return;
    clearInterval(timer);
    options.onStall(idleFor());
  }, options.checkEveryMs);
  // The watchdog guards the process; it must not be what keeps it alive.
  timer.unref();

  return { stalled, stop: () => clearInterval(timer) };
}
