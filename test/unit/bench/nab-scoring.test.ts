import { describe, expect, it } from 'vitest';
import { nabScore, probationRows, scaledSigmoid, STANDARD_PROFILE, type LabelledFile } from '../../../bench/nab-scoring.ts';

const file = (n: number, windows: Array<[number, number]>, fire: number[] = [], name = 'f'): LabelledFile => {
  const scores = new Float64Array(n);
  for (const i of fire) scores[i] = 1;
  return { name, scores, windows };
};

describe('NAB scoring (standard profile)', () => {
  it('the scaled sigmoid has the published anchor values', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  it('probation is 15 % of the rows, at most 750', () => {
    expect(probationRows(1000)).toBe(150);
    expect(probationRows(22695)).toBe(750);
  });

  it('null detector scores 0, perfect detector 100', () => {
    const windows: Array<[number, number]> = [[400, 449], [800, 829]];
    expect(nabScore([file(1000, windows)]).normalized).toBe(0);
    const perfect = nabScore([file(1000, windows, [400, 800])]);
    expect(perfect.normalized).toBeCloseTo(100, 10);
    expect(perfect).toMatchObject({ detectedWindows: 2, falsePositives: 0, windows: 2 });
  });

  it('a late detection earns less, only the earliest detection of a window counts, each false positive costs', () => {
    const windows: Array<[number, number]> = [[400, 499]];
    // detection at the middle of the window: σ(-(499 - 450 + 1)/100) = σ(-0.5) / σ(-1)
    const mid = nabScore([file(1000, windows, [450])]);
    expect(mid.rawScore).toBeCloseTo(scaledSigmoid(-0.5) / scaledSigmoid(-1), 10);
    const twice = nabScore([file(1000, windows, [450, 420])]);
    expect(twice.rawScore).toBeCloseTo(scaledSigmoid(-0.8) / scaledSigmoid(-1), 10);
    // a false positive before any window: -A_FP; one far after the window: -A_FP too (σ = -1 for p >= 3)
    const withFp = nabScore([file(1000, windows, [400, 200, 900])]);
    expect(withFp.rawScore).toBeCloseTo(1 - 0.11 - 0.11, 10);
    // right after the window: p = 1/99 → only a small cost
    const nearFp = nabScore([file(1000, windows, [400, 500])]);
    expect(nearFp.rawScore).toBeCloseTo(1 + 0.11 * scaledSigmoid(1 / 99), 10);
    expect(nearFp.falsePositives).toBe(1);
  });

  it('probation rows never count, and the best threshold is chosen over the whole corpus', () => {
    const windows: Array<[number, number]> = [[600, 699]];
    const a = file(1000, windows, [10]); // fires in probation only
    const b: LabelledFile = { name: 'b', windows: [[500, 599]], scores: new Float64Array(1000) };
    (b.scores as Float64Array)[500] = 0.9; // true positive at 0.9
    (b.scores as Float64Array)[200] = 0.95; // false positive at 0.95
    (b.scores as Float64Array)[300] = 0.5; // false positive at 0.5
    const r = nabScore([a, b], STANDARD_PROFILE);
    expect(r.threshold).toBe(0.9); // 0.95 alone is worse; 0.5 adds a cost
    expect(r.rawScore).toBeCloseTo(-1 + 1 - 0.11, 10);
    expect(r.normalized).toBeCloseTo((100 * (r.rawScore + 2)) / 4, 10);
  });
});
