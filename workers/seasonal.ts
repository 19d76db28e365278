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
 * Weekly component (auto mode only): a weekend dip or a busier Monday, seen through the daily
 * knots, is a level that moves for a day or two — the daily level lags it and the detector
 * reports it as drops, pattern and trend changes every week. On top of the daily knots, 28
 * weekly knots (every 6 hours of the week) learn the day-of-week deviation of the daily
 * intervals' means with the daily shape removed, by the same scheme one level up: 6-hour
 * interval means, a level that is the mean of the last week's, knots learnt once per 6-hour
 * interval (running mean, then an exponential average over WEEK_MEMORY weeks), the same
 * out-of-sample explained-variance test (R_ON / R_OFF over W_R_MEMORY weeks) declaring it. The
 * weekly knots are kept centred per time of day, so the daily knots keep the average day and
 * the weekly ones only what differs by weekday; once declared, the daily knots and the daily
 * level learn from the values without it. It needs a week to cover its knots and a day more
 * to decide: the first weekend is still seen raw.
 *
 * `wanted` is that decision (bits DAILY | WEEKLY); `on` is what the detector's stored points are
 * expressed without (0: raw). The detector moves `on` to `wanted` when it can convert its rings
 * (offsetFor at each stored point's time), so the two differ only while it has to wait (an open
 * episode).
 *
 * State: a fixed region of SEASON_SLOTS Float64 slots in the series state (scalars, then Float32
 * knot means, knot weights and the interval ring, then the weekly ones: the shapes and the rings
 * hold values relative to the level or the first value, where ~7 digits are plenty). Pure
 * functions over (Float64 view, Float32 view, base).
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
/** The weekly component's period (auto mode only, on top of the daily knots). */
export const WEEK_MS = 7 * DAY_MS;
/** Weekly knots: every 6 hours of the week (4 per day; the shape between is linear). */
export const WEEK_KNOTS = 28;
const WEEK_SPACING = WEEK_MS / WEEK_KNOTS;
const SLOTS_PER_DAY = WEEK_KNOTS / 7;
/** Weeks a weekly knot remembers (running mean until then, exponential average after). */
const WEEK_MEMORY = 3;
/** Weeks the weekly explained-variance averages span. */
const W_R_MEMORY = 2;
/**
 * Share of a week that must have been predicted out of sample before deciding on the weekly
 * component: 28 six-hour means a week make a short average noisy. Over 35 days of uniform noise
 * at 1-minute steps, 18 of 200 series were declared weekly for a while at 1/7, 9 at 2/7, 3 at
 * 1/2 (the daily test: 4 – 9 of 200, from its first decision).
 */
const W_R_MIN_SPAN = 1 / 2;

/** Bits of Z.wanted / Z.on: which components are modelled (stored points expressed without them). */
export const DAILY = 1;
export const WEEKLY = 2;

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
  // rWeight..rSq (and wRWeight..wRSq) are consecutive: addPrediction / explainedShare read them so
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
  // the weekly component (auto mode): day-of-week deviations from the daily shape
  wInterval: 21, // floor(t / 6 h) of the weekly interval being accumulated (NaN before the first)
  wFirst: 22, // the first weekly interval since the component was (re)started
  wAcc1: 23,
  wAcc1x: 24,
  wAcc2: 25,
  wAcc2x: 26,
  wRWeight: 27,
  wEMean: 28,
  wESq: 29,
  wRSq: 30,
  wExplained: 31, // latest weekly R (NaN until there is one)
  wCovered: 32, // 1 once every weekly knot has learned (then they are kept centred)
  wDaily: 33, // the daily decision the weekly component learns under (a change restarts it)
  // the open 6-hour interval's weekly prediction, kernel-weighted like wAcc1x / wAcc2x
  wAcc1p: 34,
  wAcc2p: 35,
} as const;
const SCALARS = 36;

/**
 * Float64 slots the seasonal region takes (fixed): the scalars, then Float32 runs of KNOTS knot
 * means, KNOTS knot weights and KNOTS interval means (the last period, value − ref; NaN where an
 * interval had no point), then WEEK_KNOTS weekly knot means, weights and 6-hour interval means
 * (the last week, value − daily shape − ref).
 */
export const SEASON_SLOTS = SCALARS + (3 * KNOTS + 3 * WEEK_KNOTS) / 2;

/** Float32 index of knot j's mean; its weight is KNOTS further on, the interval ring 2·KNOTS on. */
function knotsAt(base: number): number {
  return 2 * (base + SCALARS);
}

