// The module: desired properties in, probe runs on a schedule, reported properties, telemetry and alerts
// out, direct methods answered. It knows nothing of the SDK: the hub connection is handed in as `HubPort`
// and drives it through `handlers()`, so the same logic runs against the real ModuleClient and in tests.
import type { Logger } from 'pino';
import {
  applyDesiredPatch,
  applyFullDesired,
  createConfigState,
  type ConfigState,
  type DesiredUpdate,
} from '../config/state.js';
import type { JsonObject } from '../config/json.js';
import { layerSettings, type SettingsLayer } from '../config/settings.js';
import { auditEdge, type EdgeAudit } from '../edge/audit.js';
import { mergeTargets } from '../edge/auto-targets.js';
import type { EdgeContext } from '../edge/read.js';
import type { ProbeDeps } from '../probe/deps.js';
import { runProbe } from '../probe/run.js';
import type { ProbeSettings, RunResult, TargetSpec } from '../probe/types.js';
import { alertMessage, verdictChanges } from '../report/alerts.js';
import { withoutEmpty } from '../report/budget.js';
import { withFlapping } from '../report/flapping.js';
import { historyView, RunHistory } from '../report/history.js';
import type { OutboundMessage } from '../report/message.js';
import { reportedPatch } from '../report/patch.js';
import { previousResults, sectionsAsJson, sectionsOf } from '../report/previous.js';
import { reportedSections, type ReportedSections } from '../report/reported.js';
import { summaryBody, telemetryBody, telemetryMessage, type TelemetryBody } from '../report/telemetry.js';
import {
  fingerprint,
  messageDetail,
  resultKey,
  shouldSendTelemetry,
  shouldWriteReported,
} from '../report/write-policy.js';
import { createProbeMethod } from './probe-method.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import type { ModuleSnapshot, UpstreamView } from '../report/snapshot.js';

/** What the module needs of the edgeHub connection. */
export interface HubPort {
  updateReported(patch: JsonObject): void;
  sendMessage(output: string, message: OutboundMessage): void;
  readonly state: UpstreamView['state'];
  readonly lastContactAt: number | undefined;
  readonly queued: number;
  readonly dropped: number;
}

export type MethodResult = { status: number; payload: unknown };

/**
 * Runs per target in `getStatus`: 32 targets × 12 runs × ≈ 100 bytes ≈ 40 KB of JSON, beside a last-run body of
 * at most 64 KB, within the 128 KB a direct method's answer may carry.
 */
export const GET_STATUS_HISTORY_RUNS = 12;

export interface ModuleOptions {
  deviceId: string | null;
  moduleId: string | null;
  iothub: string | null;
  moduleVersion: string;
  deps: ProbeDeps;
  log: Logger;
  /** Reads the runtime's configuration (config.toml, env, resolv.conf, hosts) before each run. */
  readEdge: () => Promise<EdgeContext>;
  /**
   * The deployment's environment layer of the settings (DNS_SERVERS, CA_FILE, ...): under the desired
   * properties, and in effect before the twin was ever read (when the private link is down, it never is).
   */
  environment?: SettingsLayer;
  now?: () => number;
}

export const ALERTS_OUTPUT = 'alerts';

export class ProbeModule {
  private config: ConfigState = createConfigState();
  private readonly scheduler: Scheduler<RunResult>;
  private hub: HubPort | undefined;
  private lastRun: RunResult | undefined;
  private readonly history = new RunHistory();
  private lastBody: TelemetryBody | undefined;
  private edge: EdgeAudit | null = null;
  /** What the twin's reported status/results/edge hold, as read at start and then as written. */
  private twinSections: JsonObject | undefined;
  private writtenFingerprint: string | undefined;
  private runsSinceWrite = 0;
  private runsSinceSend = 0;
  private runsSinceFull = Infinity;
  /** A `runNow` is waiting for the run in progress or the next: its message goes out in full detail. */
  private fullDetailRequested = false;
  private runCount = 0;
  private rerunAfterCurrent = false;
  private markTwinRead!: () => void;
  /** Resolves once the twin has been read and applied for the first time. */
  readonly twinRead = new Promise<void>((resolve) => (this.markTwinRead = resolve));
  private readonly startedAt: number;
  readonly probe: (payload: unknown) => Promise<MethodResult>;

