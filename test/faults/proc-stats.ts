// What the kernel says about a child process (Linux /proc): CPU time, resident memory, open descriptors.
// Read from outside, so the module under test carries no instrumentation for them.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** /proc reports CPU time in clock ticks of USER_HZ, which Linux fixes at 100 per second for user space. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5): 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The share of one core the process used over `windowMs` (a livelocked event loop shows close to 1). */
export async function cpuShare(pid: number, windowMs: number): Promise<number> {
  const before = cpuSeconds(pid);
  const t0 = performance.now();
  await delay(windowMs);
  return (cpuSeconds(pid) - before) / ((performance.now() - t0) / 1000);
}

export function residentBytes(pid: number): number {
  const kB = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kB === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kB) * 1024;
}

export function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
