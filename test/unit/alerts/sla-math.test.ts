import { describe, expect, it } from 'vitest';
import {
  bucketMsForWindow,
  bucketStart,
  burnRate,
  compliance,
  createRing,
  errorBudgetRemaining,
  ringAdd,
  ringAdvance,
  ringSum,
} from '../../../workers/sla.ts';

describe('SLA math', () => {
  it('compliance is good/total, and 1 for an empty window', () => {
    expect(compliance(95, 100)).toBe(0.95);
    expect(compliance(0, 10)).toBe(0);
    expect(compliance(0, 0)).toBe(1);
  });

  it('error budget remaining: 1 untouched, 0 exactly spent, negative when overspent', () => {
    expect(errorBudgetRemaining(1, 0.95)).toBe(1);
    expect(errorBudgetRemaining(0.95, 0.95)).toBeCloseTo(0, 12);
    expect(errorBudgetRemaining(0.975, 0.95)).toBeCloseTo(0.5, 12);
    expect(errorBudgetRemaining(0.9, 0.95)).toBeCloseTo(-1, 12);
  });

  it('burn rate is the bad share over the budget share', () => {
    expect(burnRate(5, 100, 0.95)).toBeCloseTo(1, 12); // exactly on budget
    expect(burnRate(72, 500, 0.99)).toBeCloseTo(14.4, 10);
    expect(burnRate(0, 100, 0.99)).toBe(0);
    expect(burnRate(0, 0, 0.99)).toBe(0);
  });

  it('bucket starts are epoch-aligned, negative times included', () => {
    expect(bucketStart(125_000, 60_000)).toBe(120_000);
    expect(bucketStart(120_000, 60_000)).toBe(120_000);
    expect(bucketStart(-1, 60_000)).toBe(-60_000);
  });

  it('bucket width grows for long windows so a window never needs more than 1440 buckets', () => {
    expect(bucketMsForWindow(86_400_000)).toBe(60_000);
    expect(bucketMsForWindow(3_600_000)).toBe(60_000);
    const month = 30 * 86_400_000;
    const w = bucketMsForWindow(month);
    expect(w % 60_000).toBe(0);
    expect(Math.ceil(month / w)).toBeLessThanOrEqual(1440);
    expect(w).toBe(1_800_000);
  });
});

describe('count ring', () => {
  it('keeps exactly the last `capacity` buckets and running sums that match a recount', () => {
    const ring = createRing(60_000, 5);
    // 20 minutes, one point every 10 s; every 7th point bad.
    const points: Array<{ t: number; good: boolean }> = [];
    for (let i = 0; i < 120; i++) points.push({ t: 1_000_000_000 + i * 10_000, good: i % 7 !== 0 });
    for (const p of points) ringAdd(ring, p.t, p.good);
    const head = bucketStart(points[points.length - 1].t, 60_000);
    const inWindow = points.filter((p) => bucketStart(p.t, 60_000) > head - 5 * 60_000);
    expect(ring.sumTotal).toBe(inWindow.length);
    expect(ring.sumGood).toBe(inWindow.filter((p) => p.good).length);
    expect(ring.starts.length).toBeLessThanOrEqual(5);
    const last2 = points.filter((p) => bucketStart(p.t, 60_000) > head - 2 * 60_000);
    expect(ringSum(ring, 120_000)).toEqual({ good: last2.filter((p) => p.good).length, total: last2.length });
  });

  it('places a late point in its own bucket while that bucket is in the window, and drops it after', () => {
    const ring = createRing(60_000, 3);
    ringAdd(ring, 180_000, true); // bucket 180000
    ringAdd(ring, 300_000, true); // bucket 300000, window 180000..300000
    expect(ringAdd(ring, 200_000, false)).toBe(true);
    expect(ring.starts).toEqual([180_000, 300_000]);
    expect(ringAdd(ring, 100_000, false)).toBe(false); // before the window
    ringAdd(ring, 240_000, true); // fills the gap in order
    expect(ring.starts).toEqual([180_000, 240_000, 300_000]);
    expect(ring.sumTotal).toBe(4);
    expect(ring.sumGood).toBe(3);
    ringAdvance(ring, 420_000); // window 300000..420000: two buckets drop
    expect(ring.starts).toEqual([300_000]);
    expect(ring.sumTotal).toBe(1);
  });

  it('never moves the window backwards', () => {
    const ring = createRing(60_000, 2);
    ringAdd(ring, 600_000, true);
    ringAdvance(ring, 0);
    expect(ring.head).toBe(600_000);
    expect(ring.sumTotal).toBe(1);
  });

  it('rejects a nonsense ring shape', () => {
    expect(() => createRing(0, 5)).toThrow(RangeError);
    expect(() => createRing(60_000, 0.5)).toThrow(RangeError);
  });
});
