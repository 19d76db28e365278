/**
 * Online seasonal baseline of one series: a cycle of known period (daily unless configured)
 * learned from the timestamps, so the detector can judge the residual (value − seasonal offset)
 * instead of the raw cycle.
 *
 * Model (additive, bounded):
 *  - the period is split into KNOTS equally spaced phase knots of the wall-clock time
 *    (ts mod period, UTC); the seasonal shape at a phase is the linear interpolation of its two
 *    neighbouring knots (piecewise-constant buckets would leave a step error of ~8 % of the
 *    cycle's amplitude at 36 knots, several noise sd on a quiet series);
 *  - the points between two knots (an interval) are only summed as they come, kernel-weighted
 *    towards both knots ((1 − u) and u for a point at fraction u between them) and by the time
 *    each stands for (its gap to the previous point, at most one spacing), so gaps and irregular
 *    sampling weigh by time, not by point count; when the series moves to the next interval the
 *    model learns once from those sums (per knot spacing, not per point: cheap);
 *  - each knot holds a weighted mean of (interval mean − level); it is a running mean until it
 *    has seen KNOT_MEMORY visits, an exponential average over about that many periods after;
 *  - the level is the mean of the last period's interval means, each deseasonalised with the
 *    current shape: a mean over exactly one period holds none of the cycle, a slope makes it lag
 *    by the same amount at every phase (removed by centring the shape: offset = shape − mean of
 *    the knots), and a level that moved within the period (an exponential average does) would
 *    teach the knots a ramp that then repeats — a trend would pass for a cycle;
 *  - during the first period there is no level yet: the knots learn value − the first value and
 *    are moved onto the level once every knot has been visited;
 *  - an interval far from its knot (an anomaly) teaches it as if it were CLIP residual sd away:
 *    one outlier barely changes the shape, a changed cycle is still relearned.
 *
 * "Is the series seasonal?" (auto mode): once every knot has been visited, each interval's mean
 * is predicted from the knots BEFORE they learn from it (out of sample), and the share of the
 * variance of (interval mean − level) the prediction explains, R = 1 − E[r²] / Var[e], is
 * averaged over about R_MEMORY periods. Noise, a trend or a random walk has R ≤ 0 (the knots
 * only add their own estimation noise); a cycle of amplitude A over noise σ with n points per
 * interval has R ≈ (A²/2) / (A²/2 + σ²/n). The cycle is declared at R ≥ R_ON once R_MIN_SPAN of
 * a period has been predicted, and dropped again only below R_OFF (hysteresis: no flapping
 * around one threshold). A forced period (config) is declared as soon as every knot has been
 * visited, without the test.
 *
 * `wanted` is that decision; `on` is what the detector's stored points are expressed in (raw or
 * residual). The detector moves `on` to `wanted` when it can convert its rings (centredShape at
 * each stored point's time), so the two differ only while it has to wait (an open episode).
 *
 * State: a fixed region of SEASON_SLOTS Float64 slots in the series state (scalars, then Float32
 * knot means, knot weights and the interval ring: the shape and the ring hold values relative
 * to the level or the first value, where ~7 digits are plenty). Pure functions over (Float64
 * view, Float32 view, base).
 */

/** Phase knots per period (36: every 40 minutes of a daily cycle; what fits the 20 KiB state). */
export const KNOTS = 36;
/** Visits after which a knot stops being a running mean and becomes an exponential average. */
export const KNOT_MEMORY = 5;
/** A level from fewer valid intervals of the last period than this share is not trusted. */
const MIN_LEVEL_SHARE = 0.5;
/** Periods the explained-variance averages span (running means until then). */
export const R_MEMORY = 2;
/** Share of a period that must have been predicted out of sample before deciding. */
export const R_MIN_SPAN = 0.25;
/** Explained-variance share that declares the cycle, and the one below which it is dropped. */
export const R_ON = 0.3;
export const R_OFF = 0.15;
/** A knot needs this much weight (visits) before it predicts. */
const MIN_KNOT_WEIGHT = 0.5;
/** A learning target is held within this many residual sd of the prediction. */
const CLIP = 4;

