// Acknowledgements in the IoT Plug and Play form (product.md §3): for each top-level desired key,
// `{ value, ac, av, ad }` in the reported properties.
import { isPlainObject, objectFrom, own, type JsonObject } from './json.js';
import { DESIRED_KEYS, type ConfigError, type DesiredDoc, type DesiredKey, type ModuleConfig, type ValidationResult } from './model.js';
import { reportedValue } from './reported-form.js';
import { fitString, isTwinSafeKey } from './twin-safe.js';
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

/**
 * Reported sections the module writes itself. A desired key of the same name (always an unknown key)
 * is not acknowledged in place, which would overwrite the section; its fault is named in the `ad` of
 * the other keys.
 */
export const RESERVED_REPORTED_KEYS: readonly string[] = ['status', 'results', 'edge'];

/**
 * The acknowledgement of one desired version. Accepted: every key `ac: 200`, its value as applied.
 * Rejected: every key `ac: 400` with the value still in effect (`lastGood`) and `ad` naming the faults.
 */
export function acknowledge(desired: DesiredDoc, version: number, result: ValidationResult, lastGood: ModuleConfig): Acknowledgement {
  const keys = contentKeys(desired).filter((key) => isTwinSafeKey(key) && !RESERVED_REPORTED_KEYS.includes(key));
  const inEffect = result.ok ? result.config : lastGood;
  return Object.fromEntries(
    keys.map((key): [string, AckEntry] => [
      key,
      {
        value: isDesiredKey(key) ? reportedValue(key, inEffect) : null,
        ac: result.ok ? 200 : 400,
        av: version,
        ad: result.ok ? 'applied' : rejection(key, result.errors),
      },
    ]),
  );
}

/**
 * The reported patch that turns `previous` (the acknowledgement reported before) into `ack`. Reported
 * properties are merged like desired ones, so anything no longer there — a desired key deleted, a target
 * removed, a target's `kind` unset — must be written as `null` or it would linger in the twin.
 */
export function acknowledgementPatch(previous: JsonObject, ack: Acknowledgement): JsonObject {
  return withDeletions(previous, ack) as JsonObject;
}

/**
 * The acknowledgements in a reported section read from the twin (at start-up, so keys deleted from the
 * desired properties while the module was offline are removed too): entries shaped `{ ac, av, … }`.
 */
export function reportedAcknowledgements(reported: JsonObject): JsonObject {
  return objectFrom(
    Object.entries(reported).filter(
      ([key, entry]) => !RESERVED_REPORTED_KEYS.includes(key) && isPlainObject(entry) && typeof own(entry, 'ac') === 'number',
    ),
  );
}

function isDesiredKey(key: string): key is DesiredKey {
  return (DESIRED_KEYS as readonly string[]).includes(key);
}

/** `ad` of a rejected version: this key's own faults first, then the others; at most 512 bytes. */
function rejection(key: string, errors: readonly ConfigError[]): string {
  const own = errors.filter((error) => error.key === key);
  const others = errors.filter((error) => error.key !== key);
  const faults = [...own, ...others].map((error) => `${error.path}: ${error.message}`).join('; ');
  const lead = own.length > 0 ? 'rejected, last good value kept' : 'not applied, the desired version was rejected';
  return fitString(`${lead}: ${faults}`);
}

function withDeletions(previous: unknown, next: unknown): unknown {
  if (!isPlainObject(previous) || !isPlainObject(next)) return next;
  const entries: [string, unknown][] = Object.entries(next).map(([key, value]) => [key, withDeletions(own(previous, key), value)]);
  for (const key of Object.keys(previous)) {
    if (!Object.hasOwn(next, key)) entries.push([key, null]);
  }
  return objectFrom(entries);
}
