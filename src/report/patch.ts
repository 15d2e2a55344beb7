// The reported-properties patch: a JSON merge patch (RFC 7386, which is how IoT Hub applies reported
// patches) from what the twin holds to the new sections. Only changed leaves are sent, and every key
// that disappeared, at any depth (a removed target, a finding that cleared, a port no longer probed, a
// field a port no longer has), is sent as null so it disappears from the twin too. Writing whole sections
// instead would leave such keys behind, because a patch never removes what it does not mention.
//
// `prev` must be what the twin really holds: the reported sections read with the twin at start-up, then
// the sections of each write IoT Hub acknowledged. A write that failed must not advance it.
import { isPlainObject, objectFrom, type JsonObject } from '../config/json.js';
import type { ReportedSections } from './reported.js';

/** Only these keys are ours; the desired-key acknowledgements beside them belong to the config layer. */
export const SECTION_KEYS = ['status', 'results', 'edge'] as const;

/** The patch that turns `prev` into `next`; `{}` when they are the same. */
export function reportedPatch(prev: Readonly<JsonObject> | undefined, next: ReportedSections): JsonObject {
  return changes(SECTION_KEYS.map((key) => [key, diff(prev?.[key], next[key])]));
}

/** What to send for one value: undefined for no change, null to delete, the value or a nested patch otherwise. */
function diff(prev: unknown, next: unknown): unknown {
  if (next === undefined || next === null) return prev === undefined || prev === null ? undefined : null;
  if (isPlainObject(next) && isPlainObject(prev)) {
    const removed = Object.keys(prev)
      .filter((key) => !Object.hasOwn(next, key) && prev[key] !== null)
      .map((key): [string, unknown] => [key, null]);
    const changed = Object.entries(next).map(([key, value]): [string, unknown] => [
      key,
      diff(Object.hasOwn(prev, key) ? prev[key] : undefined, value),
    ]);
    const patch = changes([...removed, ...changed]);
    return Object.keys(patch).length > 0 ? patch : undefined;
  }
  return isDeepEqual(prev, next) ? undefined : next;
}

/** The entries that carry a change, as an object (objectFrom: a key named `__proto__` stays a plain key). */
function changes(entries: ReadonlyArray<readonly [string, unknown]>): JsonObject {
  return objectFrom(entries.filter(([, change]) => change !== undefined));
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && isDeepEqual(a[k], b[k]));
}