/** The daily period, the one auto mode looks for. */
export const DAY_MS = 86_400_000;

/** seasonPeriod values (seconds) with a meaning of their own. */
export const SEASON_AUTO = -1;
export const SEASON_NONE = 0;

/** Relative Float64 slot of each scalar (from the region's base). */
export const Z = {
  periodMs: 0, // > 0 the period modelled; 0 = none
  forced: 1, // 1: period given by config (no explained-variance test)
  lastTs: 2, // newest point's timestamp (NaN before the first)
  level: 3,
  shifted: 4, // 1 once the knots, first learned against `ref`, were moved onto the level
  rWeight: 5, // knot spacings predicted out of sample (capped at R_MEMORY periods)
  eMean: 6, // average of (value − level) over the predicted points
  eSq: 7, // average of (value − level)²
  rSq: 8, // average of (value − level − prediction)²
  center: 9, // mean of the knot means (recomputed when the phase moves to another knot)
  covered: 10, // knots with weight ≥ MIN_KNOT_WEIGHT (recomputed with center)
  interval: 11, // floor(ts / knot spacing) of the interval being accumulated (NaN before the first point)
  wanted: 12, // 1: the decision says seasonal
  on: 13, // 1: the detector's stored points are residuals
  explained: 14, // latest R (NaN until there is one)
  configured: 15, // the seasonPeriod the region was set up for (-1 auto, 0 none, seconds)
  // the open interval's points, kernel-weighted towards its start knot (1) and its end knot (2)
  acc1: 16,
  acc1x: 17,
  acc2: 18,
  acc2x: 19,
  ref: 20, // the first value: the reference of the first period and of the interval ring
} as const;
const SCALARS = 24;

/**
 * Float64 slots the seasonal region takes (fixed): the scalars, then Float32 runs of KNOTS knot
 * means, KNOTS knot weights and KNOTS interval means (the last period, value − ref; NaN where an
 * interval had no point).
 */
export const SEASON_SLOTS = SCALARS + (3 * KNOTS) / 2;

/** Float32 index of knot j's mean; its weight is KNOTS further on, the interval ring 2·KNOTS on. */
function knotsAt(base: number): number {
  return 2 * (base + SCALARS);
}

/**
 * A fresh region. `periodSeconds`: SEASON_AUTO (look for a daily cycle), SEASON_NONE (no model)
 * or a known period in seconds (modelled without a test).
 */
export function resetSeason(f: Float64Array, f32: Float32Array, base: number, periodSeconds: number): void {
  f.fill(0, base, base + SEASON_SLOTS);
  f[base + Z.periodMs] = periodSeconds === SEASON_AUTO ? DAY_MS : periodSeconds > 0 ? periodSeconds * 1000 : 0;
  f[base + Z.forced] = periodSeconds > 0 ? 1 : 0;
  f[base + Z.lastTs] = NaN;
  f[base + Z.interval] = NaN;
  f[base + Z.explained] = NaN;
  f[base + Z.configured] = periodSeconds;
  f32.fill(0, knotsAt(base), knotsAt(base) + 2 * KNOTS);
  f32.fill(NaN, knotsAt(base) + 2 * KNOTS, knotsAt(base) + 3 * KNOTS);
}

/** The seasonPeriod (seconds, -1 auto, 0 none) this region was set up for. */
export function configuredPeriod(f: Float64Array, base: number): number {
  return f[base + Z.configured];
}

