import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import { S, restoreSeriesState } from '../../../workers/series-state.ts';
import { R, RARITY_SLOTS, decayRarity, logStrength, rarityDecay, rarityDiscount, rateAtLeast, recordReport } from '../../../workers/report-rarity.ts';
import { scoreSeries, series } from './synthetic.ts';

const MEMORY = 16_000;
/** A test's score at ρ thresholds: ρ² / (1 + ρ²). */
const scoreAt = (rho: number) => (rho * rho) / (1 + rho * rho);

describe('report rarity (report-rarity.ts)', () => {
  it('reads a score back as its strength in thresholds, floored at the threshold and bounded', () => {
    expect(logStrength(scoreAt(2))).toBeCloseTo(Math.log(2), 12);
    expect(logStrength(scoreAt(10))).toBeCloseTo(Math.log(10), 10);
    expect(logStrength(0.5)).toBe(0);
    expect(logStrength(0.2)).toBe(0);
    expect(logStrength(NaN)).toBe(0);
    expect(logStrength(1)).toBeCloseTo(Math.log(1e6), 12);
    expect(logStrength(Infinity)).toBeCloseTo(Math.log(1e6), 12);
  });

  it('estimates how many earlier reports were at least as strong: none before any, fewer for a stronger one', () => {
    const f = new Float64Array(RARITY_SLOTS);
    expect(rateAtLeast(f, 0, Math.log(2))).toBe(0);
    for (let k = 1; k <= 10; k++) recordReport(f, 0, Math.log(2));
    // ten reports at ρ = 2: α = 1 / ln 2
    const same = rateAtLeast(f, 0, Math.log(2));
    expect(same).toBeCloseTo(10 * Math.exp(-1), 12);
    const weaker = rateAtLeast(f, 0, 0);
    const stronger = rateAtLeast(f, 0, Math.log(8));
    expect(weaker).toBeCloseTo(10, 12);
    expect(stronger).toBeCloseTo(10 * Math.exp(-3), 12);
    expect(rarityDiscount(stronger)).toBeGreaterThan(rarityDiscount(same));
    expect(rarityDiscount(same)).toBeGreaterThan(rarityDiscount(weaker));
    expect(rarityDiscount(0)).toBe(1);
  });

  it('forgets: the count decays by e^-1 per memory of points', () => {
    const f = new Float64Array(RARITY_SLOTS);
    recordReport(f, 0, Math.log(3));
    const decay = rarityDecay(MEMORY);
    for (let k = 0; k < MEMORY; k++) decayRarity(f, 0, decay);
    expect(f[R.count]).toBeCloseTo(Math.exp(-1), 9);
    expect(f[R.sumLog]).toBeCloseTo(Math.exp(-1) * Math.log(3), 9);
    // the tail's shape survives the decay: both sums shrink alike
    expect(rateAtLeast(f, 0, Math.log(3))).toBeCloseTo(Math.exp(-1) * Math.exp(-1), 9);
  });

  it('stays finite on a damaged state and hostile strengths', () => {
    const f = new Float64Array(RARITY_SLOTS).fill(NaN);
    expect(rateAtLeast(f, 0, Math.log(2))).toBe(0);
    recordReport(f, 0, Math.log(2));
    expect(Number.isFinite(f[R.count]) && Number.isFinite(f[R.sumLog])).toBe(true);
    for (const logR of [0, 1e-300, Math.log(1e6), -5]) recordReport(f, 0, logR);
    for (const logR of [0, 1e-300, Math.log(1e6)]) {
      const rate = rateAtLeast(f, 0, logR);
      expect(Number.isFinite(rate) && rate >= 0).toBe(true);
    }
    // all reports at the threshold: the tail is a step (Σ ln ρ = 0), still finite
    const g = new Float64Array(RARITY_SLOTS);
    for (let k = 1; k <= 3; k++) recordReport(g, 0, 0);
    expect(rateAtLeast(g, 0, 0)).toBeCloseTo(3, 12);
    expect(rateAtLeast(g, 0, Math.log(2))).toBe(0);
  });

  it('in the detector: the eleventh report of a usual size scores lower than the first, a far larger one keeps its score', () => {
    // Gaussian noise with a +9 sd outlier every 300 points, then one of +40 sd
    const at = (i: number) => i >= 600 && i <= 3600 && i % 300 === 0;
    const big = 3750;
    const { values, timestamps } = series(4000, (i, noise) => noise() + (at(i) ? 9 : 0) + (i === big ? 40 : 0), 21);
    const on = detectorParams({ windowMs: Infinity, seasonPeriod: 0 });
    const off = detectorParams({ windowMs: Infinity, seasonPeriod: 0, rarityMemory: 0 });
    expect(on.rarityMemory).toBe(16 * on.windowSize);
    const a = scoreSeries(on, values, timestamps);
    const b = scoreSeries(off, values, timestamps);
    const reportedAt = (r: typeof a) => r.findings.filter((f) => f.version === 1).map((f) => f.pointIndex);
    // the same reports either way (only their confidence differs)
    expect(reportedAt(a)).toEqual(reportedAt(b));
    const usual = reportedAt(a).filter(at);
    expect(usual.length).toBeGreaterThanOrEqual(8);
    expect(reportedAt(a)).toContain(big);
    // the first report has no history: the same score either way
    expect(a.score[usual[0]]).toBe(b.score[usual[0]]);
    const last = usual[usual.length - 1];
    expect(a.score[last]).toBeLessThan(a.score[usual[0]] - 0.1);
    // the far larger one: rarer for this series than the usual ones, so discounted less than a
    // count of earlier reports would (0.83 against 0.74), and much farther above the usual ones
    expect(a.score[big]).toBeGreaterThan(b.score[big] + 0.05);
    expect(a.score[big] - a.score[last]).toBeGreaterThan(b.score[big] - b.score[last] + 0.1);
    // the history lives in the state's header bytes 16..31: a snapshot carries it, and the
    // state without it is the fresh one's zeros
    const f = new Float64Array(a.state);
    expect(f[S.rarity + R.count]).toBeGreaterThan(1);
    const restored = new Float64Array(restoreSeriesState(Buffer.from(new Uint8Array(a.state)), on));
    expect(restored[S.rarity + R.count]).toBe(f[S.rarity + R.count]);
    expect(restored[S.rarity + R.sumLog]).toBe(f[S.rarity + R.sumLog]);
    expect(new Float64Array(b.state)[S.rarity + R.count]).toBe(0);
  });
});
