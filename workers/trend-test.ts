/**
 * Slope-change test over one window of points (x = 0..n-1, equally spaced by index).
 *
 * Three least-squares models share a straight line y = a + b·x and add one regressor each:
 *   hinge at k: + d·max(0, x - k)   — the slope changes at k, the line stays continuous
 *   step  at j: + s·[x >= j]        — the level jumps at j
 * The best hinge is a trend change only if it explains more than the best step: a jump (level
 * shift, spike) is the z-score detector's business, a kink without a jump is a trend change.
 * The gain of each added regressor comes from the partial-regression identity
 *   gain = (r·y)^2 / (r·r), r = regressor minus its projection on {1, x},
 * with closed forms for the x-only sums and suffix sums of y and x·y, so every candidate
 * position costs O(1) and the whole test O(n).
 */

export interface TrendTestResult {
  /** Signed t statistic of the slope change at the best knot (hinge vs straight line). */
  t: number;
  /** Slope after the knot minus slope before, per point. */
  slopeChange: number;
  /** Index (0 = oldest) of the best knot. */
  knot: number;
  /** Sum-of-squares explained by the best hinge, and by the best step. */
  hingeGain: number;
  stepGain: number;
  /** Residual standard deviation of the best hinge fit. */
  residualStd: number;
  /** Noise scale of the window from mean absolute second differences (blind to levels and slopes). */
  noiseStd: number;
  /** Value of the best hinge fit at its knot: the level the series had when its slope changed. */
  levelAtKnot: number;
}

let suffixY = new Float64Array(0);
let suffixXY = new Float64Array(0);

/**
 * @param y       the window, oldest first (only y[0..n-1] is read)
 * @param n       points in the window
 * @param minSegment  fewest points on each side of a candidate knot / step
 * @param gridStep    distance between candidate positions
 */
export function trendChangeTest(y: Float64Array, n: number, minSegment: number, gridStep: number, out: TrendTestResult): TrendTestResult {
  out.t = 0;
  out.slopeChange = 0;
  out.knot = -1;
  out.hingeGain = 0;
  out.stepGain = 0;
  out.residualStd = 0;
  out.noiseStd = 0;
  out.levelAtKnot = 0;
  if (n < 2 * minSegment + 2 || n < 8) return out;
  if (suffixY.length < n + 1) {
    suffixY = new Float64Array(n + 1);
    suffixXY = new Float64Array(n + 1);
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  const c = (n - 1) / 2;
  const sxx = (n * (n * n - 1)) / 12;
  let suy = 0;
  let syy = 0;
  let absDiff2 = 0;
  suffixY[n] = 0;
  suffixXY[n] = 0;
  for (let x = n - 1; x >= 0; x--) {
    const yc = y[x] - mean;
    suy += (x - c) * yc;
    syy += yc * yc;
    if (x >= 2) absDiff2 += Math.abs(y[x] - 2 * y[x - 1] + y[x - 2]);
    suffixY[x] = suffixY[x + 1] + yc;
    suffixXY[x] = suffixXY[x + 1] + x * yc;
  }
  // E|Δ²| = √6·√(2/π)·σ for independent normal noise
  out.noiseStd = (absDiff2 / (n - 2)) * Math.sqrt(Math.PI / 2 / 6);
  const sse0 = syy - (suy * suy) / sxx;
  if (!(sse0 > 0)) return out; // a perfect line (or constant): no noise to test against

  let bestHinge = 0;
  let bestHingeK = -1;
  let bestHingeCoef = 0;
  let bestHingeShu = 0;
  let bestHingeSh = 0;
  let bestStep = 0;
  const last = n - minSegment;
  for (let k = minSegment; k <= last; k += gridStep) {
    const m = n - k;
    // hinge: h = x - k for x >= k
    const sh = (m * (m - 1)) / 2;
    const shh = ((m - 1) * m * (2 * m - 1)) / 6;
    const shu = (k - c) * sh + shh;
    const hy = suffixXY[k] - k * suffixY[k] - (shu * suy) / sxx;
    const hh = shh - (sh * sh) / n - (shu * shu) / sxx;
    if (hh > 0) {
      const gain = (hy * hy) / hh;
      if (gain > bestHinge) {
        bestHinge = gain;
        bestHingeK = k;
        bestHingeCoef = hy / hh;
        bestHingeShu = shu;
        bestHingeSh = sh;
      }
    }
  }
  // a jump anywhere (also near the edges, where no knot is tried) must be able to win
  for (let k = 1; k < n; k += gridStep) {
    const m = n - k;
    // step: g = 1 for x >= k
    const sgu = m * (k - c) + (m * (m - 1)) / 2;
    const gy = suffixY[k] - (sgu * suy) / sxx;
    const gg = m - (m * m) / n - (sgu * sgu) / sxx;
    if (gg > 0) {
      const gain = (gy * gy) / gg;
      if (gain > bestStep) bestStep = gain;
    }
  }
  const sse1 = sse0 - bestHinge;
  const dof = n - 3;
  const resVar = sse1 > 0 ? sse1 / dof : 0;
  out.hingeGain = bestHinge;
  out.stepGain = bestStep;
  out.knot = bestHingeK;
  out.slopeChange = bestHingeCoef;
  out.residualStd = Math.sqrt(resVar);
  out.t = resVar > 0 ? Math.sign(bestHingeCoef) * Math.sqrt(bestHinge / resVar) : 0;
  if (bestHingeK >= 0) {
    // with the hinge coefficient d fixed, the line is the least-squares fit of y - d·h on {1, x}:
    // slope (Σ(x-c)y - d·Σ(x-c)h) / sxx, through (c, mean(y) - d·mean(h)); h is 0 at the knot
    const slope = (suy - bestHingeCoef * bestHingeShu) / sxx;
    out.levelAtKnot = mean - (bestHingeCoef * bestHingeSh) / n + slope * (bestHingeK - c);
  }
  return out;
}

export function newTrendTestResult(): TrendTestResult {
  return { t: 0, slopeChange: 0, knot: -1, hingeGain: 0, stepGain: 0, residualStd: 0, noiseStd: 0, levelAtKnot: 0 };
}
