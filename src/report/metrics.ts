// Prometheus metrics for `/metrics`, scraped by the IoT Edge metrics-collector module
// (`MetricsEndpointsCSV`) or any Prometheus. Every series is computed from the current ModuleSnapshot when
// it is scraped (each metric's collect callback resets it and refills it), so a target removed from the
// configuration disappears with the next scrape instead of lingering at its last value.
//
// Names: prefixed with the module (`privatelink_probe_`, IoT Edge's custom-metrics advice), in base units
// (seconds, unix timestamps). Labels: `target` (the twin-safe target name), `kind`, `port`, `protocol` (the
// service exchange's: mqtt, amqp, https), `source` (the target whose answer set the clock); and on every
// series the labels IoT Edge's own metrics carry, so dashboards join them: `iothub` (the hub hostname),
// `edge_device` (the device id) and `instance_number` — like edgeHub and edgeAgent, a GUID made at process
// start, so a restart (which resets counters) is visible. Unknown ids are empty strings.
//
// | metric                                               | labels                 | value                                    |
// |------------------------------------------------------|------------------------|------------------------------------------|
// | privatelink_probe_target_status                      | target kind status     | 1 for the current status, 0 for the others (healthy, degraded, unhealthy) |
// | privatelink_probe_target_info                        | target kind host code  | 1                                        |
// | privatelink_probe_verdict_changes_total              | target                 | verdict changes since start (counter)    |
// | privatelink_probe_dns_seconds                        | target kind            | the DNS step                             |
// | privatelink_probe_dns_private                        | target kind            | 1 all addresses in use private, 0 not; absent without an answer |
// | privatelink_probe_port_ok                            | target kind port       | 1 reachable and verified, 0 not          |
// | privatelink_probe_tcp_connect_seconds                | target kind port       | the first successful connect; absent if none |
// | privatelink_probe_tls_handshake_seconds              | target kind port       | the handshake; absent on a TLS timeout or stall, or a plain port |
// | privatelink_probe_step_seconds                       | target kind port step  | each port step's time (tcp, tls, …) on the port's first address that ran it |
// | privatelink_probe_service_up                         | target kind port protocol | 1 the service answered the exchange after TLS, 0 blocked or foreign; absent when skipped |
// | privatelink_probe_proxy_up                           | target kind port       | 1 the proxy opened the CONNECT tunnel, 0 not; absent without a proxy or when NO_PROXY exempts the name |
// | privatelink_probe_tls_cert_expiry_timestamp_seconds  | target kind port       | the certificate's notAfter               |
// | privatelink_probe_overall_status                     | status                 | 1 for the current overall, 0 for the others (incl. unknown) |
// | privatelink_probe_clock_offset_seconds               | source                 | server time − device time from an HTTPS `Date`; absent when none was read |
// | privatelink_probe_run_duration_seconds               |                        | the last run; absent before the first    |
// | privatelink_probe_last_run_timestamp_seconds         |                        | when it completed                        |
// | privatelink_probe_runs_total                         |                        | runs completed since start (counter)     |
// | privatelink_probe_upstream_connected                 |                        | 1 connected to edgeHub, 0 not            |
// | privatelink_probe_upstream_last_contact_timestamp_seconds |                   | last successful exchange with edgeHub    |
// | privatelink_probe_telemetry_queued                   |                        | messages waiting for edgeHub             |
// | privatelink_probe_telemetry_dropped_total            |                        | dropped because the queue was full (counter) |
// | privatelink_probe_module_info                        | version                | 1                                        |
import { randomUUID } from 'node:crypto';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ModuleSnapshot } from './snapshot.js';
import { PORT_STEPS, portSteps, proxied, stepTimes } from '../probe/steps.js';
import type { Overall, PortResult, Status, TargetResult, TlsOutcome } from '../probe/types.js';

export const METRIC_PREFIX = 'privatelink_probe_';

/** A GUID for this process, as IoT Edge's `instance_number`. */
export const PROCESS_INSTANCE = randomUUID();

export interface MetricsOptions {
  snapshot: () => ModuleSnapshot;
  /** Default: PROCESS_INSTANCE. */
  instanceNumber?: string;
}

export interface ProbeMetrics {
  /** `text/plain; version=0.0.4; charset=utf-8` */
  readonly contentType: string;
  /** The exposition text, computed from the snapshot now. */
  render(): Promise<string>;
}

type Labels = Record<string, string>;
type Sample = readonly [Labels, number];

interface Definition {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labelNames: readonly string[];
  samples(s: ModuleSnapshot): Sample[];
}

const STATUSES: readonly Status[] = ['healthy', 'degraded', 'unhealthy'];
const TLS_CUT_SHORT: ReadonlySet<TlsOutcome> = new Set(['timeout', 'stalled']);
const OVERALLS: readonly Overall[] = [...STATUSES, 'unknown'];
const TARGET = ['target', 'kind'] as const;
const PORT = ['target', 'kind', 'port'] as const;

