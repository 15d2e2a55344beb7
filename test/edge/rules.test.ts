// The audit's rules as a registry: every finding id has exactly one rule, so a new id cannot be declared and
// forgotten, nor a rule written twice.
import { describe, expect, it } from 'vitest';
import { FINDING_IDS } from '../../src/edge/finding.js';
import { RULES } from '../../src/edge/rules/index.js';

describe('audit rules', () => {
  it('has one rule per finding id', () => {
    expect(RULES.map((r) => r.id).sort()).toEqual([...FINDING_IDS].sort());
  });
});
