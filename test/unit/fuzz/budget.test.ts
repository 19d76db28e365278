/** Issue #12: at least 100,000 generated hostile inputs per `npm test` run, over every input path. */
import { expect, it } from 'vitest';
import { FUZZ_BUDGET, FUZZ_TOTAL } from '../../support/fuzz.ts';

it('the fuzz budget covers every input path and sums to at least 100,000 inputs', () => {
  expect(Object.keys(FUZZ_BUDGET).sort()).toEqual(['avro-events', 'avro-metrics', 'config-files', 'csv-import', 'http-bodies', 'http-queries', 'ws-messages']);
  for (const n of Object.values(FUZZ_BUDGET)) expect(n).toBeGreaterThanOrEqual(1000);
  expect(FUZZ_TOTAL).toBeGreaterThanOrEqual(100_000);
});