/** Float32 index of weekly knot j's mean; weights WEEK_KNOTS further on, the 6-hour ring 2·WEEK_KNOTS on. */
function weekAt(base: number): number {
  return 2 * (base + SCALARS) + 3 * KNOTS;
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
  resetWeek(f, f32, base);
}

/** Restarts the weekly component (also when the daily decision it learns under changes). */
function resetWeek(f: Float64Array, f32: Float32Array, base: number): void {
  f[base + Z.wInterval] = NaN;
  f[base + Z.wFirst] = NaN;
  f[base + Z.wAcc1] = 0;
  f[base + Z.wAcc1x] = 0;
  f[base + Z.wAcc2] = 0;
  f[base + Z.wAcc2x] = 0;
  f[base + Z.wAcc1p] = 0;
  f[base + Z.wAcc2p] = 0;
  f[base + Z.wRWeight] = 0;
  f[base + Z.wEMean] = 0;
  f[base + Z.wESq] = 0;
  f[base + Z.wRSq] = 0;
  f[base + Z.wExplained] = NaN;
  f[base + Z.wCovered] = 0;
  f[base + Z.wDaily] = f[base + Z.wanted] & DAILY;
  f[base + Z.wanted] = f[base + Z.wanted] & DAILY;
  const w = weekAt(base);
  f32.fill(0, w, w + 2 * WEEK_KNOTS);
  f32.fill(NaN, w + 2 * WEEK_KNOTS, w + 3 * WEEK_KNOTS);
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

/** Weekly knots at ts (kept centred per time of day once covered: day-of-week deviations only). */
function weekShapeAt(f32: Float32Array, base: number, ts: number): number {
  let phase = (ts % WEEK_MS) / WEEK_SPACING;
  if (phase < 0) phase += WEEK_KNOTS;
  let j = Math.floor(phase);
  if (j >= WEEK_KNOTS) j = 0;
  const u = phase - j;
  const j2 = j + 1 === WEEK_KNOTS ? 0 : j + 1;
  const w = weekAt(base);
  return (1 - u) * f32[w + j] + u * f32[w + j2];
}

/**
 * The seasonal offset of the components in `mask` (DAILY | WEEKLY) at ts, from the current
 * knots. (Every knot of a component has learned by the time it is declared.)
 */
export function offsetFor(f: Float64Array, f32: Float32Array, base: number, ts: number, mask: number): number {
  let off = 0;
  if ((mask & DAILY) !== 0) off = centredShape(f, f32, base, ts);
  if ((mask & WEEKLY) !== 0) off += weekShapeAt(f32, base, ts);
  return off;
}

/** Centred daily (or configured-period) shape at ts from the current knots, whatever `on` says. */
export function centredShape(f: Float64Array, f32: Float32Array, base: number, ts: number): number {
  return shapeAt(f, f32, base, ts, 0) - f[base + Z.center];
}

/** The seasonal offset the detector subtracts at ts: that of the components `on`, 0 while none is. */
export function seasonOffset(f: Float64Array, f32: Float32Array, base: number, ts: number): number {
  const on = f[base + Z.on];
  if (on === 0) return 0;
  return offsetFor(f, f32, base, ts, on);
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

/** Knot j of a run of `count` means (weights `count` further on) learns `value`, held within lim of its mean. */
function learnKnot(f32: Float32Array, k: number, count: number, memory: number, j: number, inc: number, value: number, lim: number): void {
  if (!(inc > 0)) return;
  const w0 = f32[k + count + j];
  const w = w0 + inc;
  const m = f32[k + j];
  const target = w0 === 0 ? value : value > m + lim ? m + lim : value < m - lim ? m - lim : value;
  if (w0 === 0) f32[k + j] = target;
  else f32[k + j] += (inc / (w < memory ? w : memory)) * (target - m);
  f32[k + count + j] = w < memory ? w : memory;
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
    clearSkipped(f32, knotsAt(base) + 2 * KNOTS, KNOTS, previous, interval);
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
  takeSums(f, base + Z.acc1);
  const a1 = sums[0];
  const a1x = sums[1];
  const a2 = sums[2];
  const a2x = sums[3];
  const weight = a1 + a2;
  if (!(weight > 0)) return;
  const interval = f[base + Z.interval];
  const j = slotOf(interval, KNOTS);
  const j2 = j + 1 === KNOTS ? 0 : j + 1;
  const u = a2 / weight; // mean phase of the interval's points between its knots
  const xMean = (a1x + a2x) / weight;
  const k = knotsAt(base);
  const period = f[base + Z.periodMs];
  const spacing = period / KNOTS;
  const tMid = (interval + u) * spacing; // the mean time of the interval's points
  const weekly = (f[base + Z.wanted] & WEEKLY) !== 0;
  const wOff = weekly ? weekShapeAt(f32, base, tMid) : 0;
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
      // The first period's knots learnt value − ref as it came, so a drift left a ramp in them
      // (one period's worth of drift, a step where the period wrapped) that the exponential
      // average takes days to forget and the trend test reads as slope changes. This interval
      // and the one a period before share their phase: their difference is the drift over a
      // period, whatever the cycle. Each knot is moved to where it would be now.
      const before = f32[ring + j];
      if (before === before) {
        const perInterval = (xMean - ref - before) / KNOTS;
        for (let q = 0; q < KNOTS; q++) {
          const d = slotOf(interval - q, KNOTS);
          f32[k + q] += perInterval * (d === 0 ? KNOTS : d);
        }
        recount(f, f32, base);
      }
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
      if (weekly) {
        // the weekly deviation at that interval's time (slot q held the interval d spacings ago)
        let d = (interval - q) % KNOTS;
        if (d <= 0) d += KNOTS;
        sum -= weekShapeAt(f32, base, (interval - d + 0.5) * spacing);
      }
      n++;
    }
    if (n >= MIN_LEVEL_SHARE * KNOTS) f[base + Z.level] = ref + sum / n;
  }
  f32[ring + j] = xMean - ref;
  const level = f[base + Z.level];
  // the daily knots learn what the weekly component does not explain
  const e = xMean - level - wOff;

  // out-of-sample prediction of the interval's mean from earlier visits
  const w1 = f32[k + KNOTS + j];
  const w2 = f32[k + KNOTS + j2];
  let lim = Infinity;
  if (w1 >= MIN_KNOT_WEIGHT && w2 >= MIN_KNOT_WEIGHT) {
    const pred = (1 - u) * f32[k + j] + u * f32[k + j2];
    const rSqOld = addPrediction(f, base + Z.rWeight, R_MEMORY * KNOTS, weight, e, e - pred);
    // an anomaly teaches the shape as if it were CLIP residual sd away: one outlier barely
    // moves a knot, a changed cycle is still relearned
    if (rSqOld > 0) lim = CLIP * Math.sqrt(rSqOld);
  }
  const m1 = f32[k + j];
  const m2 = f32[k + j2];
  learnKnot(f32, k, KNOTS, KNOT_MEMORY, j, a1, (a1x / (a1 > 0 ? a1 : 1)) - level - wOff, lim);
  learnKnot(f32, k, KNOTS, KNOT_MEMORY, j2, a2, (a2x / (a2 > 0 ? a2 : 1)) - level - wOff, lim);
  if (f[base + Z.shifted] === 1) f[base + Z.center] += (f32[k + j] - m1 + (f32[k + j2] - m2)) / KNOTS;

  // the decision
  let wanted = f[base + Z.wanted];
  if (f[base + Z.forced] === 1) {
    f[base + Z.wanted] = covered ? DAILY : 0;
    return;
  }
  if (covered && f[base + Z.rWeight] >= R_MIN_SPAN * KNOTS) {
    const explained = explainedShare(f, base + Z.rWeight);
    f[base + Z.explained] = explained;
    wanted = decide(wanted, DAILY, explained);
  }
  f[base + Z.wanted] = wanted;

  // the weekly component (auto mode) learns from the interval with the daily shape removed; it
  // restarts when the daily decision changes, since what it learned was relative to the other one
  if ((wanted & DAILY) !== f[base + Z.wDaily]) resetWeek(f, f32, base);
  const daily = (f[base + Z.wanted] & DAILY) !== 0 ? offsetFor(f, f32, base, tMid, DAILY) : 0;
  addToWeek(f, f32, base, tMid, xMean - daily, weight / (WEEK_SPACING / spacing));
}

