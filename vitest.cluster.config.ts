import { defineConfig } from 'vitest/config';

// The cluster suite (npm run test:cluster, issue #11): each file starts its own private cluster
// (several servers on two cores), so files run one at a time and hooks get several minutes.
// The Kafka cluster's broker loss is fault row 9: the fault suite's global setup records its row
// (docs/reliability.md's table, written with VIGIL_WRITE_FAULT_TABLE=1 as npm run test:cluster sets).
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 300_000,
    globalSetup: ['test/faults/support/global-setup.ts'],
    reporters: ['default'],
  },
});
