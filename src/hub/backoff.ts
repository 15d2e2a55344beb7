// Capped exponential backoff with full jitter, for `open()` retries: the SDK's open() against an unreachable
// edgeHub fails at once, with a misleading UnauthorizedError, and does not retry. Jitter spreads a fleet's
// reconnects after an edgeHub restart.
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Injected for tests; Math.random in production. */
  random?: () => number;
}

/** Delay before attempt `attempt` (0 = the first retry): uniform in [base/2, min(cap, base·2^attempt)]. */
export function backoffDelay(attempt: number, { baseMs, capMs, random = Math.random }: BackoffOptions): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  const floor = Math.min(baseMs / 2, ceiling);
  return Math.round(floor + random() * (ceiling - floor));
}
