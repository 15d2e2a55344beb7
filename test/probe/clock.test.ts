// The clock reading: from the HTTPS answer with the shortest exchange, whose half-round-trip correction errs least.
import { describe, expect, it } from 'vitest';
import { clockReading, clockSkewed } from '../../src/probe/clock.js';
import { healthyTarget } from '../report/factory.js';

describe('clockReading', () => {
  const withOffset = (name: string, offsetSeconds: number, ms: number) => {
    const t = healthyTarget(name);
    return {
      ...t,
      ports: t.ports.map((p) =>
        p.port === 443
          ? {
              ...p,
              service: {
                protocol: 'https' as const,
                outcome: 'ok' as const,
                ms,
                detail: 'HTTP 401',
                clockOffsetSeconds: offsetSeconds,
              },
            }
          : { ...p, service: undefined },
      ),
    };
  };

  it('takes the answer with the shortest exchange, and names its target', () => {
    expect(clockReading([withOffset('far', 12.5, 80), withOffset('near', 0.4, 6), withOffset('mid', 3, 20)])).toEqual({
      offsetSeconds: 0.4,
      source: 'near',
    });
  });

  it('is undefined when no answer carried a Date', () => {
    const none = healthyTarget('hub');
    expect(clockReading([{ ...none, ports: none.ports.map((p) => ({ ...p, service: undefined })) }])).toBeUndefined();
  });

  it('is skewed past 300 s either way, not at 300', () => {
    expect(clockSkewed({ offsetSeconds: 300.1, source: 'a' })).toBe(true);
    expect(clockSkewed({ offsetSeconds: -300.1, source: 'a' })).toBe(true);
    expect(clockSkewed({ offsetSeconds: 300, source: 'a' })).toBe(false);
    expect(clockSkewed(undefined)).toBe(false);
  });
});
