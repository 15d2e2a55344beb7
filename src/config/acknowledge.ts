// Acknowledgements in the IoT Plug and Play form: for each top-level desired key, `{ value, ac, av, ad }` in
// the reported properties.
//
// Bounded by construction, like the sections beside them. IoT Hub refuses a reported section over 32 KB
// (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-module-twins#module-twin-size), and the
// desired document is outside input: a few dozen unknown keys once made the acknowledgement alone pass it.
// - The known keys (at most 7) are always acknowledged one by one.
// - Unknown keys are acknowledged one by one up to MAX_UNKNOWN_IN_PLACE; the others, and any the twin
//   cannot take as an entry of its own (named like a reported section, or not a valid twin key), are named
//   together in one entry, `unknownKeys`, whose value is cut to 512 bytes and whose `ad` counts them.
// - The patch — the acknowledgement plus the nulls that delete what the previous one had and this one has
//   not — is built at the richest detail level (ACK_LEVELS) whose JSON fits ACK_PATCH_BUDGET_BYTES.
import { firstThatFits, jsonBytes } from '../report/budget.js';
import { SECTIONS_BUDGET_BYTES } from '../report/reported.js';
import { isPlainObject, objectFrom, own, type JsonObject } from './json.js';
import {
  DESIRED_KEYS,
  type ConfigError,
  type DesiredDoc,
  type DesiredKey,
  type ModuleConfig,
  type ValidationResult,
} from './model.js';
import { reportedValue } from './reported-form.js';
import { fitJsonString, isTwinSafeKey, TWIN_MAX_STRING_BYTES } from './twin-safe.js';
import { contentKeys } from './validate.js';

export interface AckEntry {
  /** The value in effect, in twin-safe form; `null` for a key that has no effect (unknown key). */
  value: unknown;
  /** 200 applied, 400 rejected; 500 is left to the hub layer (a failure while applying). */
  ac: 200 | 400 | 500;
  /** The desired `$version` acknowledged. */
  av: number;
  ad: string;
}

export type Acknowledgement = Record<string, AckEntry>;

/** An acknowledgement and the reported patch that writes it over the previous one. */
export interface AckWrite {
  ack: Acknowledgement;
  patch: JsonObject;
}

/**
 * Reported sections the module writes itself. A desired key of the same name (always an unknown key)
 * is not acknowledged in place, which would overwrite the section; `unknownKeys` names it.
 */
export const RESERVED_REPORTED_KEYS: readonly string[] = ['status', 'results', 'edge'];

/** The entry naming the unknown keys not acknowledged one by one. */
export const UNKNOWN_KEYS_ENTRY = 'unknownKeys';

/**
 * Unknown keys acknowledged one by one: enough for the usual typo or two to be answered where the operator
 * looks for it, few enough that their entries (≤ 64-byte key, cut `ad`: ≤ 300 bytes each) stay small.
 */
export const MAX_UNKNOWN_IN_PLACE = 8;

/** IoT Hub's limit on the reported section (module-twin-size, above). */
export const REPORTED_SECTION_LIMIT_BYTES = 32 * 1024;

/**
 * What an acknowledgement patch may weigh, nulls included: the section's limit less the room the status,
 * results and edge sections are built to fit (SECTIONS_BUDGET_BYTES), less 2 KB of slack because the
 * sections' floor is measured, not proven. The acknowledgement the twin keeps is never larger than its patch.
 */
export const ACK_PATCH_BUDGET_BYTES = REPORTED_SECTION_LIMIT_BYTES - SECTIONS_BUDGET_BYTES - 2 * 1024;

/** How much one acknowledgement says. */
interface AckDetail {
  /** JSON bytes of each `ad`. */
  ad: number;
  /** Each target as applied, or only its name (`results` has each target's host and verdict). */
  targetSettings: boolean;
}

// Richest first. The floor holds, at worst, the known keys with cut `ad`s (`dns` ≤ 1.1 KB of lists, `targets`
// by name only, ≤ 2.2 KB for 32 names of 64 characters), 8 unknown keys in place, `unknownKeys` and the nulls deleting a previous
// acknowledgement of the same shape: ≈ 7.5 KB when 300 unknown 64-byte keys of `"` and `\` replace 300 others,
// under the 12 KB budget (test/config/acknowledge-size.test.ts holds every case it tries to the budget).
const ACK_LEVELS: readonly [AckDetail, ...AckDetail[]] = [
  { ad: TWIN_MAX_STRING_BYTES, targetSettings: true },
  { ad: 160, targetSettings: true },
  { ad: 160, targetSettings: false },
  { ad: 96, targetSettings: false },
];

/**
 * The acknowledgement of one desired version, and the patch that turns `previous` (what was acknowledged
 * before) into it. Accepted: every key `ac: 200`, its value as applied. Rejected: every key `ac: 400` with
 * the value still in effect (`lastGood`) and `ad` naming the faults.
 */
