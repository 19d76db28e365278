import { describe, expect, it } from 'vitest';
import { offlineDetectorParams, runSeries } from '../../../pipeline/offline/run-series.ts';
import { createPrng } from '../../../pipeline/loadgen/prng.ts';
import { createSeriesState } from '../../../workers/series-state.ts';
import { scoreBatch } from '../../../workers/score-batch.ts';

function noisy(n: number, seed: number): { values: Float64Array; timestamps: Float64Array } {
  const rng = createPrng(seed);
  const values = Float64Array.from({ length: n }, () => 100 + rng.gaussian());
  const timestamps = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 60_000);
  return { values, timestamps };
}

describe('offline detector run', () => {
  const params = offlineDetectorParams({ windowSize: 200 });
  const { values, timestamps } = noisy(3000, 7);
  values[1500] += 40; // an outlier
  for (let i = 2200; i < 3000; i++) values[i] += 12; // a level step

  it('uses a count-only window (recorded files span far more than the pipeline\'s time window)', () => {
    expect(params.windowMs).toBe(Infinity);
    expect(offlineDetectorParams().windowSize).toBe(1000);
  });

  it('gives the same scores and findings whatever the batch size, and what one scoreBatch over the series gives', () => {
    const whole = scoreBatch({ params, states: [createSeriesState(params)], series: new Uint32Array(values.length), values: values.slice(), timestamps: timestamps.slice() });
    for (const batchRows of [7, 1000, 5000]) {
      const run = runSeries(values, timestamps, params, batchRows);
      expect(run.score, `batch ${batchRows}`).toEqual(whole.score);
      expect(run.zscore).toEqual(whole.zscore);
      expect(run.findings).toEqual(whole.findings);
    }
    expect(whole.findings.length).toBeGreaterThan(0);
  });

  it('reports findings at their row in the whole series', () => {
    const run = runSeries(values, timestamps, params, 333);
    const rows = run.findings.filter((f) => f.version === 1).map((f) => f.pointIndex);
    expect(rows).toContain(1500);
    expect(rows.some((r) => r >= 2200 && r < 2210)).toBe(true);
    for (const f of run.findings) expect(run.score[f.pointIndex]).toBeGreaterThan(0);
  });
});