/**
 * Takes in one daily interval's mean (daily shape removed) at its mean time tMid, weighted by
 * the share of a 6-hour weekly interval it covers; learns when tMid moves to the next one.
 */
function addToWeek(f: Float64Array, f32: Float32Array, base: number, tMid: number, x: number, frac: number): void {
  const pos = tMid / WEEK_SPACING;
  const interval = Math.floor(pos);
  const current = f[base + Z.wInterval];
  if (current !== current) {
    f[base + Z.wInterval] = interval;
    f[base + Z.wFirst] = interval;
  } else if (interval !== current) {
    flushWeek(f, f32, base);
    clearSkipped(f32, weekAt(base) + 2 * WEEK_KNOTS, WEEK_KNOTS, current, interval);
    f[base + Z.wInterval] = interval;
  }
  const w2 = frac * (pos - interval);
  const w1 = frac - w2;
  // once the knots cover the week they learn from what their current shape leaves unexplained
  // (least squares, iteratively): a kernel-weighted mean of the values would smooth a weekend's
  // edges by a third of the dip, several noise sd on a quiet series
  const pred = f[base + Z.wCovered] === 1 ? weekShapeAt(f32, base, tMid) : 0;
  f[base + Z.wAcc1] += w1;
  f[base + Z.wAcc1x] += w1 * x;
  f[base + Z.wAcc1p] += w1 * pred;
  f[base + Z.wAcc2] += w2;
  f[base + Z.wAcc2x] += w2 * x;
  f[base + Z.wAcc2p] += w2 * pred;
}

