import { describe, expect, it } from 'vitest';
import { isTwinSafe } from '../../src/config/twin-safe.js';
import { reportedPatch } from '../../src/report/patch.js';
import { reportedSections, type ReportedContext, type ReportedSections } from '../../src/report/reported.js';
import type { RunResult } from '../../src/probe/types.js';
import { edgeAudit, healthyTarget, mismatchAcrTarget, publicBlobTarget, runOf } from './factory.js';
import { applyPatch, viaJson } from './twin-model.js';

const LATER = '2026-11-28T09:05:00.000Z';

function sections(run: RunResult, over: Partial<ReportedContext> = {}): ReportedSections {
  return reportedSections(run, { edge: edgeAudit(), moduleVersion: '0.1.0', nextRunAt: LATER, runCount: 1, ...over });
}

const three = () => runOf([healthyTarget('hub'), publicBlobTarget('blob'), mismatchAcrTarget('acr')]);

/** The twin after the first write: the sections plus the config layer's acknowledgements beside them. */
function twinWith(s: ReportedSections): Record<string, unknown> {
  return { ...viaJson(s), intervalSeconds: { value: 300, ac: 200, av: 3, ad: 'applied' } };
}

describe('reportedPatch', () => {
  it('writes every section in full the first time, leaving out a null edge', () => {
    const next = sections(three(), { edge: null });
    expect(reportedPatch(undefined, next)).toEqual({ status: next.status, results: next.results });
  });

  it('is empty when nothing changed', () => {
    const s = sections(three());
    expect(reportedPatch(twinWith(s), sections(three()))).toEqual({});
  });

  it('sends only the changed leaves', () => {
    const before = sections(three());
    const after = sections({ ...three(), startedAt: LATER }, { runCount: 2, previous: before });
    expect(reportedPatch(twinWith(before), after)).toEqual({ status: { lastRunAt: LATER, runCount: 2 } });
  });

  it('deletes a removed target with null, and leaves the acknowledgements alone', () => {
    const before = twinWith(sections(three()));
    const after = sections(runOf([healthyTarget('hub'), publicBlobTarget('blob')]));
    const patch = reportedPatch(before, after);
    expect((patch.results as Record<string, unknown>).acr).toBeNull();
    expect(patch).not.toHaveProperty('intervalSeconds');
    expect(applyPatch(before, patch)).toEqual({ ...viaJson(after), intervalSeconds: before.intervalSeconds });
  });

  it('deletes a port no longer probed, a field a port no longer has, and a finding that cleared', () => {
    const before = twinWith(sections(three()));
    const hub = healthyTarget('hub');
    const failing = {
      ...hub.ports[0]!,
      ok: false,
      code: 'TCP_REFUSED' as const,
      tls: undefined,
      service: undefined,
      tcp: [{ address: '10.1.1.4', port: 8883, outcome: 'refused' as const, ms: 1 }],
    };
    const changedHub = { ...hub, ports: [failing, hub.ports[2]!] };
    const after = sections(runOf([changedHub, publicBlobTarget('blob'), mismatchAcrTarget('acr')]), {
      edge: edgeAudit({ findings: [] }),
    });
    const patch = reportedPatch(before, after) as {
      results: { hub: { ports: Record<string, unknown> } };
      edge: { findings: unknown };
    };
    expect(patch.results.hub.ports).toEqual({
      '5671': null,
      '8883': {
        ok: false,
        code: 'TCP_REFUSED',
        tcpMs: 1,
        tlsMs: null,
        serviceMs: null,
        tls: null,
        certDaysLeft: null,
        service: null,
        serviceDetail: null,
      },
    });
    expect(patch.edge.findings).toEqual({ DOCKER_EMBEDDED_DNS: null });
    expect(applyPatch(before, patch)).toEqual({ ...viaJson(after), intervalSeconds: before.intervalSeconds });
  });

  it('deletes the edge section when no audit ran any more', () => {
    const before = twinWith(sections(three()));
    expect(reportedPatch(before, sections(three(), { edge: null }))).toEqual({
      status: { upstream: null },
      edge: null,
    });
  });

  it('removes what the twin still holds from before a restart (a target dropped while the module was offline)', () => {
    const fromTwin = twinWith(sections(runOf([healthyTarget('hub'), healthyTarget('old')])));
    const patch = reportedPatch(fromTwin, sections(runOf([healthyTarget('hub')])));
    expect(patch).toMatchObject({ results: { old: null } });
  });

  it('produces twin-safe patches', () => {
    const before = twinWith(sections(three()));
    expect(isTwinSafe(reportedPatch(before, sections(runOf([healthyTarget('hub')]), { edge: null })))).toBe(true);
  });
});
