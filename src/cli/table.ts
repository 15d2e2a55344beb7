// The readable form of a run: one row per target and port (its step times, then what answered the service
// exchange; a port behind a proxy has two, the runtime's path through it and the direct one), then one reason
// line per target that is not healthy, the notes, the proxy, the clock reading. Colour only when asked (a
// TTY); the words carry the meaning on their own.
import { PORT_STEPS, portSteps, proxied, stepTimes, type PortStepName } from '../probe/steps.js';
import type { Code, PortResult, ProxyResult, RunResult, ServiceResult, Status, TargetResult } from '../probe/types.js';
import { clockText, proxyUrl, serviceText } from '../report/probe-text.js';

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
function answer(service: ServiceResult | undefined): string {
  if (!service) return '-';
  return service.outcome === 'skipped' ? 'skipped' : serviceText(service);
}

/** Through the tunnel, what answered; when the proxy opened none, its own answer (`CONNECT 407`). */
function proxyAnswer(proxy: ProxyResult): string {
  return proxy.outcome === 'ok' ? answer(proxy.service) : `CONNECT ${proxy.status ?? proxy.outcome}`;
}

function statusOf(ok: boolean, code: Code): Status {
  return ok ? (code === 'OK' ? 'healthy' : 'degraded') : 'unhealthy';
}

/** One path to a port: the label in the PORT column, its verdict, its steps' times and what answered. */
interface PathRow {
  port: string;
  ok: boolean;
  code: Code;
  times: Partial<Record<PortStepName, number>>;
  answer: string;
}

function pathRow(
  port: string,
  { ok, code }: Pick<PortResult, 'ok' | 'code'>,
  steps: Parameters<typeof portSteps>[0],
  answer: string,
): PathRow {
  return { port, ok, code, times: stepTimes(portSteps(steps)), answer };
}

/**
 * The port's paths: itself; behind a proxy, the runtime's path through it (which decides the verdict) and then
 * the direct one; a name NO_PROXY exempts goes direct only.
 */
function pathRows(p: PortResult): PathRow[] {
  if (p.skipped) return [pathRow(String(p.port), p, p, 'not tried')];
  if (!proxied(p)) return [pathRow(p.proxy ? `${p.port} no_proxy` : String(p.port), p, p, answer(p.service))];
  const { proxy } = p;
  const tunnel = { tcp: [], tls: proxy.tls, service: proxy.service, proxy };
  const through = pathRow(`${p.port} via proxy`, p, tunnel, proxyAnswer(proxy));
  if (!p.direct) return [through];
  return [through, pathRow(`${p.port} direct`, p.direct, { ...p, proxy: undefined }, answer(p.service))];
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
  return t.ports.flatMap(pathRows).map((row) => {
    const status = statusOf(row.ok, row.code);
    return {
      cells: [
        t.name,
        t.host,
        row.port,
        status,
        row.code,
        address,
        ms(t.dns.ms),
        ...PORT_STEPS.map(({ step }) => ms(row.times[step])),
        row.answer,
      ],
      status,
    };
  });
}

export interface TableExtras {
  /** Extra lines after the reasons, e.g. the edge runtime audit's findings. */
  notes?: string[];
  /** The proxy the settings named (`http://host:port`), for a run in which no port met it. */
  proxy?: string;
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
  const proxy = proxyUrl(run) ?? extras.proxy;
  if (proxy !== undefined)
    out.push(
      `proxy: ${proxy}: 443 goes through it as the runtime's upstream does ("via proxy" decides, "direct" beside it)`,
    );
  if (run.clock) out.push(`clock: ${clockText(run.clock)}`);
  const counts = (['healthy', 'degraded', 'unhealthy'] as const)
    .map((s) => `${run.targets.filter((t) => t.status === s).length} ${s}`)
    .join(', ');
  out.push(`overall ${run.overall}: ${counts} in ${run.durationMs} ms`);
  return out.join('\n') + '\n';
}
