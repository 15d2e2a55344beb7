// Test-side instrumentation for the soak, never part of the module: loaded into the module's process with
// `node --expose-gc --import <this file>`. On SIGUSR2 it collects garbage and writes one JSON line to stderr
// with the heap still in use and, of that, the compiled code (which V8 keeps adding to while it optimizes),
// numbered so the test can tell its answers apart.
import { writeSync } from 'node:fs';
import process from 'node:process';
import v8 from 'node:v8';

const CODE_SPACES = new Set(['code_space', 'code_large_object_space']);

let asked = 0;
process.on('SIGUSR2', () => {
  asked += 1;
  // Twice: what the first collection frees can release more (finalizers, weak references).
  globalThis.gc();
  globalThis.gc();
  const codeBytes = v8
    .getHeapSpaceStatistics()
    .filter((space) => CODE_SPACES.has(space.space_name))
    .reduce((sum, space) => sum + space.space_used_size, 0);
  writeSync(2, `${JSON.stringify({ heapProbe: asked, heapUsedAfterGc: process.memoryUsage().heapUsed, codeBytes })}\n`);
});
