// Two JSON merge patches made into one that has the effect of applying both in order. Unlike a merge into a
// document, `null` is kept: it is an instruction for the twin (delete this key), not an absence.
import { isPlainObject, type JsonObject } from '../config/json.js';

export function combinePatches(first: JsonObject | undefined, second: JsonObject | undefined): JsonObject | undefined {
  if (!first) return second;
  if (!second) return first;
  const out: JsonObject = { ...first };
  for (const [key, value] of Object.entries(second)) {
    const before = out[key];
    out[key] = isPlainObject(before) && isPlainObject(value) ? combinePatches(before, value) : value;
  }
  return out;
}
