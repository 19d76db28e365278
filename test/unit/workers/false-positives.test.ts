import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import { rng, scoreSeries, series } from './synthetic.ts';

const params = detectorParams({ windowMs: Infinity });

describe('normal series stay (almost) quiet', () => {
  it('300k points of Gaussian noise: only isolated outliers, at about the Gaussian tail rate', () => {
    const n = 300_000;
    const { values, timestamps } = series(n, (_i, g) => 250 + 3 * g(), 99);
    const r = scoreSeries(params, values, timestamps);
    // P(|z| >= 4) = 6.3e-5 per point → ~19 expected; allow for the estimated std
    expect(r.findings.length).toBeLessThan(40);
    expect(r.findings.every((f) => f.type === 'outlier' && f.version === 1)).toBe(true);
    expect(r.score.filter((s) => s >= 0.5).length).toBe(r.findings.length);
  });

  it('a daily-like season plus noise: no trend or pattern changes from the seasonal swings', () => {
    const { values, timestamps } = series(60_000, (i, g) => 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 8 * Math.sin((2 * Math.PI * i) / 2016) + g() * 2, 5);
    const r = scoreSeries(params, values, timestamps);
    expect(r.findings.filter((f) => f.type !== 'outlier')).toEqual([]);
    expect(r.findings.length).toBeLessThan(5);
  });

  it('Laplace (heavier-tailed) noise: reports at its tail rate, isolated, and no regime changes', () => {
    const uniform = rng(17);
    const { values, timestamps } = series(100_000, () => {
      const u = uniform() - 0.5;
      return 50 - Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
    });
    const r = scoreSeries(params, values, timestamps);
    // P(|x| >= 4σ) = e^(-4√2) ≈ 3.5e-3 for Laplace noise
    expect(r.findings.length).toBeGreaterThan(0);
    expect(r.findings.length / 100_000).toBeLessThan(5e-3);
    expect(r.findings.filter((f) => f.type === 'trend_change' || f.type === 'pattern_change')).toEqual([]);
  });
});
