// Flapping: a link that comes and goes looks healthy in most single snapshots, yet breaks the upstream several
// times a day. A target whose verdict (status or code) changed at least `changes` times within its last
// `window` runs is flagged; it stays flagged until its verdict has held for a whole window, so the flag does not
// itself come and go. While flagged, the target reports `FLAPPING` (degraded) with the count, the window and the
// verdict the last run measured: one verdict change (one alert) when flapping starts and one when it ends,
// instead of one per flip.
import { overallOf } from '../probe/run.js';
import type { RunResult, TargetResult } from '../probe/types.js';

export interface FlappingRule {
  /** Verdict changes within the window that flag a target. */
  changes: number;
  /** Runs the changes are counted over, and that a flagged target must stay stable for. */
  window: number;
}

/**
 * Defaults: 4 changes within 12 runs — at the default 5-minute interval, a link that broke and came back twice
 * within an hour. Two changes (one outage, one recovery) are an incident, not flapping.
 */
export const DEFAULT_FLAPPING: FlappingRule = { changes: 4, window: 12 };

/** Flagged at the threshold; cleared only after a whole stable window; otherwise as before. */
export function nextFlag(wasFlapping: boolean, changes: number, rule: FlappingRule): boolean {
  if (changes >= rule.changes) return true;
  if (changes === 0) return false;
  return wasFlapping;
}

/** The run as reported: each flagged target shown as FLAPPING, the overall status worked out again. */
export function withFlapping(
  run: RunResult,
  flagged: ReadonlyMap<string, { changes: number }>,
  rule: FlappingRule,
): RunResult {
  if (flagged.size === 0) return run;
  const targets = run.targets.map((t): TargetResult => {
    const flag = flagged.get(t.name);
    if (!flag) return t;
    const measured = { status: t.status, code: t.code };
    return {
      ...t,
      status: 'degraded',
      code: 'FLAPPING',
      reason:
        `the verdict changed ${flag.changes} times in the last ${rule.window} runs (now ${t.code}: ${t.reason}); ` +
        'an intermittent link: look for a VPN or resolver that drops now and then; flagged until stable for ' +
        `${rule.window} runs`,
      flapping: { changes: flag.changes, window: rule.window, measured },
    };
  });
  return { ...run, targets, overall: overallOf(targets, run.clock) };
}