/** Interpolated knot shape at ts (uncentred), or NaN where a neighbouring knot has not learned. */
function shapeAt(f: Float64Array, f32: Float32Array, base: number, ts: number, minWeight: number): number {
  const period = f[base + Z.periodMs];
  const spacing = period / KNOTS;
  let phase = (ts % period) / spacing;
  if (phase < 0) phase += KNOTS;
  let j = Math.floor(phase);
  if (j >= KNOTS) j = 0;
  const u = phase - j;
  const j2 = j + 1 === KNOTS ? 0 : j + 1;
  const k = knotsAt(base);
  const w1 = f32[k + KNOTS + j];
  const w2 = f32[k + KNOTS + j2];
  if (w1 >= minWeight && w2 >= minWeight) return (1 - u) * f32[k + j] + u * f32[k + j2];
  if (w1 >= minWeight && u <= 0.5) return f32[k + j];
  if (w2 >= minWeight && u >= 0.5) return f32[k + j2];
  return NaN;
}

/**
 * The seasonal offset the detector subtracts at ts: centred knot shape while `on`, else 0.
 * (Every knot has learned by then: the cycle is only declared once all are covered.)
 */
export function seasonOffset(f: Float64Array, f32: Float32Array, base: number, ts: number): number {
  if (f[base + Z.on] === 0) return 0;
  return shapeAt(f, f32, base, ts, 0) - f[base + Z.center];
}

/** Centred offset at ts from the current knots, whatever `on` says (for converting stored points). */
export function centredShape(f: Float64Array, f32: Float32Array, base: number, ts: number): number {
  return shapeAt(f, f32, base, ts, 0) - f[base + Z.center];
}

function recount(f: Float64Array, f32: Float32Array, base: number): void {
  const k = knotsAt(base);
  let sum = 0;
  let n = 0;
  let covered = 0;
  for (let j = 0; j < KNOTS; j++) {
    const w = f32[k + KNOTS + j];
    if (w > 0) {
      sum += f32[k + j];
      n++;
    }
    if (w >= MIN_KNOT_WEIGHT) covered++;
  }
  f[base + Z.center] = n > 0 ? sum / n : 0;
  f[base + Z.covered] = covered;
}

function learnKnot(f32: Float32Array, k: number, j: number, inc: number, value: number, lim: number): void {
  if (!(inc > 0)) return;
  const w0 = f32[k + KNOTS + j];
  const w = w0 + inc;
  const m = f32[k + j];
  const target = w0 === 0 ? value : value > m + lim ? m + lim : value < m - lim ? m - lim : value;
  if (w0 === 0) f32[k + j] = target;
  else f32[k + j] += (inc / (w < KNOT_MEMORY ? w : KNOT_MEMORY)) * (target - m);
  f32[k + KNOTS + j] = w < KNOT_MEMORY ? w : KNOT_MEMORY;
}

/**
 * Takes in one point (raw value, in time order) and returns the current decision (`wanted`: 1
 * seasonal, 0 not). A region with no period does nothing and returns 0.
 *
 * Per point this only accumulates: the points between two knots are summed, kernel-weighted
 * towards both (4 additions), and the model learns from their weighted means when the series
 * moves on to the next interval (flushInterval) — once per knot spacing, not once per point, so a
 * series sampled every second costs almost nothing more than one without a model.
 */
export function updateSeason(f: Float64Array, f32: Float32Array, base: number, ts: number, x: number): number {
  const period = f[base + Z.periodMs];
  if (!(period > 0)) return 0;
  const spacing = period / KNOTS;
  const last = f[base + Z.lastTs];
  const pos = ts / spacing;
  const interval = Math.floor(pos);
  if (last !== last) {
    f[base + Z.ref] = x;
    f[base + Z.level] = x;
    f[base + Z.interval] = interval;
  } else if (interval !== f[base + Z.interval]) {
    const previous = f[base + Z.interval];
    flushInterval(f, f32, base);
    // intervals skipped by a gap hold no mean of the last period
    const ring = knotsAt(base) + 2 * KNOTS;
    const stop = interval - previous > KNOTS ? previous + KNOTS : interval - 1;
    for (let q = previous + 1; q <= stop; q++) {
      let slot = q % KNOTS;
      if (slot < 0) slot += KNOTS;
      f32[ring + slot] = NaN;
    }
    f[base + Z.interval] = interval;
  }
  let dt = last === last ? ts - last : spacing;
  if (dt < 0) dt = 0;
  if (!(last >= ts)) f[base + Z.lastTs] = ts;
  // weight by the time a point stands for (its gap, at most one spacing): gaps and irregular steps
  const frac = dt < spacing ? dt / spacing : 1;
  const w2 = frac * (pos - interval);
  const w1 = frac - w2;
  f[base + Z.acc1] += w1;
  f[base + Z.acc1x] += w1 * x;
  f[base + Z.acc2] += w2;
  f[base + Z.acc2x] += w2 * x;
  return f[base + Z.wanted];
}

