// The desired-properties state machine the hub layer drives. Pure: each step returns a
// new state plus what to do — apply a changed configuration, report an acknowledgement.
//
// IoT Hub keeps the desired document as written, so the document here is always the merged one, valid
// or not: a rejected version stays rejected through later patches until one patches the fault away,
// and meanwhile the last good configuration keeps running.
import { acknowledge, reportedAcknowledgements } from './acknowledge.js';
import type { JsonObject } from './json.js';
import { desiredVersion, mergeDesired } from './merge.js';
import type { ConfigError, DesiredDoc, ModuleConfig } from './model.js';
import { DEFAULT_CONFIG, validateDesired } from './validate.js';

export interface ConfigState {
  /** The desired document as IoT Hub holds it, without metadata. */
  readonly desired: DesiredDoc;
  /** Its `$version`; undefined until the first document. */
  readonly version: number | undefined;
  /** The configuration in effect: the last accepted one, or the defaults. */
  readonly config: ModuleConfig;
  /** Faults of `desired`; empty when it was accepted. */
  readonly errors: readonly ConfigError[];
  /** The acknowledgement reported for `version`, to know what a later one must delete. */
  readonly acknowledged: JsonObject;
}

export interface DesiredUpdate {
  state: ConfigState;
  /** The configuration in effect changed: restart the schedule with `state.config`. */
  changed: boolean;
  /** A version not acknowledged yet was processed: write `ack`. False for a duplicate or stale patch. */
  versionChanged: boolean;
  /** Reported-properties patch acknowledging the version; `{}` when a patch was ignored. */
  ack: JsonObject;
  /** Faults of the desired document now held (empty when it is accepted). */
  errors: readonly ConfigError[];
}

export function createConfigState(): ConfigState {
  return { desired: {}, version: undefined, config: DEFAULT_CONFIG, errors: [], acknowledged: {} };
}

/**
 * The whole desired document (start-up, or a twin re-read after reconnecting) replaces the one held.
 * `reported`, the twin's reported section when it was read too, says what was acknowledged before
 * this process started, so acknowledgements of keys deleted meanwhile are removed.
 */
export function applyFullDesired(state: ConfigState, desired: JsonObject, reported?: JsonObject): DesiredUpdate {
  const version = desiredVersion(desired);
  const acknowledged = reported === undefined ? state.acknowledged : reportedAcknowledgements(reported);
  const versionChanged = version === undefined || version !== state.version;
  return evaluate({ ...state, acknowledged }, mergeDesired({}, desired), version, versionChanged);
}

/**
 * A desired patch merged into the document held. A patch whose `$version` is not newer than the one
 * held is already part of it (delivered twice, or older than a full re-read) and is ignored.
 */
export function applyDesiredPatch(state: ConfigState, patch: JsonObject): DesiredUpdate {
  const version = desiredVersion(patch);
  if (version !== undefined && state.version !== undefined && version <= state.version) {
    return { state, changed: false, versionChanged: false, ack: {}, errors: state.errors };
  }
  return evaluate(state, mergeDesired(state.desired, patch), version, true);
}

function evaluate(
  state: ConfigState,
  desired: DesiredDoc,
  version: number | undefined,
  versionChanged: boolean,
): DesiredUpdate {
  const result = validateDesired(desired);
  const config = result.ok ? result.config : state.config;
  const errors = result.ok ? [] : result.errors;
  // A document without `$version` (never from IoT Hub) is acknowledged under the last version known.
  const av = version ?? state.version ?? 0;
  const { ack, patch } = acknowledge(desired, av, result, state.config, state.acknowledged);
  return {
    state: { desired, version: version ?? state.version, config, errors, acknowledged: ack },
    changed: !sameConfig(config, state.config),
    versionChanged,
    ack: patch,
    errors,
  };
}

/** Configurations are built field by field in a fixed order, so equal ones serialize equally. */
function sameConfig(a: ModuleConfig, b: ModuleConfig): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
