// Size arithmetic shared by the twin and telemetry shapers. Both carry more detail than fits when every
// string is at its worst, so each has a list of detail levels, richest first, and uses the first level
// whose serialized form fits its byte budget. Sizes are UTF-8 bytes of the JSON text: IoT Hub counts
// characters, so bytes are the safe side.
import { utf8Bytes } from '../config/json.js';

export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}

/**
 * The value built at the first level whose `size` (its JSON by default) fits `budgetBytes`; the last
 * level's value when none does (the last level is the floor: the smallest shape the contract allows).
 */
export function firstThatFits<L, V>(
  levels: readonly [L, ...L[]],
  build: (level: L) => V,
  budgetBytes: number,
  size: (value: V) => number = jsonBytes,
): V {
  let value = build(levels[0]);
  for (let i = 1; i < levels.length && size(value) > budgetBytes; i++) value = build(levels[i]!);
  return value;
}

/** `items` cut to `max`, with the total when something was cut: `{ list, total }` or `{ list }`. */
export function capList<T>(items: readonly T[], max: number): { list: T[]; total?: number } {
  return items.length <= max ? { list: [...items] } : { list: items.slice(0, max), total: items.length };
}

/** A copy without the keys whose value is undefined or null: in a twin patch null deletes, so absent and null mean the same. */
export function withoutEmpty<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null)) as T;
}
