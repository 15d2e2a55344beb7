// The benchmark's output: a table on stdout and the same figures as JSON in bench/results/
// (bench-<timestamp>.json, and latest.json for whoever compares runs).
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';

export interface Figure {
  id: string;
  figure: string;
  value: number;
  unit: 'ratio' | 'ms' | 'MB' | 'units';
  /** The figure is met when value ≤ goal; without one it is reported only, and never missed. */
  goal?: number;
}

export function met(f: Figure): boolean {
  return f.goal === undefined || f.value <= f.goal;
}

export function formatFigures(figures: readonly Figure[]): string {
  const show = (f: Figure, n: number) =>
    f.unit === 'ratio' ? n.toFixed(2) : f.unit === 'ms' ? `${Math.round(n)} ms` : `${Number(n.toFixed(2))} ${f.unit}`;
  return table(
    ['figure', 'value', 'goal', 'met?'],
    figures.map((f) =>
      f.goal === undefined
        ? [f.figure, show(f, f.value), NONE, NONE]
        : [f.figure, show(f, f.value), `≤ ${show(f, f.goal)}`, met(f) ? 'yes' : 'NO'],
    ),
  );
}

/** An empty cell: a figure without a goal. It leaves a column of numbers right-aligned. */
const NONE = '—';

/** Plain columns, left-aligned text and right-aligned numbers, for a terminal or a pasted report. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = header.map((_, i) =>
    rows.every((r) => r[i] === NONE || (/^[-≤\d.\s]/.test(r[i]!) && /\d/.test(r[i]!))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function environment() {
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
  };
}

/** Writes `bench-<timestamp>.json` and `latest.json`; returns the first path. */
export async function writeResults(results: object, date: string): Promise<string> {
  const dir = new URL('../../bench/results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const body = `${JSON.stringify(results, null, 2)}\n`;
  const file = new URL(`bench-${date.replace(/[:.]/g, '-')}.json`, dir);
  await writeFile(file, body);
  await writeFile(new URL('latest.json', dir), body);
  return file.pathname;
}