function targets(s: ModuleSnapshot): TargetResult[] {
  return s.lastRun?.targets ?? [];
}

function perTarget(s: ModuleSnapshot, value: (t: TargetResult) => number | undefined): Sample[] {
  return targets(s).flatMap((t) => {
    const v = value(t);
    return v === undefined ? [] : [[{ target: t.name, kind: t.kind }, v] as const];
  });
}

function perPort(s: ModuleSnapshot, value: (p: PortResult) => number | undefined): Sample[] {
  return targets(s).flatMap((t) =>
    t.ports.flatMap((p) => {
      const v = value(p);
      return v === undefined ? [] : [[{ target: t.name, kind: t.kind, port: String(p.port) }, v] as const];
    }),
  );
}

const seconds = (ms: number) => ms / 1000;
const flag = (b: boolean) => (b ? 1 : 0);
const epochSeconds = (iso: string | null | undefined) => {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? undefined : ms / 1000;
};
const single = (v: number | undefined): Sample[] => (v === undefined ? [] : [[{}, v]]);

const DEFINITIONS: readonly Definition[] = [
  {
    name: 'target_status',
    help: 'Verdict of the target in the last run: 1 for its status, 0 for the other two.',
    type: 'gauge',
    labelNames: [...TARGET, 'status'],
    samples: (s) =>
      targets(s).flatMap((t) =>
        STATUSES.map((status) => [{ target: t.name, kind: t.kind, status }, flag(t.status === status)] as const),
      ),
  },
  {
    name: 'target_info',
    help: "The target's host and verdict code in the last run (always 1).",
    type: 'gauge',
    labelNames: [...TARGET, 'host', 'code'],
    samples: (s) => targets(s).map((t) => [{ target: t.name, kind: t.kind, host: t.host, code: t.code }, 1] as const),
  },
  {
    name: 'verdict_changes_total',
    help: "Times the target's verdict (status or code) changed since the module started: a rate that is not zero is a link that comes and goes.",
    type: 'counter',
    labelNames: ['target'],
    samples: (s) => Object.entries(s.history.changesTotal()).map(([target, n]) => [{ target }, n] as const),
  },
  {
    name: 'dns_seconds',
    help: 'Duration of the DNS step of the target in the last run.',
    type: 'gauge',
    labelNames: TARGET,
    samples: (s) => perTarget(s, (t) => seconds(t.dns.ms)),
  },
  {
    name: 'dns_private',
    help: '1 when every address the target resolved to is in a private range, 0 when not (absent without an answer).',
    type: 'gauge',
    labelNames: TARGET,
    samples: (s) => perTarget(s, (t) => (t.dns.addresses.length > 0 ? flag(t.dns.private) : undefined)),
  },
  {
    name: 'port_ok',
    help: '1 when the port was reachable and verified in the last run (a degraded code still counts), else 0.',
    type: 'gauge',
    labelNames: PORT,
    samples: (s) => perPort(s, (p) => flag(p.ok)),
  },
  {
    name: 'tcp_connect_seconds',
    help: 'Duration of the first successful TCP connect to the port in the last run.',
    type: 'gauge',
    labelNames: PORT,
    samples: (s) =>
      perPort(s, (p) => {
        const connected = p.tcp.find((c) => c.outcome === 'ok');
        return connected && seconds(connected.ms);
      }),
  },
  {
    name: 'tls_handshake_seconds',
    help: 'Duration of the TLS handshake on the port in the last run (absent when it timed out or stalled).',
    type: 'gauge',
    labelNames: PORT,
    // A timed-out or stalled handshake's time is the timeout, not the path's.
    samples: (s) => perPort(s, (p) => (p.tls && !TLS_CUT_SHORT.has(p.tls.outcome) ? seconds(p.tls.ms) : undefined)),
  },
  {
    name: 'step_seconds',
    help: 'Duration of each step on the port in the last run (tcp, tls, …), on the first address that ran it, whatever its outcome.',
    type: 'gauge',
    labelNames: [...PORT, 'step'],
    samples: (s) =>
      targets(s).flatMap((t) =>
        t.ports.flatMap((p) => {
          const times = stepTimes(portSteps(p));
          return PORT_STEPS.flatMap(({ step }) => {
            const ms = times[step];
            return ms === undefined
              ? []
              : [[{ target: t.name, kind: t.kind, port: String(p.port), step }, seconds(ms)] as const];
          });
        }),
      ),
  },
  {
    name: 'service_up',
    help: "1 when the port's service answered the credential-free exchange after TLS in the last run, 0 when it was blocked or something else answered (absent when skipped).",
    type: 'gauge',
    labelNames: [...PORT, 'protocol'],
    samples: (s) =>
      targets(s).flatMap((t) =>
        t.ports.flatMap((p) => {
          const service = p.service;
          if (!service?.protocol || service.outcome === 'skipped') return [];
          const labels = { target: t.name, kind: t.kind, port: String(p.port), protocol: service.protocol };
          return [[labels, flag(service.outcome === 'ok')] as const];
        }),
      ),
  },
  {
    name: 'proxy_up',
    help: "1 when the HTTP proxy the port goes through (the runtime's https_proxy, on 443) opened the CONNECT tunnel in the last run, 0 when it could not be reached or refused (absent without a proxy, or when NO_PROXY exempts the name).",
    type: 'gauge',
    labelNames: PORT,
    samples: (s) => perPort(s, (p) => (proxied(p) ? flag(p.proxy.outcome === 'ok') : undefined)),
  },
  {
    name: 'tls_cert_expiry_timestamp_seconds',
    help: 'notAfter of the certificate the port presented in the last run, as a unix timestamp.',
    type: 'gauge',
    labelNames: PORT,
    samples: (s) => perPort(s, (p) => epochSeconds(p.tls?.cert?.notAfter)),
  },
  {
    name: 'overall_status',
    help: 'Overall verdict of the last run: 1 for its status, 0 for the others (unknown before the first run).',
    type: 'gauge',
    labelNames: ['status'],
    samples: (s) => OVERALLS.map((status) => [{ status }, flag((s.lastRun?.overall ?? 'unknown') === status)] as const),
  },
  {
    name: 'clock_offset_seconds',
    help: "Server time minus this device's clock, from the Date of a verified HTTPS answer in the last run (the target it came from as source); more than 300 either way is CLOCK_SKEW.",
    type: 'gauge',
    labelNames: ['source'],
    samples: (s) => {
      const clock = s.lastRun?.clock;
      return clock ? [[{ source: clock.source }, clock.offsetSeconds]] : [];
    },
  },
  {
    name: 'run_duration_seconds',
    help: 'Duration of the last run.',
    type: 'gauge',
    labelNames: [],
    samples: (s) => single(s.lastRun && seconds(s.lastRun.durationMs)),
  },
  {
    name: 'last_run_timestamp_seconds',
    help: 'When the last run completed, as a unix timestamp.',
    type: 'gauge',
    labelNames: [],
    samples: (s) => single(s.lastCompletedAt === undefined ? undefined : seconds(s.lastCompletedAt)),
  },
  {
    name: 'runs_total',
    help: 'Runs completed since the module started.',
    type: 'counter',
    labelNames: [],
    samples: (s) => single(s.runCount),
  },
  {
    name: 'upstream_connected',
    help: '1 while the module is connected to edgeHub, else 0.',
    type: 'gauge',
    labelNames: [],
    samples: (s) => single(flag(s.upstream.state === 'connected')),
  },
  {
    name: 'upstream_last_contact_timestamp_seconds',
    help: 'Last successful exchange with edgeHub, as a unix timestamp.',
    type: 'gauge',
    labelNames: [],
    samples: (s) => single(epochSeconds(s.upstream.lastContactAt)),
  },
  {
    name: 'telemetry_queued',
    help: 'Telemetry messages waiting for edgeHub.',
    type: 'gauge',
    labelNames: [],
    samples: (s) => single(s.upstream.queued),
  },
  {
    name: 'telemetry_dropped_total',
    help: 'Telemetry messages dropped because the queue for edgeHub was full.',
    type: 'counter',
    labelNames: [],
    samples: (s) => single(s.upstream.dropped),
  },
  {
    name: 'module_info',
    help: "The module's version (always 1).",
    type: 'gauge',
    labelNames: ['version'],
    samples: (s) => [[{ version: s.moduleVersion }, 1]],
  },
];

