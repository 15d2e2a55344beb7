// Keys of the reported sections come from target names, finding ids and port numbers. Config already
// restricts target names to this grammar; mapping every key through it anyway keeps the sections
// twin-safe by construction, whatever a future caller passes (an id from a new audit rule, say).
import { TWIN_MAX_KEY_BYTES } from '../config/twin-safe.js';

const UNSAFE = /[^A-Za-z0-9_-]/g;
// Room for a `_NN` suffix that keeps two names distinct after their unsafe characters became `_`.
const SUFFIX_ROOM = 4;

/** One twin-safe key per name, in order, all distinct; a name already in the grammar keeps its spelling. */
export function twinKeys(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    const safe = name.replace(UNSAFE, '_') || '_';
    const base = safe.length <= TWIN_MAX_KEY_BYTES ? safe : safe.slice(0, TWIN_MAX_KEY_BYTES - SUFFIX_ROOM);
    let key = base;
    for (let n = 2; taken.has(key); n++) key = `${base.slice(0, TWIN_MAX_KEY_BYTES - SUFFIX_ROOM)}_${n}`;
    taken.add(key);
    return key;
  });
}
