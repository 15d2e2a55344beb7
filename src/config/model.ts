// The configuration module's vocabulary: the desired document as IoT Hub holds it, the validated
// configuration the module runs with, and what is wrong with a document that was rejected.
import type { ProbeSettings, TargetSpec } from '../probe/types.js';
import type { JsonObject } from './json.js';

/** Desired properties without twin metadata (`$version`, `$metadata`): only what the operator wrote. */
export type DesiredDoc = JsonObject;

export interface TelemetryConfig {
  enabled: boolean;
  /** edgeHub output name the results go to. */
  output: string;
  /** Send only when a verdict changed (plus a heartbeat every 24 runs). */
  onChangeOnly: boolean;
  /**
   * `auto`: full detail when a verdict, code or address changed, for `runNow` and every 12 runs, a summary
   * otherwise; `full`: full detail every time.
   */
  detail: TelemetryDetailMode;
}

export const TELEMETRY_DETAIL_MODES = ['auto', 'full'] as const;
export type TelemetryDetailMode = (typeof TELEMETRY_DETAIL_MODES)[number];

/** When a target that keeps changing verdict is reported FLAPPING (see src/report/flapping.ts). */
export interface FlappingConfig {
  enabled: boolean;
  /** Verdict changes within `window` runs that flag a target. */
  changes: number;
  /** Runs the changes are counted over, and that a flagged target must stay stable for. */
  window: number;
}

/** A desired document after validation: everything the module needs, defaults filled in. */
export interface ModuleConfig {
  intervalSeconds: number;
  /** What the desired properties give a run: the defaults with `explicit` layered on. */
  settings: ProbeSettings;
  /** Only the settings the document sets: the desired layer, over the environment's (config/settings.ts). */
  explicit: Partial<ProbeSettings>;
  /** Enabled desired targets, `source: 'desired'`, sorted by name. */
  targets: TargetSpec[];
  autoTargets: boolean;
  telemetry: TelemetryConfig;
  flapping: FlappingConfig;
}

export interface ConfigError {
  /** The top-level desired key at fault, e.g. `targets`. */
  key: string;
  /** Where exactly, e.g. `targets.acr.ports`. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; config: ModuleConfig } | { ok: false; errors: ConfigError[] };

/** The top-level desired keys (the README's configuration table; docs/reference.md, Desired properties). */
export const DESIRED_KEYS = [
  'intervalSeconds',
  'timeoutMs',
  'hostnamePolicy',
  'dns',
  'targets',
  'autoTargets',
  'telemetry',
  'flapping',
  'serviceCheck',
] as const;
export type DesiredKey = (typeof DESIRED_KEYS)[number];
