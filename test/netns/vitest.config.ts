// The network-namespace tier, run as root: `npm run test:netns`. Its files end in `.netns.ts`,
// so the default config (`npm test`, which must pass without root) never collects them. There is no
// loopback network guard here: the probes run in child processes inside namespaces the tests made,
// from which nothing routes out.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/netns/**/*.netns.ts'],
    testTimeout: 45_000,
    hookTimeout: 60_000,
    // One topology at a time: the scenarios change it (routes, firewall rules, /etc/hosts) in turn.
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
