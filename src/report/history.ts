// The recent runs of each target, in memory only (a restart starts it afresh): when it broke, and whether it
// comes and goes. Fixed memory whatever the interval: each target keeps its last `capacity` runs in typed
// arrays allocated once (288 runs: 24 hours at the default 5-minute interval, ≈ 7 KB a target), and only the
// targets of the latest run are kept, so a configuration that churns through names leaves nothing behind.
import { nextFlag, type FlappingRule } from './flapping.js';
import { PORT_STEPS, portSteps, stepTimeKey, stepTimes, type StepTimeKey } from '../probe/steps.js';
import { CODE_STATUS, type Code, type RunResult, type Status, type TargetResult } from '../probe/types.js';

export const HISTORY_RUNS = 288;

const STATUSES: readonly Status[] = ['healthy', 'degraded', 'unhealthy'];
const CODES = Object.keys(CODE_STATUS) as Code[];
const NO_TIME = -1;

/** One run of one target, as kept. Times in ms; undefined when the step did not run. */
export type HistoryEntry = {
  /** When the run started (epoch ms). */
  at: number;
  status: Status;
  code: Code;
  dnsMs?: number;
} & Partial<Record<StepTimeKey, number>>; // each port step's time on the slowest port (`tcpMs`, `tlsMs`)

/** The times kept per run: the DNS step's, then each port step's (PORT_STEPS). */
const TIME_KEYS: ReadonlyArray<'dnsMs' | StepTimeKey> = ['dnsMs', ...PORT_STEPS.map(({ step }) => stepTimeKey(step))];

class TargetRing {
  private readonly at: Float64Array;
  private readonly status: Uint8Array;
  private readonly code: Uint8Array;
  /** 1 where the verdict (status or code) differs from the run before. */
  private readonly changed: Uint8Array;
  /** TIME_KEYS.length times per entry. */
  private readonly ms: Float32Array;
  private next = 0;
  size = 0;
  /** Verdict changes since the process started (for the Prometheus counter). */
  changesTotal = 0;
  flapping = false;

  constructor(readonly capacity: number) {
    this.at = new Float64Array(capacity);
    this.status = new Uint8Array(capacity);
    this.code = new Uint8Array(capacity);
    this.changed = new Uint8Array(capacity);
    this.ms = new Float32Array(capacity * TIME_KEYS.length);
  }

