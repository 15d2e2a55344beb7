import { describe, expect, it } from 'vitest';
import { trend } from '../../bench/measure.js';

describe('trend', () => {
  it('counts a steady climb in full', () => {
    expect(trend([70, 71, 72, 73, 74])).toBeCloseTo(4);
  });

  it('counts a saw-tooth for less than half its height, whichever phase it starts and ends on', () => {
    // Five teeth of a heap that grows 6 MB and is collected, as the module's samples do under fast runs.
    const teeth = Array.from({ length: 5 }, () => [75, 77, 79, 81]).flat();
    for (let start = 0; start < 4; start++) {
      for (let cut = 0; cut < 4; cut++) {
        expect(Math.abs(trend(teeth.slice(start, teeth.length - cut)))).toBeLessThan(3);
      }
    }
  });

  it('is 0 for a flat line and for fewer than two samples', () => {
    expect(trend([66, 66, 66])).toBe(0);
    expect(trend([66])).toBe(0);
    expect(trend([])).toBe(0);
  });
});
