// Test-side instrumentation for the soak, never part of the module: loaded into the module's process with
// `node --expose-gc --import <this file>`. On SIGUSR2 it collects garbage and writes one JSON line to stderr
// with the heap still in use, numbered so the test can tell its answers apart.
import { writeSync } from 'node:fs';
import process from 'node:process';

let asked = 0;
process.on('SIGUSR2', () => {
  asked += 1;
  // Twice: what the first collection frees can release more (finalizers, weak references).
  globalThis.gc();
  globalThis.gc();
  writeSync(2, `${JSON.stringify({ heapProbe: asked, heapUsedAfterGc: process.memoryUsage().heapUsed })}\n`);
});