  constructor(private readonly options: ModuleOptions) {
    this.startedAt = this.now();
    this.scheduler = createScheduler({
      intervalMs: () => this.config.config.intervalSeconds * 1000,
      run: (signal) => this.runOnce(signal),
      onResult: (run) => this.publish(run),
      onError: (e) => options.log.error({ err: e }, 'probe run failed'),
      now: () => this.now(),
    });
    this.probe = createProbeMethod({
      settings: () => this.settings(),
      deps: options.deps,
      context: () => this.telemetryContext(),
    });
  }

  attach(hub: HubPort): void {
    this.hub = hub;
  }

  private started = false;

  start(): void {
    this.started = true;
    this.scheduler.start();
  }

  stop(graceMs: number): Promise<void> {
    return this.scheduler.stop(graceMs);
  }

  /** What the hub connection calls: the whole twin after every (re)connect, patches, direct methods. */
  handlers() {
    return {
      onTwin: (desired: JsonObject, reported: JsonObject) => {
        this.twinSections = sectionsOf(reported);
        this.applyDesired(applyFullDesired(this.config, desired, reported));
        this.markTwinRead();
      },
      onDesiredPatch: (patch: JsonObject) => this.applyDesired(applyDesiredPatch(this.config, patch)),
      // What the twin holds is no longer known: the next run writes whole sections rather than a diff.
      onReportedRejected: () => {
        this.twinSections = undefined;
        this.writtenFingerprint = undefined;
      },
      methods: {
        runNow: () => this.runNow(),
        getStatus: () => Promise.resolve(this.getStatus()),
        probe: (payload: unknown) => this.probe(payload),
      },
    };
  }

  snapshot(): ModuleSnapshot {
    const hub = this.hub;
    return {
      deviceId: this.options.deviceId,
      moduleId: this.options.moduleId,
      iothub: this.options.iothub,
      moduleVersion: this.options.moduleVersion,
      startedAt: this.startedAt,
      intervalSeconds: this.config.config.intervalSeconds,
      runCount: this.runCount,
      lastRun: this.lastRun,
      lastCompletedAt: this.scheduler.lastCompletedAt,
      nextRunAt: this.scheduler.nextRunAt,
      changedAt: this.changedAt(),
      edge: this.edge,
      history: this.history,
      upstream: {
        state: hub?.state ?? 'disconnected',
        hostname: this.options.iothub,
        lastContactAt: hub?.lastContactAt !== undefined ? new Date(hub.lastContactAt).toISOString() : null,
        queued: hub?.queued ?? 0,
        dropped: hub?.dropped ?? 0,
      },
    };
  }

  async runNow(): Promise<MethodResult> {
    this.fullDetailRequested = true;
    await this.scheduler.runNow();
    return { status: 200, payload: this.lastBody };
  }

  /** The per-step timeout in effect (the watchdog allows for SEQUENTIAL_STEPS of them per run: runBoundMs). */
  timeoutMs(): number {
    return this.settings().timeoutMs;
  }

  getStatus(): MethodResult {
    if (!this.lastBody) return { status: 404, payload: { message: 'no run has completed yet' } };
    // A direct method's answer is limited (128 KB): the last runs only; `/status` has all of them. Unknown upstream
    // values are left out, as in the body: the model's response schema has no null.
    const upstream = withoutEmpty(this.snapshot().upstream);
    return {
      status: 200,
      payload: { ...this.lastBody, upstream, history: historyView(this.history, GET_STATUS_HISTORY_RUNS) },
    };
  }

  private applyDesired(update: DesiredUpdate): void {
    this.config = update.state;
    const { log } = this.options;
    if (update.versionChanged && Object.keys(update.ack).length > 0) this.hub?.updateReported(update.ack);
    if (update.errors.length > 0) {
      log.warn(
        { version: update.state.version, errors: update.errors },
        'desired properties rejected; the last good configuration keeps running',
      );
    } else if (update.versionChanged) {
      log.info({ version: update.state.version }, 'desired properties applied');
    }
    if (!update.changed || !this.started) return;
    // New targets or settings: probe now rather than at the old interval's end.
    if (this.scheduler.running) this.rerunAfterCurrent = true;
    else void this.scheduler.runNow().catch(() => undefined);
  }

  private settings(): ProbeSettings {
    return layerSettings(this.options.environment ?? {}, this.config.config.explicit);
  }

  private telemetryContext() {
    return { deviceId: this.options.deviceId, moduleId: this.options.moduleId, edge: this.edge };
  }

