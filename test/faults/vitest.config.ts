// The fault tier: `npm run test:faults`. The real module (the bundle, as a child process) against
// the loopback edgeHub emulator under the faults that once froze, leaked or stormed it. Its files end in
// `.faults.ts`, so `npm test` never collects them. They run one at a time: several measure the module's CPU,
// heap and descriptors, which a neighbouring test on the same two cores would blur.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/faults/**/*.faults.ts'],
    // The network rule made mechanical, as in the default tier.
    setupFiles: ['test/support/network-guard.ts'],
    // Clears the figures file before the first file and prints the table after the last.
    globalSetup: ['test/faults/figures-table.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
