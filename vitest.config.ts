import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The network rule made mechanical: every test file runs behind the loopback guard.
    setupFiles: ['test/support/network-guard.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: keep the pool small so timing-sensitive tests are not starved.
    pool: 'forks',
    maxWorkers: 2,
  },
});
