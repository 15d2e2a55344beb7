// The twin's sections read back: only well-typed status, code and changedAt are taken from what the twin holds.
import { describe, expect, it } from 'vitest';
import { previousResults, sectionsAsJson, sectionsOf } from '../../src/report/previous.js';
import { reportedSections } from '../../src/report/reported.js';
import { edgeAudit, healthyTarget, runOf } from './factory.js';

describe('previous reported sections', () => {
  it('takes status, code and changedAt where they have the right type, and nothing else', () => {
    const twin = {
      results: {
        hub: { status: 'healthy', code: 'OK', changedAt: '2026-12-01T00:00:00.000Z', reason: 'x' },
        odd: { status: 'sideways', code: 'NOT_A_CODE', changedAt: 7 },
        gone: null,
        text: 'not an entry',
      },
    };
    expect(previousResults(twin)).toEqual({
      results: {
        hub: { status: 'healthy', code: 'OK', changedAt: '2026-12-01T00:00:00.000Z' },
        odd: {},
        gone: null,
        text: null,
      },
    });
    expect(previousResults({ results: 'broken' })).toEqual({});
    expect(previousResults(undefined)).toEqual({});
  });

  it('round-trips what the module wrote, and keeps only the sections of a whole reported document', () => {
    const run = runOf([healthyTarget('hub')]);
    const sections = reportedSections(run, {
      edge: edgeAudit(),
      moduleVersion: '1',
      nextRunAt: run.startedAt,
      runCount: 1,
    });
    const json = sectionsAsJson(sections);
    expect(previousResults(json).results?.hub).toEqual({
      status: 'healthy',
      code: 'OK',
      changedAt: sections.results.hub!.changedAt,
    });
    expect(Object.keys(sectionsOf({ ...json, timeoutMs: { ac: 200 }, $version: 3 }))).toEqual([
      'status',
      'results',
      'edge',
    ]);
  });
});
