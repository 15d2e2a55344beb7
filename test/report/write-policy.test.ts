import { describe, expect, it } from 'vitest';
import { reportedSections, type ReportedContext, type ReportedSections } from '../../src/report/reported.js';
import {
  fingerprint,
  messageDetail,
  resultKey,
  shouldSendTelemetry,
  shouldWriteReported,
} from '../../src/report/write-policy.js';
import type { RunResult, TargetResult } from '../../src/probe/types.js';
import { edgeAudit, healthyTarget, publicBlobTarget, runOf } from './factory.js';

function sections(run: RunResult, over: Partial<ReportedContext> = {}): ReportedSections {
  return reportedSections(run, {
    edge: edgeAudit(),
    moduleVersion: '0.1.0',
    nextRunAt: '2026-11-28T09:05:00.000Z',
    runCount: 1,
    ...over,
  });
}

const slowHub = (ms: number): TargetResult => ({
  ...healthyTarget('hub'),
  status: 'degraded',
  code: 'SLOW',
  reason: `TLS handshake on port 8883 for myhub.privatelink.azure-devices.net took ${ms} ms (over 1000 ms): the path to the private endpoint is congested or detours`,
});

/** The next run when nothing an operator acts on changed: every time, duration and count moves. */
function sameButLater(target: TargetResult, shift: number): TargetResult {
  return {
    ...target,
    ms: target.ms + shift,
    dns: { ...target.dns, ms: target.dns.ms + shift },
    ports: target.ports.map((p) => ({
      ...p,
      tcp: p.tcp.map((t) => ({ ...t, ms: t.ms + shift })),
      tls: p.tls && {
        ...p.tls,
        ms: p.tls.ms + shift,
        cert: p.tls.cert && { ...p.tls.cert, daysLeft: p.tls.cert.daysLeft - 1 },
      },
    })),
  };
}

describe('fingerprint', () => {
  const first = sections(runOf([slowHub(1800), publicBlobTarget('blob')]));

  it("ignores the run's time, duration, count, next time, every measured duration, days left and the numbers in reasons", () => {
    const later = runOf([sameButLater(slowHub(2400), 7), sameButLater(publicBlobTarget('blob'), 3)], {
      startedAt: '2026-11-28T09:05:00.000Z',
      durationMs: 99,
    });
    const second = sections(later, { runCount: 2, nextRunAt: '2026-11-28T09:10:00.000Z', previous: first });
    expect(second.status.lastRunAt).not.toBe(first.status.lastRunAt);
    expect(second.results.hub!.ports['8883']!.tlsMs).not.toBe(first.results.hub!.ports['8883']!.tlsMs);
    expect(fingerprint(second)).toBe(fingerprint(first));
  });

  it('does not depend on the order targets are configured in', () => {
    expect(fingerprint(sections(runOf([publicBlobTarget('blob'), slowHub(1800)])))).toBe(fingerprint(first));
  });

  it('changes with a code, an address, a finding or the module version', () => {
    const hub = healthyTarget('hub');
    const moved = { ...hub, dns: { ...hub.dns, addresses: [{ ...hub.dns.addresses[0]!, address: '10.1.1.99' }] } };
    const variants = [
      sections(runOf([healthyTarget('hub'), publicBlobTarget('blob')])),
      sections(runOf([slowHub(1800), { ...publicBlobTarget('blob'), code: 'DNS_NXDOMAIN' }])),
      sections(
        runOf([{ ...moved, status: 'degraded', code: 'SLOW', reason: slowHub(1800).reason }, publicBlobTarget('blob')]),
      ),
      sections(runOf([slowHub(1800), publicBlobTarget('blob')]), { edge: edgeAudit({ findings: [] }) }),
      sections(runOf([slowHub(1800), publicBlobTarget('blob')]), { moduleVersion: '0.2.0' }),
    ];
    for (const variant of variants) expect(fingerprint(variant)).not.toBe(fingerprint(first));
  });
});

