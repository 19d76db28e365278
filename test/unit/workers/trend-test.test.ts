import { describe, expect, it } from 'vitest';
import { newTrendTestResult, trendChangeTest } from '../../../workers/trend-test.ts';
import { gaussian } from './synthetic.ts';

/** Least-squares coefficients and residual sum of squares of y on the given regressors (normal equations, Gaussian elimination). */
function fit(y: number[], cols: number[][]): { beta: number[]; sse: number } {
  const p = cols.length;
  const a = cols.map((ci) => cols.map((cj) => ci.reduce((s, v, k) => s + v * cj[k], 0)));
  const b = cols.map((ci) => ci.reduce((s, v, k) => s + v * y[k], 0));
  for (let i = 0; i < p; i++) {
    for (let r = i + 1; r < p; r++) {
      const m = a[r][i] / a[i][i];
      for (let c = i; c < p; c++) a[r][c] -= m * a[i][c];
      b[r] -= m * b[i];
    }
  }
  const beta = new Array(p).fill(0);
  for (let i = p - 1; i >= 0; i--) beta[i] = (b[i] - a[i].slice(i + 1).reduce((s, v, k) => s + v * beta[i + 1 + k], 0)) / a[i][i];
  return { beta, sse: y.reduce((s, v, k) => s + (v - cols.reduce((t, c, j) => t + beta[j] * c[k], 0)) ** 2, 0) };
}

const sse = (y: number[], cols: number[][]) => fit(y, cols).sse;

function bruteForce(y: number[], minSegment: number, gridStep: number) {
  const n = y.length;
  const one = y.map(() => 1);
  const x = y.map((_, k) => k);
  const base = sse(y, [one, x]);
  let hinge = { gain: 0, k: -1 };
  for (let k = minSegment; k <= n - minSegment; k += gridStep) {
    const gain = base - sse(y, [one, x, x.map((v) => Math.max(0, v - k))]);
    if (gain > hinge.gain) hinge = { gain, k };
  }
  let step = 0;
  for (let k = 1; k < n; k += gridStep) step = Math.max(step, base - sse(y, [one, x, x.map((v) => (v >= k ? 1 : 0))]));
  // the hinge fit's value at its knot: a + b·k (the hinge term is 0 there)
  const { beta } = fit(y, [one, x, x.map((v) => Math.max(0, v - hinge.k))]);
  return { hinge, step, base, levelAtKnot: beta[0] + beta[1] * hinge.k };
}

describe('slope-change test (closed-form partial regressions)', () => {
  it.each([
    ['a kink', (i: number) => (i > 70 ? 0.3 * (i - 70) : 0)],
    ['a step', (i: number) => (i > 55 ? 4 : 0)],
    ['a straight line', (i: number) => 0.1 * i],
    ['a large offset', (i: number) => 1e6 + (i > 90 ? -0.2 * (i - 90) : 0)],
  ])('matches a brute-force least-squares fit: %s', (_name, shape) => {
    const g = gaussian(3);
    const y = Array.from({ length: 160 }, (_, i) => shape(i) + g());
    const out = trendChangeTest(Float64Array.from(y), y.length, 20, 3, newTrendTestResult());
    const bf = bruteForce(y, 20, 3);
    expect(out.knot).toBe(bf.hinge.k);
    expect(out.hingeGain).toBeCloseTo(bf.hinge.gain, 4);
    expect(out.stepGain).toBeCloseTo(bf.step, 4);
    expect(out.residualStd).toBeCloseTo(Math.sqrt((bf.base - bf.hinge.gain) / (y.length - 3)), 6);
    expect(out.levelAtKnot).toBeCloseTo(bf.levelAtKnot, 6);
  });

  it('tells a kink from a jump and estimates the knot and the noise', () => {
    const g = gaussian(4);
    const n = 400;
    const kink = Float64Array.from({ length: n }, (_, i) => (i >= 250 ? 0.05 * (i - 250) : 0) + g());
    const k = trendChangeTest(kink, n, 50, 6, newTrendTestResult());
    expect(k.t).toBeGreaterThan(6);
    expect(k.hingeGain).toBeGreaterThan(k.stepGain);
    expect(Math.abs(k.knot - 250)).toBeLessThanOrEqual(24);
    expect(k.slopeChange).toBeCloseTo(0.05, 1);
    expect(k.noiseStd).toBeGreaterThan(0.85);
    expect(k.noiseStd).toBeLessThan(1.15);
    // flat before the knot: the level there is the old level, whatever the slope after it
    expect(Math.abs(k.levelAtKnot)).toBeLessThan(0.5);

    const jump = Float64Array.from({ length: n }, (_, i) => (i >= 250 ? 5 : 0) + g());
    const j = trendChangeTest(jump, n, 50, 6, newTrendTestResult());
    expect(j.stepGain).toBeGreaterThan(j.hingeGain);
  });

  it('reports nothing for a window too short or without noise', () => {
    expect(trendChangeTest(new Float64Array(10), 10, 8, 1, newTrendTestResult()).knot).toBe(-1);
    const line = Float64Array.from({ length: 100 }, (_, i) => 2 * i);
    expect(trendChangeTest(line, 100, 10, 2, newTrendTestResult()).t).toBe(0);
  });
});
