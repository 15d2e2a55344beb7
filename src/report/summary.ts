// The one line an operator reads first (reported `status.summary`, the fleet query's column): how many
// targets are not healthy and, for each, its name and code. The overall status itself is the engine's
// (`RunResult.overall`); this only puts it into words.
import type { RunResult, Status, TargetResult } from '../probe/types.js';

function targets(n: number): string {
  return n === 1 ? '1 target' : `${n} targets`;
}

function listed(items: readonly TargetResult[]): string {
  return items.map((t) => `${t.name} (${t.code})`).join(', ');
}

/**
 * e.g. `2 of 5 targets unhealthy: blob (DNS_PUBLIC_ADDRESS), acr (TLS_HOSTNAME_MISMATCH); 1 degraded: dps (TLS_EXPIRING)`,
 * `all 5 targets healthy`, or `no targets configured`. Not length-bounded: callers cut it to their medium.
 */
export function summaryLine(run: Pick<RunResult, 'targets'>): string {
  const all = run.targets;
  if (all.length === 0) return 'no targets configured';
  const by = (status: Status) => all.filter((t) => t.status === status);
  const unhealthy = by('unhealthy');
  const degraded = by('degraded');
  if (unhealthy.length === 0 && degraded.length === 0)
    return all.length === 1 ? '1 target healthy' : `all ${all.length} targets healthy`;
  const of = `of ${targets(all.length)}`;
  if (unhealthy.length === 0) return `${degraded.length} ${of} degraded: ${listed(degraded)}`;
  const head = `${unhealthy.length} ${of} unhealthy: ${listed(unhealthy)}`;
  return degraded.length === 0 ? head : `${head}; ${degraded.length} degraded: ${listed(degraded)}`;
}
