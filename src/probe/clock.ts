// The device's clock, read from the `Date` of the HTTPS answers the service check received over verified TLS.
// An edge device without a real-time clock or reachable NTP drifts; IoT Hub then rejects every SAS token
// (their expiry is checked against the service's clock) and certificates look not yet valid or expired.
import type { ClockReading, TargetResult } from './types.js';

/** More than this either way is `CLOCK_SKEW`: SAS tokens and certificate validity start failing. */
export const CLOCK_SKEW_LIMIT_SECONDS = 300;

/**
 * The offset from the answer with the shortest exchange: its round-trip correction is the smallest, so it is
 * the most accurate one. Undefined when no answer carried a `Date`.
 */
export function clockReading(targets: readonly TargetResult[]): ClockReading | undefined {
  let best: { offsetSeconds: number; source: string; ms: number } | undefined;
  for (const target of targets) {
    for (const port of target.ports) {
      const offsetSeconds = port.service?.clockOffsetSeconds;
      if (offsetSeconds === undefined || (best && best.ms <= port.service!.ms)) continue;
      best = { offsetSeconds, source: target.name, ms: port.service!.ms };
    }
  }
  return best && { offsetSeconds: best.offsetSeconds, source: best.source };
}

export function clockSkewed(clock: ClockReading | undefined): clock is ClockReading {
  return clock !== undefined && Math.abs(clock.offsetSeconds) > CLOCK_SKEW_LIMIT_SECONDS;
}
