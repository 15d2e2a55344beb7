// One screenful of the demo: the step being told, then what the module wrote — the twin's reported status,
// one row per target, the reasons of the ones not healthy, the acknowledgements of the desired keys, the last
// probeResults message and the alerts. Pure: state in, logical lines out (terminal.ts fits them to a screen).
import type { Overall } from '../src/probe/types.js';
import type { ReportedTarget } from '../src/report/reported.js';
import {
  acknowledgements,
  alertMessages,
  reportedStatus,
  reportedTargets,
  resultMessages,
  type Reported,
} from './observed.js';
import type { CapturedMessage } from '../test/support/emulator/index.js';

export interface Narration {
  step: number;
  of: number;
  title: string;
  /** One paragraph each; the screen wraps them. */
  paragraphs: string[];
}

export interface FrameInput {
  /** Who runs where: constant lines at the top. */
  header: string[];
  narration?: Narration;
  reported: Reported;
  messages: readonly CapturedMessage[];
  colour: boolean;
}

/** Alerts shown, newest last: the whole demo story fits; a long live run shows the recent ones. */
const ALERTS_SHOWN = 8;

const STATUS_COLOUR: Record<Overall, string> = { healthy: '32', degraded: '33', unhealthy: '31', unknown: '2' };

function paint(colour: boolean, code: string, text: string): string {
  return colour ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Left-aligned columns under an optional heading; a row's cell at `statusColumn` is coloured by its text. */
function table(heading: string[] | undefined, rows: string[][], colour: boolean, statusColumn?: number): string[] {
  const all = heading ? [heading, ...rows] : rows;
  if (all.length === 0) return [];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (cells: string[], coloured: boolean) =>
    '  ' +
    cells
      .map((cell, i) => {
        const padded = cell.padEnd(widths[i]!);
        return coloured && i === statusColumn && Object.hasOwn(STATUS_COLOUR, cell)
          ? paint(colour, STATUS_COLOUR[cell as Overall], padded)
          : padded;
      })
      .join('  ')
      .trimEnd();
  return [...(heading ? [line(heading, false)] : []), ...rows.map((r) => line(r, true))];
}

function narrationLines(n: Narration | undefined, colour: boolean): string[] {
  if (!n) return [];
  return ['', paint(colour, '1', `Step ${n.step}/${n.of} · ${n.title}`), ...n.paragraphs.map((l) => `  ${l}`)];
}

function twinLines(reported: Reported, messages: readonly CapturedMessage[], colour: boolean): string[] {
  const status = reportedStatus(reported);
  if (!status)
    return ['', paint(colour, '1', 'Module twin'), "  no reported status yet: the module's first run is under way"];
  const overall = paint(colour, STATUS_COLOUR[status.overall], status.overall.toUpperCase());
  const targets = reportedTargets(reported);
  const rows = targets.map(([name, t]) => [name, t.host, t.status, t.code]);
  // The twin keeps the first 200 bytes of a reason; the telemetry carries it whole.
  const whole = new Map((resultMessages(messages).at(-1)?.body.targets ?? []).map((t) => [t.name, t]));
  const reasonOf = (name: string, t: ReportedTarget) =>
    whole.get(name)?.code === t.code ? whole.get(name)!.reason : (t.reason ?? '');
  const reasons = targets
    .filter(([, t]) => t.status !== 'healthy')
    .map(([name, t]) => `  ${name}: ${reasonOf(name, t)}`);
  return [
    '',
    `${paint(colour, '1', 'Module twin')}  reported status ${overall} · ${status.summary} · written at run ${status.runCount}`,
    ...table(['TARGET', 'HOST', 'STATUS', 'CODE'], rows, colour, 2),
    ...reasons,
  ];
}

function ackLines(reported: Reported, colour: boolean): string[] {
  const acks = acknowledgements(reported);
  const heading = `${paint(colour, '1', 'Acknowledgements')}  of the desired keys (ac = status code, av = desired $version, ad = description)`;
  if (acks.length === 0) return ['', heading, '  none yet'];
  return [
    '',
    heading,
    ...table(
      ['KEY', 'AC', 'AV', 'AD'],
      acks.map(([key, a]) => [key, String(a.ac), String(a.av), a.ad]),
      colour,
    ),
  ];
}

function telemetryLines(messages: readonly CapturedMessage[], colour: boolean): string[] {
  const results = resultMessages(messages);
  const last = results.at(-1);
  const heading = `${paint(colour, '1', 'Telemetry')}  output probeResults: ${results.length} message${results.length === 1 ? '' : 's'}`;
  if (!last) return ['', heading];
  const { body, properties } = last;
  const props = Object.entries(properties)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    '',
    `${heading}, the last one:`,
    `  runId ${body.runId} · overall ${paint(colour, STATUS_COLOUR[body.overall], body.overall)} · properties ${props}`,
    `  targets ${body.targets.map((t) => `${t.name} ${t.code}`).join(', ')}`,
  ];
}

function alertLines(messages: readonly CapturedMessage[], colour: boolean): string[] {
  const alerts = alertMessages(messages);
  const heading = `${paint(colour, '1', 'Alerts')}  output alerts: ${alerts.length} message${alerts.length === 1 ? '' : 's'}, one per verdict change`;
  const shown = alerts.slice(-ALERTS_SHOWN).map((a) => [a.target, a.from, '→', a.to, a.code ?? 'removed']);
  // The new status is coloured: it is what the alert says.
  return ['', heading, ...table(undefined, shown, colour, 3)];
}

export function renderFrame(input: FrameInput): string[] {
  const { colour } = input;
  return [
    ...input.header.map((line, i) => (i === 0 ? paint(colour, '1', line) : line)),
    ...narrationLines(input.narration, colour),
    ...twinLines(input.reported, input.messages, colour),
    ...ackLines(input.reported, colour),
    ...telemetryLines(input.messages, colour),
    ...alertLines(input.messages, colour),
  ];
}
