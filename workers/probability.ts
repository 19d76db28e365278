/**
 * Gaussian tail probabilities and the [0, 1] mappings built on them. Pure and deterministic
 * (only +, *, / and Math.exp), so a worker thread and the main thread agree to the last bit.
 */

/**
 * Complementary error function to ~1e-14 relative: the Taylor series of erf below 2.5, the
 * continued fraction of erfc above (evaluated backwards, fixed depth, so it is deterministic).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (x > 27) return 0; // below the smallest double
  let f = x;
  for (let k = 90; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** P(|N(0,1)| >= |z|). */
export function twoSidedTail(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/** P(N(0,1) >= z): the Q function. */
export function upperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * How sure we are that a statistic this extreme is not chance: the probability that none of
 * `trials` independent normal draws would reach |z|. ~0.94 for z = 4 over 1000 trials, ~1 beyond 5.
 */
export function confidenceFromZ(z: number, trials: number): number {
  const p = twoSidedTail(z);
  const c = Math.exp(-Math.max(1, trials) * p);
  return c < 0 ? 0 : c > 1 ? 1 : c;
}

/**
 * Maps a non-negative strength to [0, 1): 0 at 0, 0.5 at `half`, -> 1 as it grows. Rational
 * (no exp) so it stays monotone and cheap on the per-point path.
 */
export function strengthScore(x: number, half: number): number {
  const a = x * x;
  return a / (a + half * half);
}
