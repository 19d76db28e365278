/**
 * Report rarity: how often this series has lately made reports at least as strong as the one
 * being made now. A new report's confidence is divided by (1 + that rate)^0.75, so a series that
 * already reported ten excursions of this size scores its eleventh lower, while a report
 * clearly stronger than anything the series reported lately keeps its full confidence.
 *
 * A report's strength is its score s ∈ [0, 1) read back in units of its test's threshold,
 * ρ = √(s / (1 − s)) (every test scores x² / (x² + threshold²), so ρ = x / threshold: |z| / zThreshold
 * for a point episode, the slope test's t / trendThreshold or departure / zThreshold for a
 * trend). The strengths of past new reports are summarised as a Pareto tail above ρ = 1 (the
 * threshold): a decayed count c and a decayed sum of ln ρ, both decaying by e^(−1/memory) per
 * point, so α = c / Σ ln ρ and the rate of reports at least as strong as ρ is c · ρ^(−α). Two
 * numbers describe a heavy tail (NAB's false positives are large deviations on heavy-tailed
 * series: median |z| 9.8) better than a count alone, which discounts a report by how many came
 * before it whatever their size.
 *
 * Per point the two sums are multiplied by the decay (the scalar slots are taken, so there is no
 * room for the time of the last update a lazy decay would need). State: RARITY_SLOTS Float64 slots
 * in the state header's reserved bytes; all zero is the valid empty state (how a state written
 * before this model restores: it simply starts learning). Pure functions over the state array.
 */

/** Offsets of the model's slots from its base. */
export const R = {
  count: 0, // decayed count of new reports
  sumLog: 1, // decayed sum of their ln ρ (ρ floored at 1)
} as const;
export const RARITY_SLOTS = 2;

/**
 * Exponent of the discount. NAB (all three profiles, auto and none) over 0.5 / 0.75 / 1 at
 * memories of 8 – 32 windows: 0.75 best or within 0.5 of the best (docs/detection.md).
 */
export const DISCOUNT_POWER = 0.75;
/** Strength above which a report counts as unbounded (a clipped score of 1). */
const MAX_RATIO = 1e6;
/** Below this Σ ln ρ the reports made so far all sat at the threshold: the tail is a step. */
const MIN_SUM_LOG = 1e-9;

/** ln ρ of a report's score s (ρ = √(s / (1 − s)), floored at 1: at or below its threshold). */
export function logStrength(score: number): number {
  if (!(score > 0.5)) return 0;
  if (!(score < 1)) return Math.log(MAX_RATIO);
  const r = Math.sqrt(score / (1 - score));
  return r < MAX_RATIO ? Math.log(r) : Math.log(MAX_RATIO);
}

/** e^(−1/memory): what one point multiplies the sums by (computed once per detector). */
export function rarityDecay(memory: number): number {
  return Math.exp(-1 / memory);
}

/** One point's decay of the sums (two multiplications: the per-point cost of the model). */
export function decayRarity(f: Float64Array, base: number, decay: number): void {
  f[base + R.count] *= decay;
  f[base + R.sumLog] *= decay;
}

/**
 * Decayed number of earlier reports at least as strong as ln ρ = `logR` (the Pareto tail's
 * estimate). 0 for a series that has reported nothing lately.
 */
export function rateAtLeast(f: Float64Array, base: number, logR: number): number {
  const c = f[base + R.count];
  if (!(c > 0)) return 0;
  const sum = f[base + R.sumLog];
  const alpha = c / (sum > MIN_SUM_LOG ? sum : MIN_SUM_LOG);
  const rate = c * Math.exp(-alpha * logR);
  return rate === rate ? rate : 0;
}

/**
 * The factor a new report's confidence is multiplied by, from the rate of earlier reports at
 * least as strong: (1 + rate)^−DISCOUNT_POWER (1 for a series that reported nothing like it).
 */
export function rarityDiscount(rate: number): number {
  return rate > 0 ? Math.exp(-DISCOUNT_POWER * Math.log1p(rate)) : 1;
}

/** A new report of strength ln ρ = `logR` joins the series' history. */
export function recordReport(f: Float64Array, base: number, logR: number): void {
  // a NaN-filled (damaged) state must not poison the sums forever
  const c = f[base + R.count];
  const s = f[base + R.sumLog];
  f[base + R.count] = (c === c ? c : 0) + 1;
  f[base + R.sumLog] = (s === s ? s : 0) + (logR > 0 ? logR : 0);
}
