// What the module builds, held to its Plug and Play model by the checker the end-to-end tests use
// (test/support/dtdl-values.ts): results in full and as a summary, at every size, alerts, the reported sections
// and acknowledgements — and the checker itself, which must refuse what the model does not describe.
import { describe, expect, it } from 'vitest';
import { acknowledge } from '../../src/config/acknowledge.js';
import { validateDesired } from '../../src/config/validate.js';
import { MESSAGES_COMPONENT } from '../../src/model/ids.js';
import type { PortResult, RunResult } from '../../src/probe/types.js';
import { alertMessage, verdictChanges } from '../../src/report/alerts.js';
import type { OutboundMessage } from '../../src/report/message.js';
import { reportedPatch } from '../../src/report/patch.js';
import { reportedSections } from '../../src/report/reported.js';
import { summaryBody, telemetryBody, telemetryMessage } from '../../src/report/telemetry.js';
import {
  commandResponseProblems,
  loadModel,
  reportedPatchProblems,
  telemetryProblems,
} from '../support/dtdl-values.js';
import {
  acknowledgements,
  edgeAudit,
  foreignServiceRun,
  healthyTarget,
  mismatchAcrTarget,
  PATHOLOGICAL,
  proxiedTarget,
  proxiedWorstRun,
  publicBlobTarget,
  runOf,
  worstCaseRun,
  worstEdge,
} from '../report/factory.js';

const model = loadModel();
const ids = { deviceId: 'factory-gw-01', moduleId: 'PrivateLinkProbe' };
const flapping = { changes: 5, window: 12, measured: { status: 'unhealthy' as const, code: 'DNS_TIMEOUT' as const } };
const mixedRun = (): RunResult =>
  runOf([
    { ...healthyTarget('hub'), status: 'degraded', code: 'FLAPPING', flapping },
    publicBlobTarget('blob'),
    mismatchAcrTarget('acr'),
  ]);
/** A port whose handshake stalled, one whose exchange was blocked, and a clock read from the third. */
function stalledAndBlockedRun(): RunResult {
  const hub = healthyTarget('hub');
  const [mqtt, amqp, https] = hub.ports as [PortResult, PortResult, PortResult];
  const ports: PortResult[] = [
    {
      ...mqtt,
      ok: false,
      code: 'TLS_STALLED',
      tls: { ...mqtt.tls!, outcome: 'stalled', bytesReceived: 1380 },
      service: { protocol: 'mqtt', outcome: 'skipped', ms: 0, detail: 'not tried: TLS stalled' },
    },
    {
      ...amqp,
      ok: false,
      code: 'APP_BLOCKED',
      service: { ...amqp.service!, outcome: 'blocked', detail: 'closed after the request' },
    },
    https,
  ];
  const target = { ...hub, ports, status: 'unhealthy' as const, code: 'TLS_STALLED' as const };
  return runOf([target], { clock: { offsetSeconds: -412.3, source: 'hub' } });
}
/** 443 behind a proxy: through it and verified, refused with 407, exempted by NO_PROXY, and the proxy down. */
const proxiedRun = (): RunResult =>
  runOf([
    proxiedTarget('hub'),
    proxiedTarget('dps', 'auth-required'),
    proxiedTarget('acr', 'bypassed'),
    proxiedTarget('blob', 'unreachable'),
  ]);
const sent = (m: OutboundMessage) => telemetryProblems(model, m.component, JSON.parse(m.data));

describe('the output messages conform to the messages component', () => {
  it('results in full, with the audit, and without ids or audit (check --json)', () => {
    expect(sent(telemetryMessage(telemetryBody(mixedRun(), { ...ids, edge: edgeAudit() })))).toEqual([]);
    expect(sent(telemetryMessage(telemetryBody(mixedRun(), { deviceId: null, moduleId: null, edge: null })))).toEqual(
      [],
    );
  });

  it('results at every size: cut to the budget, and whole with every SAN and address', () => {
    for (const budgetBytes of [undefined, Infinity]) {
      for (const run of [
        worstCaseRun(PATHOLOGICAL),
        foreignServiceRun(PATHOLOGICAL),
        proxiedWorstRun(PATHOLOGICAL),
        proxiedWorstRun(PATHOLOGICAL, 'upstream-failed'),
      ]) {
        const body = telemetryBody(run, { ...ids, edge: worstEdge(), budgetBytes });
        expect(sent(telemetryMessage(body))).toEqual([]);
      }
    }
  });

  it("a stalled handshake's bytes, a blocked exchange, and the clock without an audit", () => {
    const run = stalledAndBlockedRun();
    expect(sent(telemetryMessage(telemetryBody(run, { ...ids, edge: null })))).toEqual([]);
    expect(sent(telemetryMessage(summaryBody(run, { ...ids, edge: null })))).toEqual([]);
  });

  it('the paths through a proxy, in full and in a summary', () => {
    expect(sent(telemetryMessage(telemetryBody(proxiedRun(), { ...ids, edge: edgeAudit() })))).toEqual([]);
    expect(sent(telemetryMessage(summaryBody(proxiedRun(), { ...ids, edge: edgeAudit() })))).toEqual([]);
  });

  it("a quiet run's summary", () => {
    expect(sent(telemetryMessage(summaryBody(mixedRun(), { ...ids, edge: edgeAudit() })))).toEqual([]);
    const run = foreignServiceRun();
    expect(sent(telemetryMessage(summaryBody(run, { ...ids, edge: worstEdge() })))).toEqual([]);
  });

  it('alerts, a removed target among them', () => {
    const alerts = [
      ...verdictChanges(undefined, mixedRun()),
      ...verdictChanges(mixedRun(), runOf([healthyTarget('hub')])),
    ];
    expect(alerts.some((a) => a.code === undefined)).toBe(true);
    for (const alert of alerts) expect(sent(alertMessage(alert, ids))).toEqual([]);
  });

  it('are sent as telemetry of the messages component', () => {
    expect(telemetryMessage(summaryBody(mixedRun(), { ...ids, edge: null })).component).toBe(MESSAGES_COMPONENT);
    expect(alertMessage(verdictChanges(undefined, mixedRun())[0]!, ids).component).toBe(MESSAGES_COMPONENT);
  });
});

