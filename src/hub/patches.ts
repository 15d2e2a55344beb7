// Two JSON merge patches made into one that has the effect of applying both in order. Unlike a merge into a
// document, `null` is kept: it is an instruction for the twin (delete this key), not an absence.
export type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function combinePatches(first: JsonObject | undefined, second: JsonObject | undefined): JsonObject | undefined {
  if (!first) return second;
  if (!second) return first;
  const out: JsonObject = { ...first };
  for (const [key, value] of Object.entries(second)) {
    const before = out[key];
    out[key] = isObject(before) && isObject(value) ? combinePatches(before, value) : value;
  }
  return out;
}
