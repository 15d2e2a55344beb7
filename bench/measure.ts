// Measuring side by side. The machine's speed drifts by tens of percent within a minute, so a figure is
// never an absolute time: two workloads run in alternating pairs (A B, B A, A B, ...) and each pair gives
// one ratio; the figure is the median of those ratios.

export interface Sample {
  /** From the call until the work's promise settles: what a caller waits for. */
  wallMs: number;
  /**
   * Process CPU (user + system) from the call until the work's sockets and timers are gone, so the
   * teardown a run leaves behind (closing TLS sockets politely) is counted where it was caused.
   */
  cpuMs: number;
}

export interface Pairs {
  a: Sample[];
  b: Sample[];
  /** Per pair, a ÷ b. */
  wallRatios: number[];
  cpuRatios: number[];
}

/** How long teardown may take before the sample is taken anyway (it takes a few ms on loopback). */
const SETTLE_LIMIT_MS = 3000;
const SETTLE_POLL_MS = 5;

export async function measure(work: () => Promise<unknown>): Promise<Sample> {
  const before = activeResources();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  await settled(before);
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** `warmup` runs of each (unmeasured), then `reps` alternating pairs. */
export async function sideBySide(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  reps: number,
  warmup = 2,
): Promise<Pairs> {
  for (let i = 0; i < warmup; i++) {
    await measure(a);
    await measure(b);
  }
  const pairs: Pairs = { a: [], b: [], wallRatios: [], cpuRatios: [] };
  for (let i = 0; i < reps; i++) {
    let sa: Sample, sb: Sample;
    if (i % 2 === 0) {
      sa = await measure(a);
      sb = await measure(b);
    } else {
      sb = await measure(b);
      sa = await measure(a);
    }
    pairs.a.push(sa);
    pairs.b.push(sb);
    pairs.wallRatios.push(sa.wallMs / sb.wallMs);
    pairs.cpuRatios.push(sa.cpuMs / sb.cpuMs);
  }
  return pairs;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Handles and requests alive now (sockets, timers, ...), by type. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Waits until no resource type has more instances alive than `before`, polling, within SETTLE_LIMIT_MS. */
async function settled(before: Map<string, number>): Promise<void> {
  const deadline = performance.now() + SETTLE_LIMIT_MS;
  const leftover = () => [...activeResources()].some(([type, n]) => n > (before.get(type) ?? 0));
  while (leftover() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

/**
 * The rise of a least-squares line through evenly spaced samples, from the first to the last: a steady climb
 * counts in full, a saw-tooth (a heap that grows and is collected) for a fraction of its height that shrinks as
 * its teeth grow in number, where the last sample minus any other would swing by its whole height.
 */
export function trend(samples: readonly number[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = samples.reduce((sum, y) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  samples.forEach((y, x) => {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  });
  return (covariance / variance) * (n - 1);
}