  private async runOnce(signal: AbortSignal): Promise<RunResult> {
    const config = this.config.config;
    const settings = this.settings();
    const audit = { hostnamePolicy: settings.hostnamePolicy, targets: config.targets };
    let context: EdgeContext | undefined;
    try {
      context = await this.options.readEdge();
      this.edge = auditEdge(context, audit);
    } catch (e) {
      this.options.log.warn({ err: e }, 'reading the edge runtime configuration failed');
    }
    const auto: TargetSpec[] = config.autoTargets && this.edge ? this.edge.autoTargets : [];
    const systemNameservers = this.edge?.resolvers ?? [];
    const run = await runProbe(
      mergeTargets(auto, config.targets),
      { ...settings, systemNameservers },
      this.options.deps,
      { signal },
    );
    // Again with what this run measured: advice on the hub's name then names the form whose certificate verified.
    if (context) this.edge = auditEdge(context, { ...audit, measured: run });
    return run;
  }

  /** `measured` is the engine's run; what is reported has FLAPPING in front of the targets that keep changing. */
  private publish(measured: RunResult): void {
    const rule = this.config.config.flapping;
    const flagged = this.history.record(measured, rule);
    const run = rule.enabled ? withFlapping(measured, flagged, rule) : measured;
    const previous = this.lastRun;
    this.lastRun = run;
    this.runCount++;
    const context = this.telemetryContext();
    this.lastBody = telemetryBody(run, context);
    const alerts = verdictChanges(previous, run);
    this.options.log.info(
      { runId: run.runId, overall: run.overall, ms: run.durationMs, targets: run.targets.length },
      `probe run ${run.overall}`,
    );
    // A warning is for what needs attention: a target turning healthy (or first seen healthy) is news, not a warning.
    for (const a of alerts)
      this.options.log[a.to === 'healthy' ? 'info' : 'warn'](
        { target: a.target, from: a.from, to: a.to, code: a.code },
        a.reason,
      );

    this.writeReported(run);
    const telemetry = this.config.config.telemetry;
    this.runsSinceSend++;
    this.runsSinceFull++;
    const requested = this.fullDetailRequested;
    this.fullDetailRequested = false;
    if (
      telemetry.enabled &&
      shouldSendTelemetry({
        onChangeOnly: telemetry.onChangeOnly,
        changed: alerts.length > 0,
        runsSinceSend: this.runsSinceSend,
      })
    ) {
      const changed = resultKey(previous) !== resultKey(run);
      const detail = messageDetail({ mode: telemetry.detail, changed, requested, runsSinceFull: this.runsSinceFull });
      this.hub?.sendMessage(
        telemetry.output,
        telemetryMessage(detail === 'full' ? this.lastBody : summaryBody(run, context)),
      );
      this.runsSinceSend = 0;
      if (detail === 'full') this.runsSinceFull = 0;
    }
    for (const alert of alerts) this.hub?.sendMessage(ALERTS_OUTPUT, alertMessage(alert, context));

    if (this.rerunAfterCurrent) {
      this.rerunAfterCurrent = false;
      setImmediate(() => void this.scheduler.runNow().catch(() => undefined));
    }
  }

  /** Written on change or every 12 runs; the patch is a diff against what the twin holds. */
  private writeReported(run: RunResult): void {
    const sections: ReportedSections = reportedSections(run, {
      edge: this.edge,
      moduleVersion: this.options.moduleVersion,
      nextRunAt: new Date(Date.parse(run.startedAt) + this.config.config.intervalSeconds * 1000).toISOString(),
      runCount: this.runCount,
      history: (name) => this.history.summary(name),
      previous: previousResults(this.twinSections),
    });
    const next = fingerprint(sections);
    this.runsSinceWrite++;
    if (!shouldWriteReported({ prevWritten: this.writtenFingerprint, next, runsSinceWrite: this.runsSinceWrite }))
      return;
    const patch = reportedPatch(this.twinSections, sections);
    // The connection keeps an unwritten patch until edgeHub takes it, so the twin will hold these sections.
    this.hub?.updateReported(patch);
    this.twinSections = sectionsAsJson(sections);
    this.writtenFingerprint = next;
    this.runsSinceWrite = 0;
  }

  private changedAt(): Record<string, string> {
    const results = previousResults(this.twinSections).results ?? {};
    return Object.fromEntries(Object.entries(results).flatMap(([k, v]) => (v?.changedAt ? [[k, v.changedAt]] : [])));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
