// One step of a probe (a DNS question to one resolver, a TCP connect, a TLS handshake): bounded by the run's
// per-step timeout and by its abort signal, settled exactly once, timed on the monotonic clock with one
// rounding rule. Every step file builds on `boundedStep`, so none restates the timer, the abort listener or
// the settle-once guard, and a new step gets all three by construction.

import type { StepSignal } from './step-signals.js';

/** What bounds one step. */
export interface StepOptions {
  timeoutMs: number;
  /** Monotonic milliseconds, for durations. */
  elapsed: () => number;
  /** Aborts the step (the run was cancelled): the run's StepSignals, or any AbortSignal. */
  signal?: StepSignal;
}

/** How a step ended, before the step file turns it into its own outcome. */
export type Ended<T> =
  { kind: 'done'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'timeout' } | { kind: 'aborted' };

/** The errno-style code of an error (`ECONNREFUSED`, `ERR_SSL_…`), if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An error as one short text: its code when it has one, else its message. */
export function errorText(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.message : String(error));
}

/** Durations are reported to 0.1 ms: finer digits are noise and cost twin and telemetry bytes. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/**
 * Starts the step's work and settles with the first of: the work's own end (`settle`), the timeout, the abort.
 * `start` returns a cleanup that runs exactly once, whichever came first (close a socket, forget a listener).
 * Later calls of `settle` are ignored, so event handlers may call it freely. `ms` is the step's duration.
 */
export function boundedStep<T>(
  opts: StepOptions,
  start: (settle: (ended: Ended<T>) => void) => (() => void) | void,
): Promise<{ ended: Ended<T>; ms: number }> {
  const started = opts.elapsed();
  return new Promise((resolve) => {
    let settled = false;
    let cleanup: (() => void) | void;
    const settle = (ended: Ended<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      cleanup?.();
      resolve({ ended, ms: roundMs(opts.elapsed() - started) });
    };
    const onAbort = () => settle({ kind: 'aborted' });
    const timer = setTimeout(() => settle({ kind: 'timeout' }), opts.timeoutMs);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      cleanup = start(settle);
      // Settled while starting: the cleanup was not known yet when `settle` ran.
      if (settled) cleanup?.();
    } catch (error) {
      settle({ kind: 'failed', error });
    }
  });
}

/** A promise-shaped piece of work as a step: its value or rejection, unless the timeout or the abort comes first. */
export function boundedPromise<T>(opts: StepOptions, work: () => Promise<T>): Promise<{ ended: Ended<T>; ms: number }> {
  return boundedStep<T>(opts, (settle) => {
    // `then` on a fresh promise also catches work that throws synchronously.
    Promise.resolve()
      .then(work)
      .then(
        (value) => settle({ kind: 'done', value }),
        (error: unknown) => settle({ kind: 'failed', error }),
      );
  });
}
