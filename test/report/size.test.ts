// The size limits, measured on generated worst cases (factory.ts): 32 targets × 3 ports, every target
// failing with the longest code, 512-byte multi-byte reasons, IPv6 address lists, long CNAME chains, all
// audit findings with 512-byte texts, the desired-key acknowledgements for 32 targets, and every target
// flagged as flapping with a full history summary.
import { describe, expect, it } from 'vitest';
import { isTwinSafe } from '../../src/config/twin-safe.js';
import { jsonBytes } from '../../src/report/budget.js';
import { reportedSections, SECTIONS_BUDGET_BYTES, type ReportedSections } from '../../src/report/reported.js';
import { summaryBody, telemetryBody, telemetryMessage } from '../../src/report/telemetry.js';
import type { RunResult } from '../../src/probe/types.js';
import {
  acknowledgements,
  edgeAudit,
  foreignServiceRun,
  multibyteText,
  PATHOLOGICAL,
  proxiedWorstRun,
  worstCaseRun,
  worstEdge,
  WORST_STRINGS,
  type WorstCase,
} from './factory.js';

const KB = 1024;
/**
 * Every port failing its handshake; answered by something else; 443 behind a proxy with a 253-character name,
 * its tunnel's handshake failing or its CONNECT refused.
 */
const BUILDS = [
  worstCaseRun,
  foreignServiceRun,
  proxiedWorstRun,
  (w: WorstCase) => proxiedWorstRun(w, 'upstream-failed'),
];

/**
 * Every target flagged as flapping, with a full history behind it: the most the twin and telemetry carry. Each
 * port fails its handshake by default; `foreignServiceRun` has the handshakes verify and something else answer.
 */
function flappingWorstCase(worst: WorstCase, build: (w: WorstCase) => RunResult = worstCaseRun): RunResult {
  const run = build(worst);
  const flapping = {
    changes: 288,
    window: 288,
    measured: { status: 'unhealthy' as const, code: 'TLS_HOSTNAME_MISMATCH' as const },
  };
  return { ...run, targets: run.targets.map((t) => ({ ...t, flapping })) };
}
const fullHistory = () => ({ runs: 288, changes: 287, availabilityPct: 33.3 });

function reportedDocument(
  worst: WorstCase,
  budgetBytes?: number,
  build?: (w: WorstCase) => RunResult,
): { doc: Record<string, unknown>; sections: ReportedSections } {
  const run = flappingWorstCase(worst, build);
  const ctx = {
    edge: worstEdge(worst.hostLength),
    moduleVersion: '0.1.0',
    nextRunAt: run.startedAt,
    runCount: 1,
    budgetBytes,
    history: fullHistory,
  };
  const sections = reportedSections(run, ctx);
  return { doc: { ...acknowledgements(run), ...sections }, sections };
}

describe('reported document size', () => {
  it("≤ 24 KB with the acknowledgements, for 32 targets × 3 ports at Azure's longest real names (100 characters)", () => {
    for (const build of BUILDS) {
      const { doc, sections } = reportedDocument({ ...WORST_STRINGS, hostLength: 100 }, undefined, build);
      expect(Object.keys(sections.results)).toHaveLength(32);
      expect(jsonBytes(doc)).toBeLessThanOrEqual(24 * KB);
      expect(isTwinSafe(doc)).toBe(true);
    }
  });

  it('≤ 24 KB with the acknowledgements when the caller passes the room they leave', () => {
    const worst = { ...WORST_STRINGS, hostLength: 100 };
    const acks = jsonBytes(acknowledgements(worstCaseRun(worst)));
    expect(jsonBytes(reportedDocument(worst, 24 * KB - acks).doc)).toBeLessThanOrEqual(24 * KB);
  });

  // 253-character names are DNS's limit, not Azure's: the acknowledgement of `targets` alone then weighs
  // ≈ 10 KB and the §4 keys ≈ 13 KB, so 24 KB cannot hold both. The floor keeps it under IoT Hub's 32 KB.
  it("under IoT Hub's 32 KB section limit with 253-character hostnames everywhere", () => {
    for (const build of BUILDS) {
      const { doc } = reportedDocument(WORST_STRINGS, undefined, build);
      expect(jsonBytes(doc)).toBeLessThan(32 * KB);
      expect(isTwinSafe(doc)).toBe(true);
    }
  });

  it('the sections fit their default budget for 32 targets × 3 ports however long the strings', () => {
    for (const worst of [WORST_STRINGS, PATHOLOGICAL]) {
      for (const build of BUILDS) {
        expect(jsonBytes(reportedDocument(worst, undefined, build).sections)).toBeLessThanOrEqual(
          SECTIONS_BUDGET_BYTES,
        );
      }
    }
  });

  it("a small installation keeps each port's service exchange and what answered it, cut like the other texts", () => {
    const { sections } = reportedDocument({ ...WORST_STRINGS, targets: 5 }, undefined, foreignServiceRun);
    const port = Object.values(sections.results)[0]!.ports['8883']!;
    expect(port).toMatchObject({ code: 'APP_FOREIGN', serviceMs: 1234, service: 'foreign' });
    expect(multibyteText(480).startsWith(port.serviceDetail!.slice(0, -1))).toBe(true);
    expect(Buffer.byteLength(port.serviceDetail!)).toBeLessThanOrEqual(200);
  });

  it('a small installation keeps the richest detail: reasons up to 200 bytes, timings, the chain', () => {
    const { sections } = reportedDocument({ ...WORST_STRINGS, targets: 5 });
    const target = Object.values(sections.results)[0]!;
    expect(Buffer.byteLength(target.reason!)).toBeGreaterThan(190);
    expect(target.dns.cname).toBeDefined();
    expect(target.ports['443']!.tlsMs).toBe(1234);
    expect(target).toMatchObject({ history: fullHistory(), measured: 'TLS_HOSTNAME_MISMATCH' });
  });

  it('at the floor every target still says status, code, host, since when and where DNS leads', () => {
    const { sections } = reportedDocument(WORST_STRINGS);
    const target = Object.values(sections.results)[0]!;
    expect(target).toMatchObject({
      status: 'unhealthy',
      code: 'TLS_HOSTNAME_MISMATCH',
      kind: 'acrData',
      changedAt: '2026-11-28T09:00:00.000Z',
    });
    expect(target.host.startsWith('t00.')).toBe(true);
    expect(target.dns).toEqual({
      addresses: 'fd12:3456:789a:1:1:abcd:ef01:2345 +3 more',
      private: true,
      mismatch: true,
    });
    expect(target.ports['8883']).toEqual({ ok: false, code: 'TLS_HOSTNAME_MISMATCH' });
    // The clock stays: a skewed one makes overall unhealthy on its own.
    expect(sections.edge!.clock).toEqual({ offsetSeconds: -86400.5, source: 'target-31' });
  });

  it("a proxy is named once, and at the floor cut as hosts are, its path's fields going with the measurements", () => {
    const floor = reportedDocument(WORST_STRINGS, undefined, (w) => proxiedWorstRun(w, 'upstream-failed')).sections;
    expect(floor.status.proxy!.startsWith('http://t98.')).toBe(true);
    expect(Buffer.byteLength(floor.status.proxy!)).toBeLessThanOrEqual(64);
    expect(Object.values(floor.results)[0]!.ports['443']).toEqual({ ok: false, code: 'PROXY_UPSTREAM_FAILED' });
    const small = reportedDocument({ ...WORST_STRINGS, targets: 5 }, undefined, proxiedWorstRun).sections;
    expect(small.status.proxy).toMatch(/^http:\/\/t98\..*:3128$/);
    expect(Object.values(small.results)[0]!.ports['443']).toMatchObject({
      code: 'TLS_UNTRUSTED',
      proxyMs: 1234,
      proxy: 'ok',
      proxyStatus: 200,
      directCode: 'TLS_HOSTNAME_MISMATCH',
    });
  });
});

