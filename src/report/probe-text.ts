// Short readable forms of a port's service exchange and of the clock reading, for the status page and
// `check`'s table: the same words in both places.
import { CLOCK_SKEW_LIMIT_SECONDS, clockSkewed } from '../probe/clock.js';
import type { ClockReading, ServiceResult } from '../probe/types.js';

/** `mqtt ok CONNACK 5`, `https foreign HTTP 200 OK, Server: nginx`. */
export function serviceText(service: ServiceResult): string {
  return [service.protocol, service.outcome, service.detail].filter(Boolean).join(' ');
}

/**
 * `+0.2 s against hub's HTTPS Date (this device is behind)`: the offset is server time minus device time, so a
 * positive one is a device clock that lags. Past the limit, what that breaks and the fix follow.
 */
export function clockText(clock: ClockReading): string {
  const { offsetSeconds, source } = clock;
  const size = Math.abs(offsetSeconds);
  const sign = offsetSeconds > 0 ? '+' : offsetSeconds < 0 ? '-' : '';
  const side = offsetSeconds > 0 ? 'this device is behind' : offsetSeconds < 0 ? 'this device is ahead' : 'in step';
  const reading = `${sign}${size} s against ${source}'s HTTPS Date (${side})`;
  return clockSkewed(clock)
    ? `${reading}: over the ${CLOCK_SKEW_LIMIT_SECONDS} s limit, SAS tokens are rejected; sync the clock with NTP`
    : reading;
}
