// JSON-shaped values as they arrive from the twin: plain objects, arrays, scalars and null.

export type JsonObject = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property or undefined: user-chosen keys such as `constructor` must never reach the prototype. */
export function own(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * Builds an object from entries as own data properties. Plain assignment would treat a twin key named
 * `__proto__` as the prototype setter; `Object.fromEntries` defines it like any other key.
 */
export function objectFrom(entries: Iterable<readonly [string, unknown]>): JsonObject {
  return Object.fromEntries(entries);
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** A short description of a value for an error message: user text is quoted and cut to 24 characters. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 24 ? `${value.slice(0, 24)}…` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