/**
 * The weekly component learns from the 6-hour interval just ended, as the daily one does from
 * its intervals: the level is the mean of the last week's 6-hour means (a one-week mean holds
 * none of the weekly cycle; during the first week the knots learn against the first value), the
 * interval is predicted out of sample before its knots learn, and the explained share of its
 * variance declares the component (R_ON) or drops it (R_OFF). Once every knot has learned, the
 * knots are kept centred per time of day (zero mean over the 7 days at 00, 06, 12 and 18 h), so
 * they hold only day-of-week deviations and never trade the average day with the daily knots.
 */
function flushWeek(f: Float64Array, f32: Float32Array, base: number): void {
  takeSums(f, base + Z.wAcc1);
  const a1 = sums[0];
  const a1x = sums[1];
  const a2 = sums[2];
  const a2x = sums[3];
  const a1p = f[base + Z.wAcc1p];
  const a2p = f[base + Z.wAcc2p];
  f[base + Z.wAcc1p] = 0;
  f[base + Z.wAcc2p] = 0;
  const weight = a1 + a2;
  if (!(weight > 0)) return;
  const interval = f[base + Z.wInterval];
  const j = slotOf(interval, WEEK_KNOTS);
  const j2 = j + 1 === WEEK_KNOTS ? 0 : j + 1;
  const w = weekAt(base);
  const ring = w + 2 * WEEK_KNOTS;
  const ref = f[base + Z.ref];
  // the level of the last week (before this interval joins the ring), once the ring spans one
  let level = ref;
  let known = false;
  if (interval - f[base + Z.wFirst] >= WEEK_KNOTS) {
    let sum = 0;
    let n = 0;
    for (let q = 0; q < WEEK_KNOTS; q++) {
      const v = f32[ring + q];
      if (v === v) {
        sum += v;
        n++;
      }
    }
    if (n >= MIN_LEVEL_SHARE * WEEK_KNOTS) {
      level = ref + sum / n;
      known = true;
    }
  }
  f32[ring + j] = (a1x + a2x) / weight - ref;
  let lim = Infinity;
  const covered = f[base + Z.wCovered] === 1;
  if (known && covered) {
    const e = (a1x + a2x) / weight - level;
    const rSqOld = addPrediction(f, base + Z.wRWeight, W_R_MEMORY * WEEK_KNOTS, weight, e, e - (a1p + a2p) / weight);
    if (rSqOld > 0) lim = CLIP * Math.sqrt(rSqOld);
  }
  // covered: each knot's target is its value plus the mean of what the shape left unexplained
  // where it weighs (the prediction was in the knots' own, centred, terms)
  const t1 = covered ? f32[w + j] + (a1x - a1p) / (a1 > 0 ? a1 : 1) - level : a1x / (a1 > 0 ? a1 : 1) - level;
  const t2 = covered ? f32[w + j2] + (a2x - a2p) / (a2 > 0 ? a2 : 1) - level : a2x / (a2 > 0 ? a2 : 1) - level;
  learnKnot(f32, w, WEEK_KNOTS, WEEK_MEMORY, j, a1, t1, lim);
  learnKnot(f32, w, WEEK_KNOTS, WEEK_MEMORY, j2, a2, t2, lim);
  if (f[base + Z.wCovered] === 0) {
    let covered = 0;
    for (let q = 0; q < WEEK_KNOTS; q++) if (f32[w + WEEK_KNOTS + q] >= MIN_KNOT_WEIGHT) covered++;
    if (covered < WEEK_KNOTS) return;
    f[base + Z.wCovered] = 1;
  }
  for (let slot = 0; slot < SLOTS_PER_DAY; slot++) {
    let sum = 0;
    for (let q = slot; q < WEEK_KNOTS; q += SLOTS_PER_DAY) sum += f32[w + q];
    const mean = sum / 7;
    for (let q = slot; q < WEEK_KNOTS; q += SLOTS_PER_DAY) f32[w + q] -= mean;
  }
  if (!known || f[base + Z.wRWeight] < W_R_MIN_SPAN * WEEK_KNOTS) return;
  const explained = explainedShare(f, base + Z.wRWeight);
  f[base + Z.wExplained] = explained;
  f[base + Z.wanted] = decide(f[base + Z.wanted], WEEKLY, explained);
}

