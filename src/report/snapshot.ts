// What the running module knows at a moment: read by the HTTP endpoints, `getStatus` and the watchdog.
// The module keeps one and replaces it after every run or connection change; readers never mutate it.
import type { EdgeAudit } from '../edge/audit.js';
import type { RunResult } from '../probe/types.js';
import type { HistoryReader } from './history.js';

export type UpstreamState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface UpstreamView {
  state: UpstreamState;
  /** IOTEDGE_IOTHUBHOSTNAME (or the connection string's HostName). */
  hostname: string | null;
  /** Last successful exchange with edgeHub (ISO time), or null. */
  lastContactAt: string | null;
  /** Telemetry messages waiting for edgeHub, and how many were dropped because the queue was full. */
  queued: number;
  dropped: number;
}

export interface ModuleSnapshot {
  deviceId: string | null;
  moduleId: string | null;
  /** For the IoT Edge custom-metric labels (`iothub`, `edge_device`). */
  iothub: string | null;
  moduleVersion: string;
  /** When the process started (epoch ms). */
  startedAt: number;
  intervalSeconds: number;
  runCount: number;
  lastRun: RunResult | undefined;
  /** Epoch ms of the last completed run, and of the next scheduled one. */
  lastCompletedAt: number | undefined;
  nextRunAt: number | undefined;
  /** Per target name: ISO time its verdict last changed. */
  changedAt: Record<string, string>;
  edge: EdgeAudit | null;
  upstream: UpstreamView;
  history: HistoryReader;
}