describe('shouldWriteReported', () => {
  it('writes the first time', () => {
    expect(shouldWriteReported({ prevWritten: undefined, next: 'a', runsSinceWrite: 1 })).toBe(true);
  });

  it('writes when the fingerprint changed', () => {
    expect(shouldWriteReported({ prevWritten: 'a', next: 'b', runsSinceWrite: 1 })).toBe(true);
  });

  it('does not rewrite an unchanged twin until the 12th run since the last write (the heartbeat)', () => {
    const decisions = Array.from({ length: 12 }, (_, i) =>
      shouldWriteReported({ prevWritten: 'a', next: 'a', runsSinceWrite: i + 1 }),
    );
    expect(decisions).toEqual([...Array(11).fill(false), true]);
  });

  it('takes another heartbeat period', () => {
    expect(shouldWriteReported({ prevWritten: 'a', next: 'a', runsSinceWrite: 3, heartbeatRuns: 3 })).toBe(true);
  });
});

describe('shouldSendTelemetry', () => {
  it('sends every run unless onChangeOnly', () => {
    expect(shouldSendTelemetry({ onChangeOnly: false, changed: false, runsSinceSend: 1 })).toBe(true);
  });

  it('with onChangeOnly sends when a verdict changed', () => {
    expect(shouldSendTelemetry({ onChangeOnly: true, changed: true, runsSinceSend: 1 })).toBe(true);
  });

  it('with onChangeOnly and nothing changed, sends only the heartbeat on the 24th run since the last message', () => {
    const decisions = Array.from({ length: 24 }, (_, i) =>
      shouldSendTelemetry({ onChangeOnly: true, changed: false, runsSinceSend: i + 1 }),
    );
    expect(decisions).toEqual([...Array(23).fill(false), true]);
  });

  it('sends on the first run when nothing was ever sent', () => {
    expect(shouldSendTelemetry({ onChangeOnly: true, changed: false, runsSinceSend: Infinity })).toBe(true);
  });
});

describe('full detail or a summary', () => {
  const quiet = { mode: 'auto' as const, changed: false, requested: false, runsSinceFull: 1 };

  it('summarises a quiet run, and sends full detail on a change, on request, every 12th run, and always in full mode', () => {
    expect(messageDetail(quiet)).toBe('summary');
    expect(messageDetail({ ...quiet, changed: true })).toBe('full');
    expect(messageDetail({ ...quiet, requested: true })).toBe('full');
    expect(Array.from({ length: 12 }, (_, i) => messageDetail({ ...quiet, runsSinceFull: i + 1 }))).toEqual([
      ...Array(11).fill('summary'),
      'full',
    ]);
    expect(messageDetail({ ...quiet, runsSinceFull: Infinity })).toBe('full');
    expect(messageDetail({ ...quiet, mode: 'full' })).toBe('full');
  });

  it('counts a verdict, a code, an address or the set of targets as a change, and nothing else', () => {
    const run = runOf([healthyTarget('hub'), publicBlobTarget('blob')]);
    const key = resultKey(run);
    expect(resultKey(runOf([publicBlobTarget('blob'), healthyTarget('hub')]))).toBe(key);
    const later = healthyTarget('hub', undefined, { ms: 999, startedAt: '2026-11-28T09:05:00.000Z' });
    later.dns = { ...later.dns, ms: 777 };
    expect(resultKey(runOf([later, publicBlobTarget('blob')]))).toBe(key);
    expect(
      resultKey(
        runOf([healthyTarget('hub', undefined, { status: 'degraded', code: 'SLOW' }), publicBlobTarget('blob')]),
      ),
    ).not.toBe(key);
    const moved = healthyTarget('hub');
    moved.dns = { ...moved.dns, addresses: [{ ...moved.dns.addresses[0]!, address: '10.1.1.9' }] };
    expect(resultKey(runOf([moved, publicBlobTarget('blob')]))).not.toBe(key);
    expect(resultKey(runOf([healthyTarget('hub')]))).not.toBe(key);
  });
});
