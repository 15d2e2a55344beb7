// vitest global setup of the fault tier: a fresh figures file for this run, and after the last file the
// figures as a table on stdout (CI's log keeps them).
import { rmSync } from 'node:fs';
import { FIGURES_FILE, readFigures } from './figures.js';

export function setup(): void {
  rmSync(FIGURES_FILE, { force: true });
}

export function teardown(): void {
  const { scenarios } = readFigures();
  const rows = Object.entries(scenarios).flatMap(([scenario, figures]) =>
    Object.entries(figures).map(([name, value], i) => [i === 0 ? scenario : '', name, String(value)] as const),
  );
  if (rows.length === 0) return;
  const width = (column: 0 | 1, header: string) => Math.max(header.length, ...rows.map((r) => r[column].length));
  const [first, second] = [width(0, 'scenario'), width(1, 'figure')];
  const line = (r: readonly [string, string, string]) => `${r[0].padEnd(first)}  ${r[1].padEnd(second)}  ${r[2]}`;
  process.stdout.write(
    `\nfault tier figures (${FIGURES_FILE})\n${line(['scenario', 'figure', 'value'])}\n${rows.map(line).join('\n')}\n\n`,
  );
}