const sums = new Float64Array(4);
/** Moves the four kernel sums at `at` (weight 1, Σ weight 1 · x, weight 2, Σ weight 2 · x) into `sums`, zeroing them. */
function takeSums(f: Float64Array, at: number): void {
  for (let q = 0; q < 4; q++) {
    sums[q] = f[at + q];
    f[at + q] = 0;
  }
}

/** The knot (or ring slot) of an interval index: interval mod count, never negative. */
function slotOf(interval: number, count: number): number {
  const j = interval % count;
  return j < 0 ? j + count : j;
}

/** Ring slots of the intervals a gap skipped (after `previous`, before `interval`) hold no mean. */
function clearSkipped(f32: Float32Array, ring: number, count: number, previous: number, interval: number): void {
  const stop = interval - previous > count ? previous + count : interval - 1;
  for (let q = previous + 1; q <= stop; q++) f32[ring + slotOf(q, count)] = NaN;
}

/**
 * One out-of-sample prediction into the running averages at `at` (weight, E[e], E[e²], E[r²],
 * consecutive slots; running means up to `cap` weight, exponential after). Returns E[r²] before it.
 */
function addPrediction(f: Float64Array, at: number, cap: number, weight: number, e: number, r: number): number {
  const rw = f[at] + weight;
  const n = rw < cap ? rw : cap;
  f[at] = n;
  const g = weight / n;
  const rSqOld = f[at + 3];
  f[at + 1] += g * (e - f[at + 1]);
  f[at + 2] += g * (e * e - f[at + 2]);
  f[at + 3] += g * (r * r - rSqOld);
  return rSqOld;
}

/** R = 1 − E[r²] / Var[e] of the averages at `at` (as addPrediction lays them out). */
function explainedShare(f: Float64Array, at: number): number {
  const mean = f[at + 1];
  const total = f[at + 2] - mean * mean;
  return total > 0 ? 1 - f[at + 3] / total : 0;
}

/** The decision with hysteresis for one component's bit: on at R_ON, off only below R_OFF. */
function decide(wanted: number, bit: number, explained: number): number {
  if ((wanted & bit) === 0 && explained >= R_ON) return wanted | bit;
  if ((wanted & bit) !== 0 && explained < R_OFF) return wanted & ~bit;
  return wanted;
}


/**
 * True while the model may still find a cycle it has not modelled yet: auto mode before its
 * first decision, or a configured period before every knot has learned. A cycle seen through
 * less than a period looks like a slope change, so the trend test holds its reports meanwhile.
 */
export function seasonUndecided(f: Float64Array, base: number): boolean {
  if ((f[base + Z.on] & DAILY) !== 0) return false;
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
  /** The daily (or configured-period) component: decided on / stored points expressed without it. */
  wanted: boolean;
  on: boolean;
  /** Latest explained-variance share (NaN before the first decision). */
  explained: number;
  knotsCovered: number;
  /** The weekly component (auto mode), the same way. */
  weeklyWanted: boolean;
  weeklyOn: boolean;
  weeklyExplained: number;
}

/** Read-only view for tests and stats pages. */
export function inspectSeason(f: Float64Array, base: number): SeasonSummary {
  return {
    periodMs: f[base + Z.periodMs],
    forced: f[base + Z.forced] === 1,
    wanted: (f[base + Z.wanted] & DAILY) !== 0,
    on: (f[base + Z.on] & DAILY) !== 0,
    explained: f[base + Z.explained],
    knotsCovered: f[base + Z.covered],
    weeklyWanted: (f[base + Z.wanted] & WEEKLY) !== 0,
    weeklyOn: (f[base + Z.on] & WEEKLY) !== 0,
    weeklyExplained: f[base + Z.wExplained],
  };
}