/**
 * Empties a metric before it is refilled. `reset()` alone leaves a label-less metric at 0, which would
 * claim a run took 0 s (or ended in 1970) before the first run: removing that sample makes it absent.
 */
function clear(metric: Gauge | Counter): void {
  metric.reset();
  metric.remove({});
}

export function createMetrics(options: MetricsOptions): ProbeMetrics {
  const registry = new Registry();
  for (const d of DEFINITIONS) {
    const config = { name: METRIC_PREFIX + d.name, help: d.help, labelNames: d.labelNames, registers: [registry] };
    if (d.type === 'gauge') {
      new Gauge({
        ...config,
        collect() {
          clear(this);
          for (const [labels, value] of d.samples(options.snapshot())) this.set(labels, value);
        },
      });
    } else {
      new Counter({
        ...config,
        collect() {
          clear(this);
          for (const [labels, value] of d.samples(options.snapshot())) this.inc(labels, value);
        },
      });
    }
  }
  const instanceNumber = options.instanceNumber ?? PROCESS_INSTANCE;
  return {
    contentType: registry.contentType,
    async render() {
      const s = options.snapshot();
      registry.setDefaultLabels({
        iothub: s.iothub ?? '',
        edge_device: s.deviceId ?? '',
        instance_number: instanceNumber,
      });
      return registry.metrics();
    },
  };
}
