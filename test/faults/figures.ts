// The figures each fault scenario measures, gathered in bench/results/faults.json (ignored by git, like the
// benchmark's results) for the table printed at the end of the tier and for the README's reliability notes.
// Files run one after another (see vitest.config.ts), so a read-modify-write per scenario is safe.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Figure = number | string | boolean;

export interface FaultFigures {
  generatedAt: string;
  node: string;
  /** Scenario → figure name → value, in the order they were recorded. */
  scenarios: Record<string, Record<string, Figure>>;
}

export const FIGURES_FILE = fileURLToPath(new URL('../../bench/results/faults.json', import.meta.url));

export function readFigures(): FaultFigures {
  if (!existsSync(FIGURES_FILE)) return { generatedAt: new Date().toISOString(), node: process.version, scenarios: {} };
  return JSON.parse(readFileSync(FIGURES_FILE, 'utf8')) as FaultFigures;
}

/** Adds (or replaces) figures of one scenario. Recorded before the assertions, so a failing run shows them too. */
export function recordFigures(scenario: string, figures: Record<string, Figure>): void {
  const all = readFigures();
  all.scenarios[scenario] = { ...all.scenarios[scenario], ...figures };
  mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  writeFileSync(FIGURES_FILE, `${JSON.stringify(all, null, 2)}\n`);
}
