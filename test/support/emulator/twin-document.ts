// The module twin's desired/reported sections as IoT Hub keeps them: JSON merge patches where null deletes,
// and the hub's documented limits on what a reported patch may contain (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-module-twins#module-twin-size).
export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// Defined rather than assigned, so a key called "__proto__" (valid JSON) stays data.
function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Applies a JSON merge patch in place: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: JsonObject, patch: JsonObject): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isObject(value)) {
      const current = Object.hasOwn(target, key) ? target[key] : undefined;
      const child: JsonObject = isObject(current) ? current : {};
      mergePatch(child, value);
      setOwn(target, key, child);
    } else {
      setOwn(target, key, structuredClone(value));
    }
  }
}

// Current IoT Hub limits (older docs were stricter: keys 64 bytes, depth 5, strings 512 bytes; the module
// applies those itself — the emulator rejects only what the real hub rejects).
export const TWIN_LIMITS = { keyBytes: 1024, depth: 10, stringBytes: 4096, sectionBytes: 32 * 1024 } as const;

// Keys may not contain '.', '$', ' ' or control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_KEY = /[.$ \u0000-\u001f\u007f]/;

function valueProblem(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') {
    return Buffer.byteLength(value) > TWIN_LIMITS.stringBytes
      ? `${path}: string longer than ${TWIN_LIMITS.stringBytes} bytes`
      : undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = valueProblem(item, `${path}[${i}]`, depth);
      if (problem) return problem;
    }
    return undefined;
  }
  if (isObject(value)) return objectProblem(value, path, depth + 1);
  return undefined;
}

function objectProblem(obj: JsonObject, path: string, depth: number): string | undefined {
  if (depth > TWIN_LIMITS.depth) return `${path}: nested deeper than ${TWIN_LIMITS.depth} levels`;
  for (const [key, value] of Object.entries(obj)) {
    const at = path ? `${path}.${key}` : key;
    if (key.length === 0) return `${path || 'patch'}: empty key`;
    if (FORBIDDEN_KEY.test(key)) return `${at}: key contains '.', '$', space or a control character`;
    if (Buffer.byteLength(key) > TWIN_LIMITS.keyBytes) return `${at}: key longer than ${TWIN_LIMITS.keyBytes} bytes`;
    const problem = valueProblem(value, at, depth);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * What IoT Hub would refuse in a reported-properties patch applied to `current`, or undefined when the
 * hub accepts it.
 */
export function reportedPatchProblem(current: JsonObject, patch: unknown): string | undefined {
  if (!isObject(patch)) return 'reported patch is not a JSON object';
  const problem = objectProblem(patch, '', 1);
  if (problem) return problem;
  const merged = structuredClone(current);
  mergePatch(merged, patch);
  const size = Buffer.byteLength(JSON.stringify(merged));
  return size > TWIN_LIMITS.sectionBytes
    ? `reported section would be ${size} bytes, over the ${TWIN_LIMITS.sectionBytes}-byte limit`
    : undefined;
}
