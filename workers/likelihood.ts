/**
 * Anomaly likelihood: "how unusual is this raw score for this series lately", in the spirit of
 * Numenta's anomaly likelihood over HTM's raw score (Ahmad et al. 2017). Per point:
 *
 *  1. the raw score s in [0, 1] joins a short ring; its mean a is the short-term score level;
 *  2. a is judged against the long-term distribution of such means — mean μ and sd σ of the
 *     short means over the last `blocks` completed blocks of `blockPoints` points (a sliding
 *     history, re-estimated once per block as Numenta re-estimates every 100 points), floored so
 *     a series that never scored anything does not turn its first blip into a certainty;
 *  3. the tail p = Q((a − μ) / σ) (upper tail only: a score level lower than usual is not an
 *     anomaly; Numenta's reflection makes it one), filtered like Numenta's: a tail in the red zone
 *     (≤ RED_TAIL) right after another red one is lifted to YELLOW_TAIL, so a long excursion is
 *     red where it starts rather than on every point;
 *  4. the log scale ln(p + 1e-10) / ln(1e-10) in [0, 1]: 0.03 at p = ½, 0.3 at p = 10⁻³, 0.5 at
 *     p = 10⁻⁵, → 1 as p → 0 (Numenta's computeLogLikelihood).
 *
 * All state is a fixed run of Float64 slots (LIKELIHOOD_SLOTS) in the series state buffer,
 * updated in place: no allocation per point, the same numbers on any thread, and restorable from
 * bytes. The exact running sums are recomputed from the block ring at every block end, so no
 * rounding drift accumulates however long the series runs.
 *
 * Pure functions over (slots, base offset): the detector decides what the raw score is and what
 * it does with the result.
 */
import * as probability from './probability.ts';

// module-local binding: tsx's CommonJS transform makes imported bindings getters (see series-detector.ts)
const { upperTail } = probability;

/** Raw scores averaged into the short-term level (Numenta: 10). */
export const SHORT_POINTS = 10;
/** Completed blocks kept as the long-term history. */
export const HISTORY_BLOCKS = 16;
/** Short-term means a distribution needs before it is used (Numenta: 100 estimation samples). */
export const MIN_HISTORY = 100;
/**
 * Floors of the long-term distribution (Numenta's estimateNormal lower-bound check): a mean of
 * at least 0.03 and a variance of at least 0.0003, on a raw score in [0, 1].
 */
export const MEAN_FLOOR = 0.03;
export const SD_FLOOR = Math.sqrt(0.0003);
/** Numenta's filter: red zone at a likelihood of 0.99999, repeats lowered to 0.999. */
export const RED_TAIL = 1e-5;
export const YELLOW_TAIL = 1e-3;
const LOG_EPSILON = 1e-10;
const LOG_DENOM = Math.log(LOG_EPSILON);
/** Beyond this z the tail is below 1e-11: the log scale reads 1 to three decimals, erfc is skipped. */
const Z_SATURATED = 7;

/** Relative slot of each scalar (from the region's base). */
export const L = {
  points: 0, // points taken in (raw scores)
  shortHead: 1, // ring position of the oldest raw score
  shortCount: 2,
  shortSum: 3,
  blockCount: 4, // short means in the current (open) block
  blockSum: 5,
  blockSumSq: 6,
  ringHead: 7, // oldest completed block
  ringCount: 8,
  mean: 9, // distribution the current block is judged by (NaN until ready)
  sd: 10,
  histCount: 11, // short means behind that distribution
  prevTail: 12, // unfiltered tail of the previous point (the filter's memory)
  last: 13, // newest log likelihood, filtered (what updateLikelihood returned)
  unfiltered: 14, // newest log likelihood before the filter
} as const;
const SCALARS = 16;
const SHORT_AT = SCALARS;
const RING_AT = SHORT_AT + SHORT_POINTS;
/** Slots of the block ring: count, sum, sum of squares per block. */
const BLOCK_SLOTS = 3;

/** Float64 slots the likelihood region takes (fixed: it does not depend on any param). */
export const LIKELIHOOD_SLOTS = RING_AT + HISTORY_BLOCKS * BLOCK_SLOTS;

/** A fresh region: no history, not ready. */
export function resetLikelihood(f: Float64Array, base: number): void {
  f.fill(0, base, base + LIKELIHOOD_SLOTS);
  f[base + L.mean] = NaN;
  f[base + L.sd] = NaN;
  f[base + L.prevTail] = 1;
}

/** Whether the region is past its learning period (it has a distribution to judge by). */
export function likelihoodReady(f: Float64Array, base: number): boolean {
  return f[base + L.mean] === f[base + L.mean];
}

