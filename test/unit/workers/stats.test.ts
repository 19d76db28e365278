import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import { inspectSeriesState } from '../../../workers/series-state.ts';
import { rng, scoreSeries, T0 } from './synthetic.ts';

/** Mean and sample std of the points a window holds before point i (count and age limits). */
function naiveWindow(values: Float64Array, ts: Float64Array, i: number, size: number, windowMs: number) {
  const picked: number[] = [];
  for (let j = Math.max(0, i - size); j < i; j++) if (ts[j] >= ts[i] - windowMs) picked.push(values[j]);
  const n = picked.length;
  const mean = n ? picked.reduce((a, b) => a + b, 0) / n : values[i];
  const std = n > 1 ? Math.sqrt(picked.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, std };
}

// uniform noise: |z| never reaches 4, so every point joins the baseline and the window is exactly
// "the last windowSize points (no older than windowMs)"
function uniformSeries(n: number, seed: number, offset = 50, gapsEvery = 0) {
  const r = rng(seed);
  const values = new Float64Array(n);
  const timestamps = new Float64Array(n);
  let t = T0;
  for (let i = 0; i < n; i++) {
    values[i] = offset + 10 * r();
    t += gapsEvery && i % gapsEvery === 0 ? 60_000 : 1000;
    timestamps[i] = t;
  }
  return { values, timestamps };
}

describe('rolling statistics', () => {
  it('mean/std/z of the window before each point match a naive recomputation (count window)', () => {
    const params = detectorParams({ windowSize: 100, windowMs: Infinity });
    const { values, timestamps } = uniformSeries(2500, 1);
    const r = scoreSeries(params, values, timestamps);
    expect(r.findings).toEqual([]);
    for (let i = 0; i < values.length; i++) {
      const w = naiveWindow(values, timestamps, i, 100, Infinity);
      expect(r.mean[i]).toBeCloseTo(w.mean, 9);
      expect(r.std[i]).toBeCloseTo(w.std, 9);
      if (w.n > 0) expect(r.zscore[i]).toBeCloseTo((values[i] - w.mean) / Math.max(w.std, params.stdFloorRel * Math.abs(w.mean)), 9);
    }
  });

  it('drops points older than windowMs even when fewer than windowSize remain', () => {
    // a 60 s gap every 40 points; windowMs 90 s keeps at most the points since the previous gap
    const params = detectorParams({ windowSize: 100, windowMs: 90_000 });
    const { values, timestamps } = uniformSeries(1500, 2, 50, 40);
    const r = scoreSeries(params, values, timestamps);
    let sawShortWindow = false;
    for (let i = 0; i < values.length; i++) {
      const w = naiveWindow(values, timestamps, i, 100, 90_000);
      if (w.n > 0 && w.n < 40) sawShortWindow = true;
      expect(r.mean[i]).toBeCloseTo(w.mean, 9);
      expect(r.std[i]).toBeCloseTo(w.std, 9);
    }
    expect(sawShortWindow).toBe(true);
    expect(inspectSeriesState(r.state, params).baselinePoints).toBeLessThan(100);
  });

  it('an empty window after a long silence restarts the warm-up: no anomaly from one stale point', () => {
    const params = detectorParams({ windowSize: 100, windowMs: 60_000, minPoints: 10 });
    const values = new Float64Array(80).fill(5);
    const timestamps = new Float64Array(80).map((_, i) => T0 + i * 1000);
    values[60] = 500; // first point after the silence, far off
    for (let i = 60; i < 80; i++) timestamps[i] += 3_600_000;
    const r = scoreSeries(params, values, timestamps);
    expect(r.mean[60]).toBe(500); // nothing in the window: the point is its own baseline
    expect(r.zscore[60]).toBe(0);
    expect(r.score[60]).toBe(0);
    expect(r.findings).toEqual([]);
  });

  it('floors the std of a constant series so z stays finite and scaled to the level', () => {
    const params = detectorParams({ windowSize: 100, windowMs: Infinity });
    const values = new Float64Array(200).fill(100);
    values[150] = 100.5;
    const timestamps = new Float64Array(200).map((_, i) => T0 + i * 1000);
    const r = scoreSeries(params, values, timestamps);
    expect(r.std[150]).toBe(0);
    expect(r.zscore[150]).toBeCloseTo(0.5 / (params.stdFloorRel * 100), 6); // floor = stdFloorRel·|mean|
    expect(Number.isFinite(r.zscore[150])).toBe(true);
    expect(Number.isFinite(r.score[150])).toBe(true);
    expect(r.score[150]).toBeLessThanOrEqual(1);
    // a change after 100 identical points is an anomaly, but a bounded one
    expect(r.findings.map((f) => f.type)).toEqual(['outlier']);
    expect(r.findings[0].score).toBeLessThan(1);
  });

  it('keeps its statistics finite and the baseline intact after a value too large to square (clamped at ±1e150)', () => {
    const params = detectorParams({ windowSize: 100, windowMs: Infinity });
    const { values, timestamps } = uniformSeries(600, 6);
    values[300] = 1e300;
    values[350] = 120; // an ordinary outlier (uniform 50..60) right after: the detector is not blinded
    values[400] = -Number.MAX_VALUE;
    const r = scoreSeries(params, values, timestamps);
    expect(r.findings.filter((f) => f.version === 1).map((f) => f.pointIndex)).toEqual([300, 350, 400]);
    expect(r.mean[349]).toBeLessThan(60);
    for (let i = 0; i < values.length; i++) {
      for (const out of [r.mean, r.std, r.zscore, r.score]) expect(Number.isFinite(out[i])).toBe(true);
    }
    expect(r.mean[599]).toBeGreaterThan(50);
    expect(r.mean[599]).toBeLessThan(60);
  });

  it('does not drift over a million points with a large offset (Welford + periodic exact recompute)', () => {
    const params = detectorParams({ windowSize: 1000, windowMs: Infinity });
    const { values, timestamps } = uniformSeries(1_000_000, 3, 1e9);
    const r = scoreSeries(params, values, timestamps);
    for (const i of [999_999, 777_777, 500_001]) {
      const w = naiveWindow(values, timestamps, i, 1000, Infinity);
      expect(Math.abs(r.mean[i] - w.mean) / w.mean).toBeLessThan(1e-12);
      expect(Math.abs(r.std[i] - w.std) / w.std).toBeLessThan(1e-6);
    }
  });

  it('scores every point in [0, 1] and stays below 0.5 for points that report nothing', () => {
    const params = detectorParams({ windowSize: 200, windowMs: Infinity });
    const { values, timestamps } = uniformSeries(3000, 4);
    values[2000] = 500;
    const r = scoreSeries(params, values, timestamps);
    const reported = new Set(r.findings.filter((f) => f.version === 1).map((f) => f.pointIndex));
    expect(reported.has(2000)).toBe(true);
    for (let i = 0; i < values.length; i++) {
      expect(r.score[i]).toBeGreaterThanOrEqual(0);
      expect(r.score[i]).toBeLessThanOrEqual(1);
      if (reported.has(i)) expect(r.score[i]).toBeGreaterThanOrEqual(0.5);
      else expect(r.score[i]).toBeLessThan(0.5);
    }
  });
});