/** The model learns from the interval just ended: its knots, the level, the explained variance, the decision. */
function flushInterval(f: Float64Array, f32: Float32Array, base: number): void {
  const a1 = f[base + Z.acc1];
  const a2 = f[base + Z.acc2];
  const weight = a1 + a2;
  const a1x = f[base + Z.acc1x];
  const a2x = f[base + Z.acc2x];
  f[base + Z.acc1] = 0;
  f[base + Z.acc1x] = 0;
  f[base + Z.acc2] = 0;
  f[base + Z.acc2x] = 0;
  if (!(weight > 0)) return;
  const interval = f[base + Z.interval];
  let j = interval % KNOTS;
  if (j < 0) j += KNOTS;
  const j2 = j + 1 === KNOTS ? 0 : j + 1;
  const u = a2 / weight; // mean phase of the interval's points between its knots
  const xMean = (a1x + a2x) / weight;
  const k = knotsAt(base);
  // Once every knot has learned (weights never fall), the centre is kept up to date by the knot
  // updates below and recounted exactly once per period only: a recount every interval was
  // the larger part of the model's cost on series sampled every minute.
  if (f[base + Z.shifted] === 0 || j === 0) recount(f, f32, base);

  // Level: the mean of the last period's interval means, each deseasonalised (so a period
  // with gaps is not biased by the phases it misses). A level over exactly one period holds
  // none of the cycle, and a slope makes it lag by the same amount at every phase, which the
  // centring removes. Until the knots cover a whole period there is no shape to deseasonalise
  // with: the knots learn value − ref (the first value), then are moved onto the level once.
  const covered = f[base + Z.covered] === KNOTS;
  const ring = k + 2 * KNOTS;
  const ref = f[base + Z.ref];
  if (covered) {
    if (f[base + Z.shifted] === 0) {
      const c = f[base + Z.center];
      for (let q = 0; q < KNOTS; q++) f32[k + q] -= c;
      f[base + Z.shifted] = 1;
      f[base + Z.eMean] = 0;
      f[base + Z.eSq] = 0;
      f[base + Z.rSq] = 0;
      f[base + Z.rWeight] = 0;
      recount(f, f32, base);
    }
    const c = f[base + Z.center];
    let sum = 0;
    let n = 0;
    for (let q = 0; q < KNOTS; q++) {
      const v = f32[ring + q];
      if (v !== v) continue;
      const q2 = q + 1 === KNOTS ? 0 : q + 1;
      sum += v - (0.5 * (f32[k + q] + f32[k + q2]) - c);
      n++;
    }
    if (n >= MIN_LEVEL_SHARE * KNOTS) f[base + Z.level] = ref + sum / n;
  }
  f32[ring + j] = xMean - ref;
  const level = f[base + Z.level];
  const e = xMean - level;

  // out-of-sample prediction of the interval's mean from earlier visits
  const w1 = f32[k + KNOTS + j];
  const w2 = f32[k + KNOTS + j2];
  let lim = Infinity;
  if (w1 >= MIN_KNOT_WEIGHT && w2 >= MIN_KNOT_WEIGHT) {
    const pred = (1 - u) * f32[k + j] + u * f32[k + j2];
    const r = e - pred;
    const cap = R_MEMORY * KNOTS;
    const rw = f[base + Z.rWeight] + weight;
    const n = rw < cap ? rw : cap;
    f[base + Z.rWeight] = n;
    const g = weight / n;
    const rSqOld = f[base + Z.rSq];
    f[base + Z.eMean] += g * (e - f[base + Z.eMean]);
    f[base + Z.eSq] += g * (e * e - f[base + Z.eSq]);
    f[base + Z.rSq] += g * (r * r - rSqOld);
    // an anomaly teaches the shape as if it were CLIP residual sd away: one outlier barely
    // moves a knot, a changed cycle is still relearned
    if (rSqOld > 0) lim = CLIP * Math.sqrt(rSqOld);
  }
  const m1 = f32[k + j];
  const m2 = f32[k + j2];
  learnKnot(f32, k, j, a1, (a1x / (a1 > 0 ? a1 : 1)) - level, lim);
  learnKnot(f32, k, j2, a2, (a2x / (a2 > 0 ? a2 : 1)) - level, lim);
  if (f[base + Z.shifted] === 1) f[base + Z.center] += (f32[k + j] - m1 + (f32[k + j2] - m2)) / KNOTS;

  // the decision
  let wanted = f[base + Z.wanted];
  if (f[base + Z.forced] === 1) wanted = covered ? 1 : 0;
  else if (covered && f[base + Z.rWeight] >= R_MIN_SPAN * KNOTS) {
    const mean = f[base + Z.eMean];
    const total = f[base + Z.eSq] - mean * mean;
    const explained = total > 0 ? 1 - f[base + Z.rSq] / total : 0;
    f[base + Z.explained] = explained;
    if (wanted === 0 && explained >= R_ON) wanted = 1;
    else if (wanted === 1 && explained < R_OFF) wanted = 0;
  }
  f[base + Z.wanted] = wanted;
}