describe('telemetry size', () => {
  it('under 64 KB for 32 targets × 3 ports with the worst strings', () => {
    for (const build of BUILDS) {
      const body = telemetryBody(flappingWorstCase(WORST_STRINGS, build), {
        deviceId: 'factory-gw-01',
        moduleId: 'PrivateLinkProbe',
        edge: worstEdge(),
      });
      expect(body.targets).toHaveLength(32);
      expect(Buffer.byteLength(telemetryMessage(body).data)).toBeLessThan(64 * KB);
    }
  });

  // IoT Hub meters device-to-cloud messages in 4 KB units, properties included.
  it('a quiet run of 5 targets × 3 ports is one 4 KB message unit as a summary, several in full', () => {
    const units = (m: { data: string; properties: Record<string, string> }) =>
      Math.ceil((Buffer.byteLength(m.data) + jsonBytes(m.properties)) / (4 * KB));
    // Every target failing with the longest code, two IPv6 addresses in use and flapping; the audit's usual findings.
    const run = flappingWorstCase({ ...WORST_STRINGS, targets: 5, addresses: 2 });
    const ids = { deviceId: 'factory-gw-01', moduleId: 'PrivateLinkProbe', edge: edgeAudit() };
    const summary = telemetryMessage(summaryBody(run, ids));
    expect(summary.properties.schema).toBe('privatelink-probe/summary@2');
    expect(units(summary)).toBe(1);
    // The same with every handshake verified and each exchange's time in the summary.
    const answered = flappingWorstCase({ ...WORST_STRINGS, targets: 5, addresses: 2 }, foreignServiceRun);
    expect(units(telemetryMessage(summaryBody(answered, ids)))).toBe(1);
    // The same with each 443 behind a proxy: its outcome is all the summary adds.
    const proxied = flappingWorstCase({ ...WORST_STRINGS, targets: 5, addresses: 2 }, proxiedWorstRun);
    expect(units(telemetryMessage(summaryBody(proxied, ids)))).toBe(1);
    expect(units(telemetryMessage(telemetryBody(run, ids)))).toBeGreaterThan(2);
    // With every one of the audit's findings at once and four addresses each, still two units at most.
    const worst = telemetryMessage(
      summaryBody(flappingWorstCase({ ...WORST_STRINGS, targets: 5 }), { ...ids, edge: worstEdge() }),
    );
    expect(units(worst)).toBeLessThanOrEqual(2);
  });

  // Three resolvers × 8 addresses, connectTo all and 253-character names at once: the floor is ≈ 59 KB
  // (its answers left out), far under the 256 KB IoT Hub accepts.
  it("under IoT Hub's 256 KB message limit with everything at its maximum at once", () => {
    const body = telemetryBody(flappingWorstCase(PATHOLOGICAL), {
      deviceId: 'factory-gw-01',
      moduleId: 'PrivateLinkProbe',
      edge: worstEdge(),
    });
    expect(Buffer.byteLength(telemetryMessage(body).data)).toBeLessThan(256 * KB);
  });
});
