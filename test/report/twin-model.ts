// How IoT Hub treats reported properties, as far as the report tests need it: a patch is merged into the
// document (RFC 7386: null deletes, objects merge key by key, anything else replaces), and depth is the
// number of objects nested below `properties.reported`.

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The twin document after IoT Hub applied `patch` to `doc`. */
export function applyPatch(doc: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  // Map, not assignment: a key named `__proto__` must stay a key.
  const out = new Map(isObject(doc) ? Object.entries(doc) : []);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) out.delete(key);
    else out.set(key, applyPatch(out.get(key), value));
  }
  return Object.fromEntries(out);
}

/** IoT Hub's depth: objects nested below the section root; `{ a: { b: 1 } }` has depth 1. */
export function hubDepth(value: unknown): number {
  if (!isObject(value)) return 0;
  return Math.max(0, ...Object.values(value).map((child) => (isObject(child) ? 1 + hubDepth(child) : 0)));
}

/** A deep copy through JSON: what the twin stores and gives back. */
export function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
