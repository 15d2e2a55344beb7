// The readable form of a run: one row per target and port (its step times, then what answered the service
// exchange), then one reason line per target that is not healthy, the notes, the clock reading. Colour only
// when asked (a TTY); the words carry the meaning on their own.
import { PORT_STEPS, portSteps, stepTimes } from '../probe/steps.js';
import type { PortResult, RunResult, Status, TargetResult } from '../probe/types.js';
import { clockText, serviceText } from '../report/probe-text.js';

const COLOURS: Record<Status, string> = { healthy: '\x1b[32m', degraded: '\x1b[33m', unhealthy: '\x1b[31m' };
const RESET = '\x1b[0m';

const HEADER = [
  'TARGET',
  'HOST',
  'PORT',
  'STATUS',
  'CODE',
  'ADDRESS',
  'DNS',
  ...PORT_STEPS.map((s) => s.title),
  'ANSWER',
];

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${Math.round(value)}ms`;
}

/** `mqtt ok CONNACK 5`; `skipped` alone (the code says why), `-` when the check was off or nothing connected. */
function answer(p: PortResult): string {
  if (!p.service) return '-';
  return p.service.outcome === 'skipped' ? 'skipped' : serviceText(p.service);
}

function rowsOf(t: TargetResult): Array<{ cells: string[]; status: Status }> {
  const address = t.dns.addresses.map((a) => a.address).join(' ') || '-';
  if (t.ports.length === 0)
    return [
      {
        cells: [t.name, t.host, '-', t.status, t.code, address, ms(t.dns.ms), ...PORT_STEPS.map(() => '-'), '-'],
        status: t.status,
      },
    ];
  return t.ports.map((p) => {
    const status: Status = p.ok ? (p.code === 'OK' ? 'healthy' : 'degraded') : 'unhealthy';
    const times = stepTimes(portSteps(p));
    return {
      cells: [
        t.name,
        t.host,
        String(p.port),
        status,
        p.code,
        address,
        ms(t.dns.ms),
        ...PORT_STEPS.map(({ step }) => ms(times[step])),
        answer(p),
      ],
      status,
    };
  });
}

export interface TableExtras {
  /** Extra lines after the reasons, e.g. the edge runtime audit's findings. */
  notes?: string[];
  colour?: boolean;
}

export function formatTable(run: RunResult, extras: TableExtras = {}): string {
  const rows = run.targets.flatMap(rowsOf);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: string[], status?: Status) =>
    cells
      .map((c, i) => {
        const padded = c.padEnd(widths[i]!);
        return i === 3 && status && extras.colour ? `${COLOURS[status]}${padded}${RESET}` : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [line(HEADER), ...rows.map((r) => line(r.cells, r.status)), ''];
  for (const t of run.targets) if (t.status !== 'healthy') out.push(`${t.name}: ${t.reason}`);
  for (const note of extras.notes ?? []) out.push(note);
  if (run.clock) out.push(`clock: ${clockText(run.clock)}`);
  const counts = (['healthy', 'degraded', 'unhealthy'] as const)
    .map((s) => `${run.targets.filter((t) => t.status === s).length} ${s}`)
    .join(', ');
  out.push(`overall ${run.overall}: ${counts} in ${run.durationMs} ms`);
  return out.join('\n') + '\n';
}
