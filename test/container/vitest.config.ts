// The container tier, run as root: `npm run test:container`. Its files end in `.container.ts`, so
// the default config (`npm test`, which must pass without root) never collects them. There is no loopback
// network guard here: the module runs in containers inside a namespace the test made, with no route out.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/container/**/*.container.ts'],
    testTimeout: 120_000,
    // A new machine makes the Node base image and builds the image from scratch (npm ci inside): minutes.
    hookTimeout: 900_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
