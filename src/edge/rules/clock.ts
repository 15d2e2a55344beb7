// The device's clock, as the run read it from the `Date` of Azure's HTTPS answers (probe/clock.ts).
import { CLOCK_SKEW_LIMIT_SECONDS, clockSkewed } from '../../probe/clock.js';
import type { Rule } from '../finding.js';

export const clockRules: Rule[] = [
  {
    id: 'CLOCK_SKEW',
    severity: 'error',
    check: ({ measured }) => {
      const clock = measured?.clock;
      if (!clockSkewed(clock)) return undefined;
      const { offsetSeconds, source } = clock;
      const direction = offsetSeconds > 0 ? 'behind' : 'ahead of';
      return (
        `this device's clock is ${Math.round(Math.abs(offsetSeconds))} s ${direction} the server time ${source}'s HTTPS answer carried ` +
        `(more than ${CLOCK_SKEW_LIMIT_SECONDS} s): IoT Hub rejects SAS tokens and certificates look expired or not yet valid; ` +
        "sync the host clock with NTP (an NTP server reachable from this network, or the host's RTC)"
      );
    },
  },
];