/** ln(p + 1e-10) / ln(1e-10): 0 for p = 1, 1 for p = 0. */
export function logLikelihood(tail: number): number {
  const v = Math.log(tail + LOG_EPSILON) / LOG_DENOM;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * Takes one raw score, returns the log likelihood of the short-term score level in [0, 1]
 * (0 while the region is learning). Non-finite or out-of-range raw scores are clamped into
 * [0, 1] (NaN counts as 0: no evidence), so hostile input cannot poison the sums.
 * `blockPoints` (≥ 1) is how many points one history block spans.
 */
export function updateLikelihood(f: Float64Array, base: number, raw: number, blockPoints: number): number {
  const s = raw > 1 ? 1 : raw >= 0 ? raw : 0;
  f[base + L.points] += 1;

  // 1. short-term level
  let head = f[base + L.shortHead];
  let count = f[base + L.shortCount];
  let sum = f[base + L.shortSum];
  if (count === SHORT_POINTS) {
    sum -= f[base + SHORT_AT + head];
    head = head + 1 === SHORT_POINTS ? 0 : head + 1;
    count -= 1;
  }
  let pos = head + count;
  if (pos >= SHORT_POINTS) pos -= SHORT_POINTS;
  f[base + SHORT_AT + pos] = s;
  count += 1;
  sum += s;
  if (count === SHORT_POINTS && head === 0) {
    // once per lap: the exact sum, so add/remove rounding never accumulates
    sum = 0;
    for (let k = 0; k < SHORT_POINTS; k++) sum += f[base + SHORT_AT + k];
  }
  f[base + L.shortHead] = head;
  f[base + L.shortCount] = count;
  f[base + L.shortSum] = sum;
  const level = sum / count;

  // 2. judge it by the distribution of earlier levels (not by its own block)
  let out = 0;
  let unfiltered = 0;
  const mean = f[base + L.mean];
  if (mean === mean) {
    const z = (level - mean) / f[base + L.sd];
    let tail = z <= 0 ? 0.5 : z >= Z_SATURATED ? 0 : upperTail(z);
    const raw = tail;
    if (tail <= RED_TAIL && f[base + L.prevTail] <= RED_TAIL) tail = YELLOW_TAIL;
    f[base + L.prevTail] = raw;
    out = logLikelihood(tail);
    unfiltered = tail === raw ? out : logLikelihood(raw);
  }
  f[base + L.last] = out;
  f[base + L.unfiltered] = unfiltered;

  // 3. the level joins the history once the short ring is full (a part-filled ring is warm-up)
  if (count === SHORT_POINTS) {
    const n = f[base + L.blockCount] + 1;
    f[base + L.blockCount] = n;
    f[base + L.blockSum] += level;
    f[base + L.blockSumSq] += level * level;
    if (n >= blockPoints) closeBlock(f, base);
  }
  return out;
}

/** The open block joins the ring (the oldest leaves a full one); the distribution is re-estimated. */
function closeBlock(f: Float64Array, base: number): void {
  const ringCount = f[base + L.ringCount];
  let head = f[base + L.ringHead];
  let slot: number;
  if (ringCount === HISTORY_BLOCKS) {
    slot = head;
    head = head + 1 === HISTORY_BLOCKS ? 0 : head + 1;
    f[base + L.ringHead] = head;
  } else {
    slot = (head + ringCount) % HISTORY_BLOCKS;
    f[base + L.ringCount] = ringCount + 1;
  }
  const at = base + RING_AT + slot * BLOCK_SLOTS;
  f[at] = f[base + L.blockCount];
  f[at + 1] = f[base + L.blockSum];
  f[at + 2] = f[base + L.blockSumSq];
  f[base + L.blockCount] = 0;
  f[base + L.blockSum] = 0;
  f[base + L.blockSumSq] = 0;

  let n = 0;
  let sum = 0;
  let sumSq = 0;
  const blocks = f[base + L.ringCount];
  for (let k = 0; k < blocks; k++) {
    const b = base + RING_AT + k * BLOCK_SLOTS;
    n += f[b];
    sum += f[b + 1];
    sumSq += f[b + 2];
  }
  f[base + L.histCount] = n;
  if (n < MIN_HISTORY) return;
  const mu = sum / n;
  // levels are in [0, 1] and n is bounded, so the one-pass variance loses nothing that matters
  const variance = sumSq / n - mu * mu;
  const sd = variance > 0 ? Math.sqrt(variance) : 0;
  f[base + L.mean] = mu > MEAN_FLOOR ? mu : MEAN_FLOOR;
  f[base + L.sd] = sd > SD_FLOOR ? sd : SD_FLOOR;
}

/**
 * The newest point's log likelihood before the red/yellow filter: "is this level unusual",
 * whatever the points before it were (the filter answers "is this where it starts").
 */
export function unfilteredLikelihood(f: Float64Array, base: number): number {
  return f[base + L.unfiltered];
}

/** Read-only view for summaries and tests. */
export function inspectLikelihood(f: Float64Array, base: number): { points: number; ready: boolean; mean: number; sd: number; history: number; last: number } {
  return {
    points: f[base + L.points],
    ready: likelihoodReady(f, base),
    mean: f[base + L.mean],
    sd: f[base + L.sd],
    history: f[base + L.histCount],
    last: f[base + L.last],
  };
}
