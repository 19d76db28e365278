import { describe, expect, it } from 'vitest';
import { placeOf, ranks } from '../../../bench/nab-diagnostic.ts';
import { rowWeights } from '../../../bench/nab-scoring.ts';

describe('NAB diagnostic (bench/nab-diagnostic.ts)', () => {
  const windows: Array<[number, number]> = [
    [100, 109],
    [300, 319],
  ];

  it('places a report by NAB probation and its distance from the window before it', () => {
    expect(placeOf(10, 50, windows)).toBe('probation');
    expect(placeOf(60, 50, windows)).toBe('before any window');
    expect(placeOf(105, 50, windows)).toBe('in a window');
    expect(placeOf(119, 50, windows)).toBe('just after a window'); // 10 rows after a 10-row window
    expect(placeOf(120, 50, windows)).toBe('far from windows');
    expect(placeOf(339, 50, windows)).toBe('just after a window');
    expect(placeOf(340, 50, windows)).toBe('far from windows');
  });

  it('ranks each report by the earlier ones at least as large within the horizon', () => {
    const reports = [
      { row: 0, absZ: 5 },
      { row: 10, absZ: 9 },
      { row: 20, absZ: 5 },
      { row: 30, absZ: 20 },
      { row: 5000, absZ: 6 },
    ];
    expect(ranks(reports, 2000)).toEqual([0, 0, 2, 0, 0]);
    expect(ranks(reports, 10)).toEqual([0, 0, 1, 0, 0]);
    expect(ranks([], 100)).toEqual([]);
  });

  it('row weights agree with the scorer: a TP is worth most at its window start, probation rows marked', () => {
    const scores = new Float64Array(400);
    const w = rowWeights({ name: 'x', scores, windows }, { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 });
    expect(w.probation).toBe(60);
    expect(w.window[99]).toBe(-1);
    expect(w.window[100]).toBe(0);
    expect(w.window[319]).toBe(1);
    expect(w.weight[100]).toBeCloseTo(1, 12);
    expect(w.weight[109]).toBeLessThan(w.weight[100]);
    expect(w.weight[50]).toBeCloseTo(-0.11, 12);
    // just after a window NAB charges little; far after, the whole FP weight
    expect(w.weight[110]).toBeCloseTo(0.11 * (2 / (1 + Math.exp(5 / 9)) - 1), 12);
    expect(w.weight[110]).toBeGreaterThan(w.weight[115]);
    expect(w.weight[290]).toBeCloseTo(-0.11, 3);
  });
});