  push(e: HistoryEntry): void {
    const i = this.next;
    const last = (i - 1 + this.capacity) % this.capacity;
    this.status[i] = STATUSES.indexOf(e.status);
    this.code[i] = CODES.indexOf(e.code);
    const changed = this.size > 0 && (this.status[i] !== this.status[last] || this.code[i] !== this.code[last]);
    this.changed[i] = changed ? 1 : 0;
    if (changed) this.changesTotal++;
    this.at[i] = e.at;
    TIME_KEYS.forEach((key, k) => (this.ms[i * TIME_KEYS.length + k] = e[key] ?? NO_TIME));
    this.next = (i + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  private index(k: number): number {
    return (this.next - this.size + k + this.capacity) % this.capacity;
  }

  /** The k-th kept entry, oldest first. */
  entry(k: number): HistoryEntry {
    const i = this.index(k);
    const times = TIME_KEYS.map((key, k) => {
      const ms = this.ms[i * TIME_KEYS.length + k]!;
      return [key, ms === NO_TIME ? undefined : Math.round(ms)];
    });
    return {
      at: this.at[i]!,
      status: STATUSES[this.status[i]!]!,
      code: CODES[this.code[i]!]!,
      ...Object.fromEntries(times),
    };
  }

  /** Verdict changes among the last `runs` kept runs (each counted against the run before it). */
  changes(runs: number): number {
    let n = 0;
    for (let k = Math.max(0, this.size - runs); k < this.size; k++) n += this.changed[this.index(k)]!;
    return n;
  }

  /** Kept runs that were not unhealthy. */
  upRuns(): number {
    let n = 0;
    for (let k = 0; k < this.size; k++) if (STATUSES[this.status[this.index(k)]!] !== 'unhealthy') n++;
    return n;
  }
}

/** What a target's history says, for the twin: changes and availability over what is kept. */
export interface HistorySummary {
  /** Runs kept (at most `capacity`). */
  runs: number;
  changes: number;
  /** Share of kept runs whose measured verdict was healthy or degraded, in percent, one decimal. */
  availabilityPct: number;
}

/** The recent runs of each target, read-only: what the endpoints, the page and the metrics see. */
export interface HistoryReader {
  readonly capacity: number;
  entries(name: string, limit?: number): HistoryEntry[];
  summary(name: string): HistorySummary | undefined;
  changesTotal(): Record<string, number>;
  targets(): string[];
}

/** The history as `/status` and `getStatus` carry it: per target, its last `limit` runs, oldest first. */
export interface HistoryView {
  /** Runs kept per target. */
  capacity: number;
  targets: Record<string, HistoryEntry[]>;
}

export function historyView(history: HistoryReader, limit = history.capacity): HistoryView {
  return {
    capacity: history.capacity,
    targets: Object.fromEntries(history.targets().map((name) => [name, history.entries(name, limit)])),
  };
}

export class RunHistory implements HistoryReader {
  private readonly rings = new Map<string, TargetRing>();

  constructor(readonly capacity = HISTORY_RUNS) {}

  /**
   * Keeps the run's measured verdicts (before FLAPPING stands in for any of them) and returns the targets
   * flagged as flapping under `rule`, with the changes counted in the window.
   */
  record(run: RunResult, rule: FlappingRule): Map<string, { changes: number }> {
    const at = Date.parse(run.startedAt);
    const names = new Set(run.targets.map((t) => t.name));
    for (const name of this.rings.keys()) if (!names.has(name)) this.rings.delete(name);
    const flagged = new Map<string, { changes: number }>();
    for (const t of run.targets) {
      let ring = this.rings.get(t.name);
      if (!ring) this.rings.set(t.name, (ring = new TargetRing(this.capacity)));
      ring.push(entryOf(t, at));
      const changes = ring.changes(rule.window);
      ring.flapping = nextFlag(ring.flapping, changes, rule);
      if (ring.flapping) flagged.set(t.name, { changes });
    }
    return flagged;
  }

  /** A target's kept runs, oldest first; the last `limit` only when given. */
  entries(name: string, limit = this.capacity): HistoryEntry[] {
    const ring = this.rings.get(name);
    if (!ring) return [];
    const from = Math.max(0, ring.size - limit);
    return Array.from({ length: ring.size - from }, (_, k) => ring.entry(from + k));
  }

  summary(name: string): HistorySummary | undefined {
    const ring = this.rings.get(name);
    if (!ring || ring.size === 0) return undefined;
    // The oldest kept run's change was against a run no longer kept: not counted.
    return {
      runs: ring.size,
      changes: ring.changes(ring.size - 1),
      availabilityPct: Math.round((1000 * ring.upRuns()) / ring.size) / 10,
    };
  }

  /** Verdict changes per target since the process started. */
  changesTotal(): Record<string, number> {
    return Object.fromEntries([...this.rings].map(([name, ring]) => [name, ring.changesTotal]));
  }

  targets(): string[] {
    return [...this.rings.keys()];
  }
}

function entryOf(t: TargetResult, at: number): HistoryEntry {
  const slowest = (values: Array<number | undefined>) => {
    const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    return known.length > 0 ? Math.max(...known) : undefined;
  };
  const perPort = t.ports.map((p) => stepTimes(portSteps(p)));
  return {
    at,
    status: t.status,
    code: t.code,
    dnsMs: Number.isFinite(t.dns.ms) ? t.dns.ms : undefined,
    ...Object.fromEntries(
      PORT_STEPS.map(({ step }) => [stepTimeKey(step), slowest(perPort.map((times) => times[step]))]),
    ),
  };
}
