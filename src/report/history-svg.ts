// The status page's history: per target, a timeline of its kept runs coloured by verdict and a small plot of
// its DNS time and each port step's (TCP, TLS), drawn as inline SVG by the module itself (no script, no external asset: the page
// is read on networks without internet). Sizes stay bounded whatever the history: consecutive runs with the
// same verdict are drawn as one segment (a steady target is one rectangle), and each plotted series is cut down
// to at most PLOT_POINTS points (the slowest of each bucket, so a spike is never averaged away).
import { PORT_STEPS, stepTimeKey, type StepTimeKey } from '../probe/steps.js';
import type { Status } from '../probe/types.js';
import type { HistoryEntry, HistoryReader } from './history.js';
import { html, type Html } from './html.js';

const PLOT_POINTS = 96;
const PLOT_HEIGHT = 40;
const COLOURS: Record<Status, string> = { healthy: '#1a7f37', degraded: '#9a6700', unhealthy: '#cf222e' };
/** One line per step: DNS, then each port step (PORT_STEPS), in colours that stay apart for colour-blind readers. */
const PALETTE = ['#0969da', '#8250df', '#bc4c00', '#1b7c83', '#953800'];
type TimeKey = 'dnsMs' | StepTimeKey;
const SERIES: ReadonlyArray<{ key: TimeKey; label: string; colour: string }> = [
  { key: 'dnsMs' as TimeKey, label: 'DNS' },
  ...PORT_STEPS.map(({ step, title }) => ({ key: stepTimeKey(step) as TimeKey, label: title })),
].map((s, i) => ({ ...s, colour: PALETTE[i % PALETTE.length]! }));

export function historySection(history: HistoryReader, names: readonly string[]): Html {
  const rows = names.map((name) => ({ name, entries: history.entries(name) })).filter((r) => r.entries.length > 0);
  if (rows.length === 0) return html``;
  return html`<section id="history">
<h2>History</h2>
<p class="muted">The last ${history.capacity} runs of each target at most, oldest on the left; kept in memory since the module started. Hover or tap a segment for its code and time.</p>
${rows.map(({ name, entries }) => targetHistory(name, entries, history.summary(name)))}
</section>`;
}

function targetHistory(
  name: string,
  entries: readonly HistoryEntry[],
  summary: ReturnType<HistoryReader['summary']>,
): Html {
  const facts = summary
    ? `${summary.runs} runs · ${summary.changes} changes · ${summary.availabilityPct}% not unhealthy`
    : '';
  return html`<div class="history" data-target="${name}">
<h3>${name} <span class="muted">${facts}</span></h3>
${timeline(entries)}
<div class="axis muted"><span>${clock(entries[0]!.at)}</span><span>${clock(entries.at(-1)!.at)}</span></div>
${latencyPlot(entries)}
</div>`;
}

/** One rectangle per run of unchanged verdict, each with a title naming its code, run count and times. */
function timeline(entries: readonly HistoryEntry[]): Html {
  const segments: Array<{ from: number; to: number }> = [];
  entries.forEach((e, i) => {
    const last = segments.at(-1);
    const prev = entries[i - 1];
    if (last && prev && prev.status === e.status && prev.code === e.code) last.to = i;
    else segments.push({ from: i, to: i });
  });
  const label = `verdict timeline: ${segments.length} segment${segments.length === 1 ? '' : 's'} over ${entries.length} runs`;
  return html`<svg class="timeline" viewBox="0 0 ${entries.length} 1" preserveAspectRatio="none" role="img" aria-label="${label}">${segments.map(
    ({ from, to }) => {
      const e = entries[from]!;
      const runs = to - from + 1;
      const title = `${e.status} ${e.code}, ${runs} run${runs === 1 ? '' : 's'} from ${clock(e.at)}${runs > 1 ? ` to ${clock(entries[to]!.at)}` : ''}`;
      return html`<rect x="${from}" width="${runs}" height="1" fill="${COLOURS[e.status]}" data-status="${e.status}"><title>${title}</title></rect>`;
    },
  )}</svg>`;
}

/** DNS, TCP and TLS times as three lines over the same runs, scaled to the slowest time shown. */
function latencyPlot(entries: readonly HistoryEntry[]): Html {
  const buckets = bucketed(entries);
  const max = Math.max(1, ...buckets.flatMap((b) => SERIES.map((s) => b[s.key] ?? 0)));
  const width = Math.max(1, buckets.length - 1);
  const lines = SERIES.map((s) => {
    const points = buckets.flatMap((b, i) =>
      b[s.key] === undefined ? [] : [`${i},${(PLOT_HEIGHT * (1 - b[s.key]! / max)).toFixed(1)}`],
    );
    return points.length === 0
      ? html``
      : html`<polyline points="${points.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="1.5" vector-effect="non-scaling-stroke"/>`;
  });
  return html`<div class="plot"><svg viewBox="0 0 ${width} ${PLOT_HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${SERIES.map((s) => s.label).join(', ')} times, up to ${Math.round(max)} ms">${lines}</svg>
<span class="legend">${SERIES.map((s) => html`<span style="color:${s.colour}">&#9632; ${s.label}</span> `)}<span class="muted">max ${Math.round(max)} ms</span></span></div>`;
}

/** At most PLOT_POINTS buckets of consecutive runs, each with the slowest time of each step in it. */
function bucketed(entries: readonly HistoryEntry[]): Array<Partial<Record<TimeKey, number>>> {
  const size = Math.max(1, Math.ceil(entries.length / PLOT_POINTS));
  const out: Array<Partial<Record<TimeKey, number>>> = [];
  for (let i = 0; i < entries.length; i += size) {
    const slice = entries.slice(i, i + size);
    const slowest = (key: TimeKey) => {
      const known = slice.map((e) => e[key]).filter((v): v is number => v !== undefined);
      return known.length > 0 ? Math.max(...known) : undefined;
    };
    out.push(Object.fromEntries(SERIES.map(({ key }) => [key, slowest(key)])));
  }
  return out;
}

function clock(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const HISTORY_STYLE = `
.history{margin:.5rem 0 .9rem}.history h3{margin:.2rem 0}
svg.timeline{display:block;width:100%;height:1.1rem;border-radius:3px;background:#eff2f5}
.plot svg{display:block;width:100%;height:3rem;background:#f6f8fa;border-bottom:1px solid #d0d7de}
.axis{display:flex;justify-content:space-between;font-size:.7rem}.legend{font-size:.75rem}
`;
