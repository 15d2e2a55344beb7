// Whatever a run contains — any Unicode, dots, dollars and spaces in names, hosts and reasons, strings far
// over 512 bytes, non-finite timings, any number of targets and ports — the reported sections and the
// patch between two of them are twin-safe, and the patch turns the first into the second.
import fc from 'fast-check';
import type { ServerName } from '../../src/probe/hostname.js';
import { describe, expect, it } from 'vitest';
import { twinSafetyViolation } from '../../src/config/twin-safe.js';
import type { FindingId } from '../../src/edge/audit.js';
import { reportedPatch } from '../../src/report/patch.js';
import { reportedSections, type ReportedContext } from '../../src/report/reported.js';
import type { EdgeAuditView } from '../../src/report/edge-view.js';
import {
  CODE_STATUS,
  KINDS,
  type Code,
  type PortResult,
  type RunResult,
  type TargetResult,
} from '../../src/probe/types.js';
import { applyPatch, viaJson } from './twin-model.js';

const nasty = fc.constantFrom('.', '$', ' ', '$version', 'a.b', '😀', 'é', '\u0000', '\ud800', '…');
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc
      .array(fc.oneof(nasty, fc.string({ unit: 'grapheme', maxLength: 40 })), { maxLength: 40 })
      .map((parts) => parts.join('')),
  );
const ms = fc.oneof(fc.integer({ min: 0, max: 120_000 }), fc.double());
const codes = Object.keys(CODE_STATUS) as Code[];

const port: fc.Arbitrary<PortResult> = fc.record({
  port: fc.integer({ min: 1, max: 65535 }),
  ok: fc.boolean(),
  code: fc.constantFrom(...codes),
  reason: text(600),
  tcp: fc.array(
    fc.record({ address: text(60), port: fc.constant(443), outcome: fc.constantFrom('ok', 'refused', 'timeout'), ms }),
    { maxLength: 3 },
  ),
  tls: fc.option(
    fc.record({
      address: text(60),
      port: fc.constant(443),
      servername: text(300),
      outcome: fc.constantFrom('ok', 'hostname-mismatch', 'untrusted'),
      ms,
      protocol: text(600),
      cert: fc.record({
        subject: text(300),
        issuer: text(300),
        sans: fc.array(text(80), { maxLength: 5 }),
        notBefore: text(30),
        notAfter: text(30),
        daysLeft: ms,
      }),
    }),
    { nil: undefined },
  ),
}) as fc.Arbitrary<PortResult>;

const target: fc.Arbitrary<TargetResult> = fc
  .record({
    name: text(80),
    host: text(600),
    kind: fc.constantFrom(...KINDS),
    code: fc.constantFrom(...codes),
    reason: text(1200),
    addresses: fc.array(text(60), { maxLength: 10 }),
    cname: fc.array(text(300), { maxLength: 6 }),
    // Any text an explicit server's name could carry, in the shape results name servers (`…:port`).
    resolver: text(100).map((t): ServerName => `${t}:53`),
    dnsMs: ms,
    mismatch: fc.boolean(),
    ports: fc.array(port, { maxLength: 5 }),
  })
  .map((t) => ({
    name: t.name,
    host: t.host,
    kind: t.kind,
    cloud: 'public',
    form: 'privatelink',
    ports: t.ports,
    dns: {
      answers: [],
      counterpartAnswers: [],
      resolver: t.resolver,
      addresses: t.addresses.map((address) => ({ address, family: 4, class: 'private', private: true })),
      cname: t.cname,
      private: true,
      mismatch: t.mismatch,
      ms: t.dnsMs,
    },
    status: CODE_STATUS[t.code],
    code: t.code,
    reason: t.reason,
    startedAt: '2026-11-28T09:00:00.000Z',
    ms: 1,
  }));

const run: fc.Arbitrary<RunResult> = fc.record({
  runId: fc.uuid(),
  startedAt: fc.constantFrom('2026-11-28T09:00:00.000Z', '2026-11-28T09:05:00.000Z'),
  durationMs: ms,
  overall: fc.constantFrom('healthy', 'degraded', 'unhealthy', 'unknown'),
  targets: fc.array(target, { maxLength: 40 }),
});

const edge: fc.Arbitrary<EdgeAuditView | null> = fc.option(
  fc.record({
    configToml: fc.constantFrom('found', 'not-mounted', 'unreadable'),
    provisioning: text(600),
    upstream: fc.record({
      hostname: fc.option(text(600), { nil: null }),
      form: fc.constantFrom('privatelink', 'public', 'ip', 'custom', 'unknown'),
      policyOk: fc.boolean(),
      gateway: fc.option(text(600), { nil: null }),
    }),
    // Ids outside the audit's list: what a future rule, or a mistake, could produce.
    findings: fc.array(
      fc.record({
        id: text(80).map((id) => id as FindingId),
        severity: fc.constantFrom('info', 'warning', 'error'),
        text: text(700),
      }),
      { maxLength: 25 },
    ),
  }),
  { nil: null },
);

const context = (e: EdgeAuditView | null, version: string): ReportedContext => ({
  edge: e,
  moduleVersion: version,
  nextRunAt: '2026-11-28T09:10:00.000Z',
  runCount: 3,
});

describe('reported sections from any run', () => {
  it('are twin-safe', () => {
    fc.assert(
      fc.property(run, edge, text(100), (r, e, version) => {
        expect(twinSafetyViolation({ ...reportedSections(r, context(e, version)) })).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('give a twin-safe patch from one to the next that turns the twin into the next sections', () => {
    fc.assert(
      fc.property(run, run, edge, edge, (r1, r2, e1, e2) => {
        const first = reportedSections(r1, context(e1, '0.1.0'));
        const ack = { value: 5000, ac: 200, av: 2, ad: 'applied' };
        const twin = applyPatch({ timeoutMs: ack }, viaJson(reportedPatch(undefined, first))) as Record<
          string,
          unknown
        >;
        const second = reportedSections(r2, { ...context(e2, '0.1.0'), previous: twin });
        const patch = reportedPatch(twin, second);
        expect(twinSafetyViolation(patch)).toBeUndefined();
        // What the twin should hold: the second sections, where a null section is no section at all.
        const expected = applyPatch({ timeoutMs: ack }, viaJson(second));
        expect(applyPatch(twin, patch)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});