describe('the reported patches conform to the root interface', () => {
  const history = () => ({ runs: 12, changes: 5, availabilityPct: 58.3 });
  const sections = (run: RunResult) =>
    reportedSections(run, {
      edge: edgeAudit(),
      moduleVersion: '0.1.0',
      nextRunAt: run.startedAt,
      runCount: 7,
      history,
    });

  it('the sections, written whole and then as a change that deletes a target', () => {
    const first = sections(mixedRun());
    expect(reportedPatchProblems(model, reportedPatch(undefined, first))).toEqual([]);
    const measured = sections(stalledAndBlockedRun());
    expect(measured.edge!.clock).toBeDefined();
    expect(reportedPatchProblems(model, reportedPatch(first as never, measured))).toEqual([]);
    const proxied = sections(proxiedRun());
    expect(proxied.status.proxy).toBeDefined();
    expect(reportedPatchProblems(model, reportedPatch(first as never, proxied))).toEqual([]);
    const removed = reportedPatch(first as never, sections(runOf([healthyTarget('hub')])));
    expect(JSON.stringify(removed)).toContain('null');
    expect(reportedPatchProblems(model, removed)).toEqual([]);
  });

  it('acknowledgements: applied, refused with unknown keys in place and named in unknownKeys', () => {
    expect(reportedPatchProblems(model, acknowledgements(mixedRun()))).toEqual([]);
    const lastGood = (validateDesired({}) as { ok: true; config: Parameters<typeof acknowledge>[3] }).config;
    const desired = {
      intervalSeconds: 5,
      ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`colour${i}`, i])),
    };
    const { patch } = acknowledge(desired, 9, validateDesired(desired), lastGood);
    expect(Object.keys(patch)).toContain('unknownKeys');
    expect(reportedPatchProblems(model, patch)).toEqual([]);
  });
});

describe('the checker refuses what the model does not describe', () => {
  const body = () =>
    JSON.parse(telemetryMessage(telemetryBody(mixedRun(), { ...ids, edge: null })).data) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('an undeclared key, a value outside its enum, a null, a field in the wrong place', () => {
    const wrong = body();
    wrong.colour = 'blue';
    wrong.targets[0].code = 'NOT_A_CODE';
    wrong.deviceId = null;
    wrong.targets[1].ports = wrong.ports;
    expect(telemetryProblems(model, MESSAGES_COMPONENT, wrong)).toEqual([
      'deviceId: null, which no DTDL schema holds',
      'targets[0].code: "NOT_A_CODE" is none of the enum\'s values',
      "targets[1].ports: no field of the object's schema",
      'colour: no telemetry of dtmi:privatelinkprobe:PrivateLinkProbeMessages;2',
    ]);
  });

  it('a message without $.sub: the root interface has no telemetry', () => {
    expect(telemetryProblems(model, undefined, { overall: 'healthy' })).toEqual([
      'overall: no telemetry of dtmi:privatelinkprobe:PrivateLinkProbe;3',
    ]);
  });

  it('a writable property reported without its acknowledgement, an unknown key accepted, a bad command answer', () => {
    expect(
      reportedPatchProblems(model, { intervalSeconds: 300, colour: { value: null, ac: 200, av: 3, ad: 'applied' } }),
    ).toEqual([
      'intervalSeconds: not an acknowledgement { value, ac, av, ad }',
      'colour: no property of the model, acknowledged with ac 200, not 400',
    ]);
    expect(commandResponseProblems(model, 'getStatus', 404, { message: 'no run has completed yet' })).toEqual([]);
    expect(commandResponseProblems(model, 'probe', 400, { message: 'host: is required', overall: 'unknown' })).toEqual([
      'probe(400): a refusal carries { message } alone',
    ]);
    expect(commandResponseProblems(model, 'runNow', 200, { ...body(), startedAt: 'yesterday' })).toEqual([
      'runNow(200).startedAt: "yesterday" is not a dateTime',
    ]);
  });
});
