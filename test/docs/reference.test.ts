// docs/reference.md held to the code: a verdict code, a finding, a desired key, a port step or a metric the code
// defines has its row there, with the status or severity the code gives it, and the page names nothing the code
// no longer has. Adding one without documenting it fails here (docs/architecture.md, "Adding things").
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECK_USAGE } from '../../src/cli/args.js';
import { DESIRED_KEYS } from '../../src/config/model.js';
import { FINDING_IDS } from '../../src/edge/finding.js';
import { RULES } from '../../src/edge/rules/index.js';
import { PORT_STEPS, stepTimeKey } from '../../src/probe/steps.js';
import { CODE_STATUS } from '../../src/probe/types.js';
import { createMetrics, METRIC_PREFIX } from '../../src/report/metrics.js';
import { snapshotOf } from '../http/snapshot-factory.js';

const ROOT = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const reference = read('docs/reference.md');

/** The text under a `## ` heading, up to the next one. */
function section(heading: string): string {
  const start = reference.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/reference.md has no section "## ${heading}"`);
  const end = reference.indexOf('\n## ', start + 1);
  return reference.slice(start, end < 0 ? undefined : end);
}

/** The cells of every table row in `text` (header and separator rows included; they name nothing). */
function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

/** The rows whose first cell names `name` in backquotes. */
function rowsNaming(text: string, name: string): string[][] {
  return rows(text).filter((cells) => cells[0]!.includes(`\`${name}\``));
}

/** Every backquoted word of the first cells that matches `pattern`. */
function firstCellNames(text: string, pattern: RegExp): string[] {
  return rows(text)
    .flatMap((cells) => [...cells[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!))
    .filter((n) => pattern.test(n));
}

describe('docs/reference.md', () => {
  const verdicts = section('Verdict codes');

  it.each(Object.entries(CODE_STATUS))('has a row for verdict code %s with status %s', (code, status) => {
    const found = rowsNaming(verdicts, code);
    expect(found, `a row for \`${code}\` in "Verdict codes"`).toHaveLength(1);
    expect(found[0]![1], `the status in the row of ${code}`).toBe(status);
  });

  it("names every verdict code in the README's list by layer too", () => {
    const readme = read('README.md');
    expect(Object.keys(CODE_STATUS).filter((code) => code !== 'OK' && !readme.includes(`\`${code}\``))).toEqual([]);
  });

  it('names no verdict code the code does not have', () => {
    const named = firstCellNames(verdicts, /^[A-Z][A-Z_]+$/);
    expect(named.filter((code) => !Object.hasOwn(CODE_STATUS, code))).toEqual([]);
    expect(named.length).toBeGreaterThanOrEqual(Object.keys(CODE_STATUS).length);
  });

  const findings = section('Audit findings');

  it.each(RULES.map((rule) => [rule.id, rule.severity]))(
    'has a row for finding %s with severity %s',
    (id, severity) => {
      const found = rowsNaming(findings, id);
      expect(found, `a row for \`${id}\` in "Audit findings"`).toHaveLength(1);
      expect(found[0]![1], `the severity in the row of ${id}`).toBe(severity);
    },
  );

  it('lists every finding id once, in the order the rules run', () => {
    const named = firstCellNames(findings, /^[A-Z][A-Z_]+$/);
    expect([...named].sort()).toEqual([...FINDING_IDS].sort());
    expect(named).toEqual(RULES.map((rule) => rule.id));
  });

  it.each([...DESIRED_KEYS])('has a row for desired key %s', (key) => {
    expect(rowsNaming(section('Desired properties'), key), `a row for \`${key}\` in "Desired properties"`).toHaveLength(
      1,
    );
  });

  it.each(PORT_STEPS.map(({ step }) => stepTimeKey(step)))('documents the step time %s of a reported port', (key) => {
    const reported = section('Reported properties');
    expect(
      rows(reported).some((cells) => cells[0]!.includes(`\`${key}\``)),
      `\`${key}\` in a row of "Reported properties"`,
    ).toBe(true);
  });

  it('has a row for every metric the module registers, and for no other', async () => {
    const text = await createMetrics({ snapshot: () => snapshotOf() }).render();
    const registered = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    expect(registered.length).toBeGreaterThan(0);
    expect(registered.every((name) => name.startsWith(METRIC_PREFIX))).toBe(true);
    const documented = firstCellNames(section('Metrics'), new RegExp(`^${METRIC_PREFIX}`));
    expect([...documented].sort()).toEqual([...registered].sort());
  });

  it("shows check's usage as the command prints it", () => {
    const block = /```text\n([\s\S]*?)```/.exec(section('Command line'));
    expect(block, 'a ```text block in "Command line"').not.toBeNull();
    expect(block![1]).toBe(CHECK_USAGE);
  });

  it('is linked from the README and from docs/architecture.md', () => {
    expect(read('README.md').includes('](docs/reference.md'), 'a link to docs/reference.md in the README').toBe(true);
    expect(read('docs/architecture.md').includes('](reference.md'), 'a link to reference.md in architecture.md').toBe(
      true,
    );
  });

  it('links only to its own sections that exist', () => {
    const anchors = new Set(
      [...reference.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 _-]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const links = [...reference.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.filter((anchor) => !anchors.has(anchor))).toEqual([]);
  });
});
