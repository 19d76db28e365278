import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import { scoreSeries, series } from './synthetic.ts';

describe('whole-number series: rounding noise is the least spread (ROUNDING_SD)', () => {
  const params = detectorParams({ windowMs: Infinity });
  // a counter at 12 whose noise (sd 0.2) mostly rounds away: ~99 % of values are 12, the rest 11 or 13
  const counter = (offset: number) =>
    series(3000, (i, g) => Math.round(12 + 0.2 * g()) + offset + (i >= 2000 && i < 2003 ? 3 : 0), 5);

  it('does not report one-unit steps of a constant-looking counter, still reports a three-unit spike', () => {
    const { values, timestamps } = counter(0);
    const blips = Array.from(values.slice(0, 2000)).filter((v) => v !== 12).length;
    expect(blips).toBeGreaterThan(0);
    const r = scoreSeries(params, values, timestamps);
    const before = r.findings.filter((f) => f.version === 1 && f.pointIndex < 2000);
    expect(before).toEqual([]);
    const spike = r.findings.find((f) => f.version === 1 && f.pointIndex >= 2000 && f.pointIndex < 2003);
    expect(spike?.zscore).toBeGreaterThan(8);
    expect(Number.isFinite(spike?.zscore)).toBe(true);
  });

  it('keeps the plain floors on a series with fractional values (the same shape, shifted by 0.5)', () => {
    const { values, timestamps } = counter(0.5);
    const r = scoreSeries(params, values, timestamps);
    // the one-unit steps are reported, as before the rounding floor: it applies to whole numbers only
    expect(r.findings.filter((f) => f.version === 1 && f.pointIndex < 2000).length).toBeGreaterThan(0);
  });

  it('takes huge and fractional values in a whole-number series, and NaN is refused before the detector', () => {
    const { values, timestamps } = counter(0);
    values[500] = 1e300;
    values[900] = -1e300;
    values[1300] = 12.5;
    const r = scoreSeries(params, values, timestamps);
    for (let i = 0; i < 3000; i++) expect(Number.isFinite(r.zscore[i]), `row ${i}`).toBe(true);
    // the huge ones are reported; the spike still is, once the fraction has left the baseline's span
    expect(r.findings.some((f) => f.version === 1 && f.pointIndex === 500)).toBe(true);
    expect(r.findings.some((f) => f.version === 1 && f.pointIndex >= 2000 && f.pointIndex < 2003)).toBe(true);
    values[700] = NaN;
    expect(() => scoreSeries(params, values, timestamps)).toThrow(/non-finite/);
  });
});
