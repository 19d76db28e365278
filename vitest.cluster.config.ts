import { defineConfig } from 'vitest/config';

// The cluster suite (npm run test:cluster, issue #11): each file starts its own private cluster
// (several servers on two cores), so files run one at a time and hooks get several minutes.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
