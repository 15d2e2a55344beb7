// What IoT Hub accepts in reported properties, with the conservative limits this module commits to
// (the older documented limits: depth 5, strings 512 bytes, keys 64 bytes, no arrays). The module
// checks its own patches with this before writing them, so a fault shows up in tests, not as a
// rejected twin update on a device in the field.
import { isPlainObject, utf8Bytes } from './json.js';

export const TWIN_MAX_DEPTH = 5;
export const TWIN_MAX_STRING_BYTES = 512;
export const TWIN_MAX_KEY_BYTES = 64;

// `.`, `$`, space and control characters are not allowed in twin keys.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_KEY_CHARS = /[.$ \u0000-\u001f\u007f]/;

/** A key IoT Hub accepts in a twin: 1–64 bytes, no `.`, `$`, space or control character. */
export function isTwinSafeKey(key: string): boolean {
  return key.length > 0 && utf8Bytes(key) <= TWIN_MAX_KEY_BYTES && !FORBIDDEN_KEY_CHARS.test(key);
}

/**
 * Why `value` cannot be written to the twin as it is, or undefined when it can. Depth counts objects
 * including the one passed in: `{ a: { b: 1 } }` has depth 2 (IoT Hub does not count the section
 * itself, so this errs on the safe side by one). `null` is allowed: in a patch it deletes the key.
 */
export function twinSafetyViolation(value: unknown, path = '', depth = 0): string | undefined {
  const at = path === '' ? 'the value' : `'${path}'`;
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${at} is not a finite number`;
  if (typeof value === 'string') {
    return utf8Bytes(value) <= TWIN_MAX_STRING_BYTES
      ? undefined
      : `${at} is longer than ${TWIN_MAX_STRING_BYTES} bytes`;
  }
  if (Array.isArray(value)) return `${at} is an array`;
  if (!isPlainObject(value)) return `${at} is not JSON (${typeof value})`;
  if (depth + 1 > TWIN_MAX_DEPTH) return `${at} nests deeper than ${TWIN_MAX_DEPTH} objects`;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    if (!isTwinSafeKey(key)) return `key '${childPath}' is not twin-safe`;
    const fault = twinSafetyViolation(child, childPath, depth + 1);
    if (fault !== undefined) return fault;
  }
  return undefined;
}

export function isTwinSafe(value: unknown): boolean {
  return twinSafetyViolation(value) === undefined;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, ending in '…' when cut; never splits a character. */
export function fitString(text: string, maxBytes = TWIN_MAX_STRING_BYTES): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const ellipsis = '…';
  let budget = maxBytes - utf8Bytes(ellipsis);
  let out = '';
  for (const char of text) {
    const size = utf8Bytes(char);
    if (size > budget) break;
    out += char;
    budget -= size;
  }
  return out + ellipsis;
}

/**
 * `text` cut so that its JSON form, quotes excluded, takes at most `maxBytes` UTF-8 bytes, ending in '…' when
 * cut. For a fixed worst-case size: a control character escapes to six bytes (`\u0000`), so `fitString` alone
 * would let 512 of them weigh 3 KB in the twin. Never longer than `fitString(text, maxBytes)`.
 */
export function fitJsonString(text: string, maxBytes: number): string {
  const size = (part: string) => utf8Bytes(JSON.stringify(part)) - 2;
  if (size(text) <= maxBytes) return text;
  const ellipsis = '…';
  let budget = maxBytes - size(ellipsis);
  let out = '';
  for (const char of text) {
    const bytes = size(char);
    if (bytes > budget) break;
    out += char;
    budget -= bytes;
  }
  return out + ellipsis;
}
