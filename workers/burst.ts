/**
 * Burst model: how far this series' own normal excursions reach, so a bursty counter's usual
 * bursts stop opening episodes while a series without bursts keeps the plain threshold.
 *
 * Peaks over a threshold (as streaming POT / SPOT detectors do), per side of the baseline: a run
 * of points whose inclusive z stays past the watch level u = WATCH_SHARE · zThreshold on one
 * side is one excursion; when it ends as normal, its peak joins that side's tail sample — a
 * decayed count c and a decayed sum s of excesses (|peak| − u), both decaying by (1 − 1/memory)
 * per point, so they describe about the last `memory` points. The excesses are taken as
 * exponential with mean β = s / c (the tail of most noise shapes beyond a high level), the
 * excursion rate as r = c / n (n: the decayed count of points seen, same decay). The bar at
 * which this side's tail is passed as rarely as Gaussian noise passes zThreshold on one side
 * (q = ½ · P(|N| ≥ zThreshold)) is
 *
 *     T = u + β · ln(r / q)
 *
 * and a deviation on that side opens an episode only at |z| ≥ max(zThreshold, T). For Gaussian
 * noise (u = 3 at zThreshold 4: r ≈ 0.00135, β ≈ 0.28) T ≈ 4.06, the plain threshold; but the
 * model is only *engaged* once a side has clearly more excursions than Gaussian noise gives
 * (c ≥ MIN_EXCURSIONS and c ≥ EXCESS_FACTOR · P(N ≥ u) · n): a series without bursts is judged
 * exactly as without the model. The sides are apart because bursts of a counter go one way: its
 * drops stay judged against the plain threshold.
 *
 * Why not the anomaly likelihood (likelihood.ts, docs/detection.md): a Gaussian over short-term
 * score levels fits a mixture of "quiet" and "a burst lately" badly, and it gates by the recent
 * average, which dilutes a lone real outlier tenfold. This model keeps the point test (a real
 * outlier is still one point against the baseline) and only moves its bar, by how large this
 * series' normal excursions have been, over a memory of windows, not ten points. An excursion
 * that opens an episode does not join the sample (so the rising edge of a real spike cannot lift
 * the bar ahead of itself); counting it censored at the bar was tried and rejected (detection.md).
 *
 * Decay is applied lazily (when an excursion ends or the bar is asked for, i.e. when a point
 * passes zThreshold): per point the cost is a comparison or two. State: BURST_SLOTS Float64
 * slots; all zero is a valid empty model (how a state from before this model restores).
 */
import { twoSidedTail } from './probability.ts';

/** Watch level as a share of zThreshold: excursions past it are this series' tail sample. */
export const WATCH_SHARE = 0.75;
/** A side engages with at least this many (decayed) excursions past the watch level... */
export const MIN_EXCURSIONS = 3;
/** ...and at least this many times what Gaussian noise gives over the points tested. */
export const EXCESS_FACTOR = 3;

/** Offsets of the model's slots from its base. */
export const B = {
  countUp: 0, // decayed count of normal excursions above +watch
  excessUp: 1, // decayed sum of their peak z − watch
  countDown: 2, // the same below −watch
  excessDown: 3,
  last: 4, // pointsSeen the sums were last decayed to
  run: 5, // signed peak z of the excursion under way (0: none)
} as const;
export const BURST_SLOTS = 6;
/** Offset of the down side's slots from the up side's. */
const SIDE = 2;

/** Constants of the model, from the detector params (computed once per detector). */
export interface BurstConfig {
  /** ln(1 − 1/memory): the per-point log decay. */
  logDecay: number;
  /** 1 / (1 − decay): the decayed point count's limit. */
  memory: number;
  watch: number;
  /** ln(P(N ≥ zThreshold)): the one-sided rate the bar is calibrated to. */
  logTarget: number;
  /** P(N ≥ watch): Gaussian noise's rate of one-sided watch exceedances. */
  gaussianRate: number;
  zThreshold: number;
}

export function burstConfig(memory: number, zThreshold: number): BurstConfig {
  const watch = WATCH_SHARE * zThreshold;
  return {
    logDecay: Math.log(1 - 1 / memory),
    memory,
    watch,
    logTarget: Math.log(0.5 * twoSidedTail(zThreshold)),
    gaussianRate: 0.5 * twoSidedTail(watch),
    zThreshold,
  };
}

function decayTo(f: Float64Array, base: number, seen: number, c: BurstConfig): void {
  const dt = seen - f[base + B.last];
  if (dt > 0) {
    const k = Math.exp(dt * c.logDecay);
    for (let j = 0; j < 2 * SIDE; j++) f[base + j] *= k;
    f[base + B.last] = seen;
  }
}

/**
 * A point judged normal, deviating by (inclusive, signed) z: extends the excursion under way,
 * starts one, or ends it (its peak joins its side's sample). Non-finite z says nothing.
 */
export function observeNormal(f: Float64Array, base: number, seen: number, z: number, c: BurstConfig): void {
  if (!Number.isFinite(z)) return;
  const run = f[base + B.run];
  const past = z >= c.watch ? 1 : z <= -c.watch ? -1 : 0;
  if (past !== 0 && (run === 0 || run > 0 === past > 0)) {
    if (z * past > run * past) f[base + B.run] = z;
    return;
  }
  if (run === 0) return;
  f[base + B.run] = past !== 0 ? z : 0;
  decayTo(f, base, seen, c);
  const side = base + (run > 0 ? 0 : SIDE);
  const excess = (run > 0 ? run : -run) - c.watch;
  f[side + B.countUp] += 1;
  f[side + B.excessUp] += excess;
}

/** The excursion under way became an anomaly episode: it is not part of the normal tail. */
export function dropRun(f: Float64Array, base: number): void {
  f[base + B.run] = 0;
}

/**
 * The |z| a point deviating by z (signed) must reach to open an episode: zThreshold, or above
 * it when this series' normal excursions on that side have been clearly more frequent and
 * larger than Gaussian noise's.
 */
export function burstThreshold(f: Float64Array, base: number, seen: number, z: number, c: BurstConfig): number {
  decayTo(f, base, seen, c);
  const side = base + (z > 0 ? 0 : SIDE);
  const count = f[side + B.countUp];
  // decayed count of the points seen (this one included; the warm-up's few are counted too,
  // which only makes the model a little slower to engage)
  const n = (1 - Math.exp(seen * c.logDecay)) * c.memory;
  if (!(count >= MIN_EXCURSIONS) || !(count >= EXCESS_FACTOR * c.gaussianRate * n)) return c.zThreshold;
  const m = f[side + B.excessUp] / count;
  const logRatio = Math.log(count / n) - c.logTarget;
  const t = c.watch + m * logRatio;
  // NaN (a corrupted state) falls back to the plain threshold
  return t > c.zThreshold ? t : c.zThreshold;
}

/** An empty model. */
export function resetBurst(f: Float64Array, base: number): void {
  for (let k = 0; k < BURST_SLOTS; k++) f[base + k] = 0;
}
