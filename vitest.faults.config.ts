import { defineConfig } from 'vitest/config';

// The fault suite (npm run test:faults, issue #12): faults under a steady load, each file bounded
// in time; its global setup writes the fault table into docs/reliability.md after the run.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 240_000,
    hookTimeout: 240_000,
    globalSetup: ['test/faults/support/global-setup.ts'],
    reporters: ['default'],
  },
});
