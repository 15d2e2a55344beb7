// Desired patches as IoT Hub applies them (JSON merge patch, RFC 7396): objects merge key by key,
// `null` deletes, arrays and scalars replace. Twin metadata (`$version`, `$metadata`) is not content:
// it is dropped from the merged document, and `desiredVersion` reads `$version` from the patch.
import type { DesiredDoc } from './model.js';
import { isPlainObject, objectFrom, own, type JsonObject } from './json.js';

/**
 * `current` with `patch` merged in. Pure: neither input is mutated, and nothing in the result aliases
 * `patch` (the SDK keeps mutating its own twin object), though unchanged subtrees of `current` are shared.
 */
export function mergeDesired(current: DesiredDoc, patch: JsonObject): DesiredDoc {
  return mergeObject(current, patch);
}

/** The `$version` of a desired document or patch, when it carries a valid one. */
export function desiredVersion(doc: JsonObject): number | undefined {
  const version = own(doc, '$version');
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 0 ? version : undefined;
}

function isMetadataKey(key: string): boolean {
  return key.startsWith('$');
}

function mergeObject(target: JsonObject | undefined, patch: JsonObject): JsonObject {
  // The SDK's own desired object carries `$version` and `$metadata` at the top: not content.
  const merged = new Map(Object.entries(target ?? {}).filter(([key]) => !isMetadataKey(key)));
  for (const [key, value] of Object.entries(patch)) {
    if (isMetadataKey(key)) continue;
    if (value === null) {
      merged.delete(key);
    } else if (isPlainObject(value)) {
      const previous = merged.get(key);
      merged.set(key, mergeObject(isPlainObject(previous) ? previous : undefined, value));
    } else {
      merged.set(key, cloneJson(value));
    }
  }
  return objectFrom(merged);
}

/** A copy of a value replaced wholesale (arrays keep their items, nulls included). */
function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isPlainObject(value)) return objectFrom(Object.entries(value).map(([k, v]) => [k, cloneJson(v)]));
  return value;
}