/**
 * True while the model may still find a cycle it has not modelled yet: auto mode before its
 * first decision, or a configured period before every knot has learned. A cycle seen through
 * less than a period looks like a slope change, so the trend test holds its reports meanwhile.
 */
export function seasonUndecided(f: Float64Array, base: number): boolean {
  if (f[base + Z.on] === 1) return false;
  if (f[base + Z.forced] === 1) return true;
  const explained = f[base + Z.explained];
  return explained !== explained;
}

/**
 * A trend-test window spanning less than this share of the period sees too little of a cycle
 * for its curvature to pass for a slope change, so it is not held while the model is undecided
 * (a series sampled every second gets its trend test from the start). Measured without the
 * model, the default 400-point window over a daily sine 200 noise sd high: no trend_change at
 * 1 – 5 s steps (≤ 1/43 of a day), ~30 a day at 7 – 10 s (1/31 – 1/22); 1000 sd high: none at
 * 1 – 2 s (≤ 1/108), ~30 a day at 3 s (1/72). 1/64 (22.5 minutes of a day) holds the 5-second
 * windows and leaves 1 – 3-second ones to the test (docs/detection.md).
 */
export const TREND_HOLD_SPAN = 1 / 64;

/**
 * Whether the trend test must hold a report over a window spanning `spanMs`: while the model is
 * undecided (seasonUndecided) and the window covers enough of the period to mistake a cycle for
 * a slope change.
 */
export function seasonHoldsTrend(f: Float64Array, base: number, spanMs: number): boolean {
  return spanMs >= TREND_HOLD_SPAN * f[base + Z.periodMs] && seasonUndecided(f, base);
}

export interface SeasonSummary {
  periodMs: number;
  forced: boolean;
  wanted: boolean;
  on: boolean;
  /** Latest explained-variance share (NaN before the first decision). */
  explained: number;
  knotsCovered: number;
}

/** Read-only view for tests and stats pages. */
export function inspectSeason(f: Float64Array, base: number): SeasonSummary {
  return {
    periodMs: f[base + Z.periodMs],
    forced: f[base + Z.forced] === 1,
    wanted: f[base + Z.wanted] === 1,
    on: f[base + Z.on] === 1,
    explained: f[base + Z.explained],
    knotsCovered: f[base + Z.covered],
  };
}
