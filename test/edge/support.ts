// Shared by the edge tests: the canary every fixture carries in its secret slots, fixture paths, and a leak check.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Written into every secret slot of every fixture; must never appear in any output. */
export const CANARY = 'CANARY-SECRET-6f1c';

const here = path.dirname(fileURLToPath(import.meta.url));

export function fixture(name: string): string {
  return path.join(here, 'fixtures', name);
}

/** JSON of any value, Maps included (EdgeContext holds the hosts table as a Map). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
}