export function acknowledge(
  desired: DesiredDoc,
  version: number,
  result: ValidationResult,
  lastGood: ModuleConfig,
  previous: JsonObject = {},
): AckWrite {
  const keys = contentKeys(desired);
  const unknown = keys.filter((key) => !isDesiredKey(key));
  const inPlace = new Set(
    unknown.filter((key) => isTwinSafeKey(key) && !NOT_IN_PLACE.includes(key)).slice(0, MAX_UNKNOWN_IN_PLACE),
  );
  const listed = unknown.filter((key) => !inPlace.has(key));
  const acknowledged = keys.filter((key) => isDesiredKey(key) || inPlace.has(key));
  const inEffect = result.ok ? result.config : lastGood;
  const ac = result.ok ? 200 : 400;
  const build = (detail: AckDetail): AckWrite => {
    const entries = acknowledged.map((key): [string, AckEntry] => [
      key,
      {
        value: isDesiredKey(key) ? valueOf(key, inEffect, detail) : null,
        ac,
        av: version,
        ad: result.ok ? 'applied' : rejection(key, result.errors, detail.ad),
      },
    ]);
    if (listed.length > 0) entries.push([UNKNOWN_KEYS_ENTRY, unknownKeysEntry(listed, ac, version, detail)]);
    const ack = objectFrom(entries) as Acknowledgement;
    return { ack, patch: acknowledgementPatch(previous, ack) };
  };
  return firstThatFits(ACK_LEVELS, build, ACK_PATCH_BUDGET_BYTES, (write) => jsonBytes(write.patch));
}

/**
 * The acknowledgements in a reported section read from the twin (at start-up, so keys deleted from the
 * desired properties while the module was offline are removed too): entries shaped `{ ac, av, … }`.
 */
export function reportedAcknowledgements(reported: JsonObject): JsonObject {
  return objectFrom(
    Object.entries(reported).filter(
      ([key, entry]) =>
        !RESERVED_REPORTED_KEYS.includes(key) && isPlainObject(entry) && typeof own(entry, 'ac') === 'number',
    ),
  );
}

/** Keys whose entry would collide with one the module writes. */
const NOT_IN_PLACE: readonly string[] = [...RESERVED_REPORTED_KEYS, UNKNOWN_KEYS_ENTRY];

function isDesiredKey(key: string): key is DesiredKey {
  return (DESIRED_KEYS as readonly string[]).includes(key);
}

function valueOf(key: DesiredKey, config: ModuleConfig, detail: AckDetail): unknown {
  // The names alone, still keyed by name as the model's `targets` map says: `{ "<name>": {} }`.
  if (key === 'targets' && !detail.targetSettings) return objectFrom(config.targets.map((target) => [target.name, {}]));
  return reportedValue(key, config);
}

function unknownKeysEntry(listed: readonly string[], ac: AckEntry['ac'], version: number, detail: AckDetail): AckEntry {
  const count = `${listed.length} unknown desired key${listed.length === 1 ? '' : 's'}`;
  return {
    value: fitJsonString(listed.join(','), TWIN_MAX_STRING_BYTES),
    ac,
    av: version,
    ad: fitJsonString(
      `${count}, not acknowledged one by one (value names them): delete them; the desired version is rejected while they are there`,
      detail.ad,
    ),
  };
}

/** `ad` of a rejected version: this key's own faults first, then the others; cut to `maxBytes` of JSON. */
function rejection(key: string, errors: readonly ConfigError[], maxBytes: number): string {
  const own = errors.filter((error) => error.key === key);
  const others = errors.filter((error) => error.key !== key);
  const faults = [...own, ...others].map((error) => `${error.path}: ${error.message}`).join('; ');
  const lead = own.length > 0 ? 'rejected, last good value kept' : 'not applied, the desired version was rejected';
  return fitJsonString(`${lead}: ${faults}`, maxBytes);
}

/**
 * The reported patch that turns `previous` into `ack`. Reported properties are merged like desired ones, so
 * anything no longer there — a desired key deleted, a target removed, a target's `kind` unset — must be
 * written as `null` or it would linger in the twin. (A twin written by an earlier version may hold more
 * stale entries than this module writes; their nulls are smaller than what they delete.)
 */
function acknowledgementPatch(previous: JsonObject, ack: Acknowledgement): JsonObject {
  return withDeletions(previous, ack) as JsonObject;
}

function withDeletions(previous: unknown, next: unknown): unknown {
  if (!isPlainObject(previous) || !isPlainObject(next)) return next;
  const entries: [string, unknown][] = Object.entries(next).map(([key, value]) => [
    key,
    withDeletions(own(previous, key), value),
  ]);
  for (const key of Object.keys(previous)) {
    if (!Object.hasOwn(next, key)) entries.push([key, null]);
  }
  return objectFrom(entries);
}
