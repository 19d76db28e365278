/**
 * The per-point detector over one series' state buffer. Everything it remembers lives in the
 * SharedArrayBuffer (see series-state.ts), so scoring is a pure function of (state bytes, points)
 * and a batch can be split, replayed or moved to another thread with identical results.
 *
 * Per point, in order:
 *  1. expire baseline points older than windowMs;
 *  2. mean/std of the baseline BEFORE the point, z = (value - mean) / max(std, floor);
 *  3. episode logic: a warm baseline and an inclusive |z| >= zThreshold open an episode (finding
 *     v1, "outlier"; a lone point below zConfirm is reported only when the next point passes
 *     the bar too, on its side, else its episode closes unreported); while open, points are held
 *     out of the baseline; more than outlierMaxPoints
 *     out-of-band points refine it to spike/drop; returnPoints consecutive points back inside
 *     zExit close it (its points then join the baseline, clipped) — a spike/drop that lasted a
 *     third of a variance window first runs the variance test, and becomes a pattern_change
 *     (variance) if that finds a wider spread; still open after
 *     spikeMaxPoints points → pattern_change, and its points join the baseline unclipped (the
 *     new level is normal from then on);
 *  4. every checkStride-th point of the series: the variance test (noise scale of the newest
 *     points vs the baseline's) and, at most every trendStride points and only without an open
 *     episode, the slope-change test (trend-test.ts). A trend change is reported (v1) as soon as
 *     the slope test sees it, usually while it is still small; it is then followed while it is
 *     young — until trendWindow points after its knot, when the slope test's window holds only
 *     the new slope and that slope is the regime — and re-reported (same start, version + 1)
 *     whenever its departure from the level at the knot has raised its score by REFINE_STEP.
 *     Any other new anomaly ends the following.
 *
 * Optional anomaly likelihood gate (likelihoodGate > 0, off by default; likelihood.ts): a
 * deviation opens an episode only if it is also unusual for this series lately; a gated point
 * joins the baseline (clipped) as normal.
 *
 * Burst model (burstMemory > 0, the default; burst.ts): the |z| that opens an episode rises above
 * zThreshold on a side where this series' normal excursions have been clearly more frequent and
 * larger than Gaussian noise's; a point below that bar joins the baseline (clipped) as normal.
 *
 * Seasonal baseline (seasonPeriod ≠ 0, seasonal.ts): every point also teaches the seasonal model;
 * once it declares a cycle, the stored points are converted to residuals (value − seasonal
 * offset at their time) and every later point is judged as its residual, so z, the episodes and
 * the variance and trend tests see the series without its cycle. Reported `expected` values
 * (and the per-point mean) add the offset back. A conversion waits for an open episode to close.
 *
 * Point score: a point that reports a new anomaly scores 0.5 + 0.5·score·confidence of that
 * finding; every other point scores below 0.5, by the strength of its deviation (an out-of-band
 * point of an open episode, or of a followed trend past zExit from its knot level: 0.25 at zExit,
 * → 0.5 beyond, so it never reads as "back to normal").
 */
import type { AnomalyType } from '../schemas/records.ts';
import type { DetectorParams } from './detector-params.ts';
import * as burst from './burst.ts';
import * as likelihood from './likelihood.ts';
import * as probability from './probability.ts';
import * as rarity from './report-rarity.ts';
import * as robust from './robust.ts';
import * as seasonal from './seasonal.ts';
import { S as SLOTS, type StateLayout } from './series-state.ts';
import * as trendTest from './trend-test.ts';

// Module-local copies of everything the per-point path uses. Worker threads on Node 20 load this
// file through tsx's CommonJS transform, where every use of an imported binding is a getter call;
// paid per point and per slot access that halves the throughput.
const S: typeof SLOTS = { ...SLOTS };
const { confidenceFromZ, strengthScore, twoSidedTail } = probability;
const { newTrendTestResult, trendChangeTest } = trendTest;
const { medianInPlace } = robust;
const { updateLikelihood, unfilteredLikelihood, HISTORY_BLOCKS } = likelihood;
const LIKELIHOOD_MEAN = likelihood.L.mean;
const { seasonOffset, offsetFor, updateSeason, configuredPeriod, resetSeason, seasonHoldsTrend } = seasonal;
const SEASON_ON = seasonal.Z.on;
const { burstConfig, burstThreshold, observeNormal, dropRun } = burst;
const BURST_RUN = burst.B.run;
const SEASON_PERIOD = seasonal.Z.periodMs;
const { logStrength, rateAtLeast, recordReport, rarityDiscount, rarityDecay, decayRarity } = rarity;

/** What made the detector report: lets an alert say "level shift" rather than just "pattern change". */
export type FindingCause = 'isolated' | 'burst' | 'level' | 'variance' | 'slope';

export interface AnomalyFinding {
  /** Index of the reporting point in the batch arrays. */
  pointIndex: number;
  /** Index into ScoreTask.states. */
  seriesIndex: number;
  type: AnomalyType;
  /** 1 when first reported, +1 per refinement of the same episode. */
  version: number;
  /** Episode start: stable across refinements, unique per series (anomaly id = series + start). */
  startTimestamp: number;
  /**
   * [0, 1]: how unlikely the evidence is under normal behaviour (Gaussian tail over a window of
   * trials), scaled down during warm-up and when reports at least as strong have been frequent
   * in the series lately (report-rarity.ts).
   */
  confidence: number;
  /** [0, 1]: strength; 0.5 at zThreshold (or at the trend/variance test's threshold), → 1 beyond. */
  score: number;
  /** z of the reporting point against the baseline. */
  zscore: number;
  /** Baseline mean the episode is measured against. */
  expected: number;
  /** Points in the episode so far (trend/variance: points the test looked at). */
  pointCount: number;
  /** Extension: why it was reported. */
  cause: FindingCause;
}

const TYPE_CODES: AnomalyType[] = ['outlier', 'spike', 'drop', 'trend_change', 'pattern_change'];
const OUTLIER = 0;
const SPIKE = 1;
const DROP = 2;
const TREND = 3;
const PATTERN = 4;

/**
 * Noise scale from second differences: E|x_t - 2x_{t-1} + x_{t-2}| = √6·√(2/π)·σ for independent
 * normal noise, and a level, a slope or a slow season contribute (almost) nothing to it.
 */
const DIFF2_TO_STD = Math.sqrt(Math.PI / 2) / Math.sqrt(6);
/** median |Δ²| = 0.6745·√6·σ for independent normal noise. */
const MEDIAN_DIFF2_TO_STD = 1 / (0.6744897501960817 * Math.sqrt(6));
/** sd of log(mean |Δ²|) over m terms is about 1/√m for normal noise (overlapping terms included). */
const LOG_SCALE_SD = 1;
/**
 * Below this noise-to-spread ratio a series is structure (steps, smooth seasons), not noise, and
 * a noise-scale comparison says nothing about its variance.
 */
const MIN_NOISE_SHARE = 0.1;
/** New anomalies within about a window (decayed count, this one included) that make them "recurring". */
const RECURRING_ONSETS = 3;
/**
 * The least spread z is measured against on a whole-number series (no fractional value among the
 * newest baseCount points): the sd of rounding to whole units, 1/√12. A counter whose baseline is
 * all one value (12, 12, 12, …) otherwise scores a step of one unit — its resolution — at
 * z ≈ 1e5 (1 / the relative floor): a change the data cannot resolve is no evidence.
 */
const ROUNDING_SD = 1 / Math.sqrt(12);
/** Largest magnitude the statistics take in: (2·1e150)² · 1e6 points still fits a double. */
export const MAX_MAGNITUDE = 1e150;
/** Returned episode points re-enter the baseline clipped at this many zThresholds. */
const RETURN_CLIP = 2;
/** A variance change must also be this many standard errors of the log noise-scale ratio. */
const VARIANCE_SIGNIFICANCE = 5;
/**
 * A burst (spike/drop) that lasted at least 1/CLOSING_VARIANCE_SHARE of the variance window
 * runs the variance test when it ends, before its points join the baseline.
 */
const CLOSING_VARIANCE_SHARE = 3;
/** A followed trend is re-reported when its score has grown by at least this much. */
const REFINE_STEP = 0.05;
/** repeatOf: a new point, a copy of one the series holds, or another value at a time it holds. */
export const REPEAT_NONE = 0;
export const REPEAT_DUPLICATE = 1;
export const REPEAT_CONFLICT = 2;
/**
 * A seasonal series' stored copy is a residual whose offset has moved since (the knots learn
 * once per interval, the first right after the point was stored), so its raw value is not
 * recoverable exactly: a copy within this many baseline sd of the new value is the same value.
 * bench/seasonal-repeat-drift.ts measures the drift: at most 0.9 sd over the ring.
 */
export const SEASON_REPEAT_SD = 1.5;
/** Fewest post-knot points a followed trend's current level is fitted from. */
const MIN_FOLLOW_POINTS = 8;

let scratch = new Float64Array(0);
let scratch2 = new Float64Array(0);
const trendResult = newTrendTestResult();

/** Copies `n` ring entries, starting `from` entries after the oldest, into dst[0..n-1]. */
function copyRing(f: Float64Array, base: number, capacity: number, head: number, from: number, n: number, dst: Float64Array): void {
  const pos = (head + from) % capacity;
  const first = Math.min(n, capacity - pos);
  dst.set(f.subarray(base + pos, base + pos + first), 0);
  if (first < n) dst.set(f.subarray(base, base + (n - first)), first);
}

/** Int32 range of the baseline time offsets (ms from S.timeAnchor). */
const TIME_OFFSET_MAX = 2 ** 31 - 1;
const TIME_OFFSET_MIN = -(2 ** 31);
/** A re-anchored clock leaves this much room (ms) for later points before the next re-anchor. */
const TIME_REANCHOR_ROOM = 2 ** 30;

export class SeriesDetector {
  private readonly f: Float64Array;
  /** Baseline times, ms relative to S.timeAnchor (state bytes, Int32 view). */
  private readonly t32: Int32Array;
  /** Out-of-band flags of the recent ring (state bytes, Uint8 view). */
  private readonly u8: Uint8Array;
  /** Seasonal knots (state bytes, Float32 view). */
  private readonly f32: Float32Array;
  private readonly L: StateLayout;
  private readonly P: DetectorParams;
  private readonly seriesIndex: number;
  private readonly findings: AnomalyFinding[];
  /** Highest point score implied by a new anomaly reported at the current point (0 if none). */
  private findingScore = 0;
  private readonly rateDecay: number;
  /** Per-point decay of the report rarity's sums (report-rarity.ts); 0 when it is off. */
  private readonly rarityDecay: number;
  /** The likelihood layer runs (only when its gate is on: off, it costs nothing). */
  private readonly likelihoodOn: boolean;
  /** Points per likelihood history block. */
  private readonly likelihoodBlock: number;
  /** The seasonal model runs (seasonPeriod ≠ 0). */
  private readonly seasonalOn: boolean;
  /** Seasonal offset at the current point (0 unless the cycle is modelled). */
  private season = 0;
  /** zConfirm / zThreshold: a point opening an episode below this × its bar waits for the next. */
  private readonly confirmRatio: number;
  /** The burst model runs (burstMemory > 0), with these constants. */
  private readonly burstOn: boolean;
  private readonly burst: burst.BurstConfig;

  /** step() first asks repeatOf and leaves a repeat unscored (ScoreTask.dropRepeats). */
  private readonly dropRepeats: boolean;

  constructor(state: SharedArrayBuffer, layout: StateLayout, params: DetectorParams, seriesIndex: number, findings: AnomalyFinding[], dropRepeats = false) {
    this.dropRepeats = dropRepeats;
    this.f = new Float64Array(state);
    this.t32 = new Int32Array(state);
    this.u8 = new Uint8Array(state);
    this.f32 = new Float32Array(state);
    this.L = layout;
    this.P = params;
    this.seriesIndex = seriesIndex;
    this.findings = findings;
    this.rateDecay = 1 - 1 / layout.windowSize;
    this.rarityDecay = params.rarityMemory > 0 ? rarityDecay(params.rarityMemory) : 0;
    this.likelihoodOn = params.likelihoodGate > 0;
    this.likelihoodBlock = Math.max(1, Math.round(params.likelihoodHistory / HISTORY_BLOCKS));
    // the period is per series (set when its state was created): the state says whether to run
    this.seasonalOn = this.f[layout.season + SEASON_PERIOD] > 0;
    this.confirmRatio = params.zConfirm / params.zThreshold;
    this.burstOn = params.burstMemory > 0;
    this.burst = burstConfig(params.burstMemory > 0 ? params.burstMemory : 2, params.zThreshold);
  }

  /**
   * Sets up a restored state's seasonal model for `seasonPeriod` (the config may have changed
   * since the snapshot): a different setting drops what the model learned, its stored points
   * turned back into raw values first. Returns whether anything changed.
   */
  static reconfigureSeason(state: SharedArrayBuffer, layout: StateLayout, params: DetectorParams, seasonPeriod: number): boolean {
    const f = new Float64Array(state);
    if (configuredPeriod(f, layout.season) === seasonPeriod) return false;
    const detector = new SeriesDetector(state, layout, params, 0, []);
    if (f[layout.season + SEASON_ON] !== 0) detector.convertStored(0);
    resetSeason(f, new Float32Array(state), layout.season, seasonPeriod);
    return true;
  }

  /** Value of the ring's copy of the point repeatOf last found (raw: residual + current offset). */
  firstValue = NaN;
  /** The recent ring's times as one view (made on the first scan). */
  private ringTimes: Float64Array | null = null;

  /**
   * Whether a point repeats one the series already holds, from the state alone (nothing is
   * changed): REPEAT_NONE, REPEAT_DUPLICATE (same time, same value) or REPEAT_CONFLICT (same
   * time, another value), with `firstValue` set for the last two. The horizon is the recent
   * ring: the newest recentCapacity points, fewer once older ones left the time window or a
   * detected change trimmed the ring. A point later than every ring time is new in O(1)
   * (S.newestTime); only one at or before it searches the ring's times.
   *
   * Values compare as the detector stores them: raw unless the series' seasonal cycle is on, so
   * "same" is exact (beyond ±MAX_MAGNITUDE, as the clamp). Once a cycle is declared the ring
   * holds residuals (value − offset at insertion, converted at the declaration), and the model
   * learns after every knot interval, so the copy's raw value is residual + today's offset and
   * may have drifted since: within SEASON_REPEAT_SD baseline sd it is the same value (a closer
   * conflicting sample counts as a duplicate). Right after a cycle is dropped, the ring's
   * converted-back values are raw only up to that drift: until they leave the ring a copy of
   * one can read as a conflict (dead-lettered, the first kept: nothing stored twice).
   */
  repeatOf(raw: number, ts: number): number {
    const f = this.f;
    const known = f[S.newestTime];
    if (ts > (known !== 0 ? known : this.ringNewest())) return REPEAT_NONE;
    const C = this.L.recentCapacity;
    const head = f[S.recentHead] | 0;
    const count = f[S.recentCount] | 0;
    // the engine's native search over the ring's slots (several times a JS loop); a slot outside
    // the live ring (count < capacity) may still hold an old time: skipped
    let times = this.ringTimes;
    if (times === null) times = this.ringTimes = new Float64Array(f.buffer, f.byteOffset + this.L.recentTimes * 8, C);
    for (let pos = times.lastIndexOf(ts); pos >= 0; pos = pos > 0 ? times.lastIndexOf(ts, pos - 1) : -1) {
      let age = pos - head;
      if (age < 0) age += C;
      if (age >= count) continue;
      const clamped = raw > MAX_MAGNITUDE ? MAX_MAGNITUDE : raw < -MAX_MAGNITUDE ? -MAX_MAGNITUDE : raw;
      // residuals only while the cycle is on (declared); before, the ring holds raw values
      const residual = this.seasonalOn && f[this.L.season + SEASON_ON] !== 0;
      const season = residual ? seasonOffset(f, this.f32, this.L.season, ts) : 0;
      const stored = f[this.L.recentValues + pos];
      const value = clamped - season;
      this.firstValue = stored + season;
      if (stored === value) return REPEAT_DUPLICATE;
      if (residual) {
        const n = f[S.baseCount];
        const mean = n > 0 ? f[S.baseMean] : value;
        const sd = this.floorStd(n > 1 ? Math.sqrt(f[S.baseM2] / (n - 1)) : 0, mean);
        if (Math.abs(stored - value) <= SEASON_REPEAT_SD * sd) return REPEAT_DUPLICATE;
      }
      return REPEAT_CONFLICT;
    }
    return REPEAT_NONE;
  }

  /** Newest time the recent ring holds (-Infinity when empty): S.newestTime when it is not known. */
  private ringNewest(): number {
    const f = this.f;
    const C = this.L.recentCapacity;
    const rt = this.L.recentTimes;
    const head = f[S.recentHead] | 0;
    const count = f[S.recentCount] | 0;
    let newest = -Infinity;
    for (let k = 0; k < count; k++) {
      const t = f[rt + ((head + k) % C)];
      if (t > newest) newest = t;
    }
    return newest;
  }

  /**
   * Scores one point, updates the state, appends findings; writes the outputs at index i. With
   * dropRepeats, a repeat (repeatOf) is neither scored nor stored: it returns its kind, leaving
   * the state and the outputs untouched. Returns REPEAT_NONE for a scored point.
   */
  step(raw: number, ts: number, i: number, outMean: Float64Array, outStd: Float64Array, outZ: Float64Array, outScore: Float64Array): number {
    const f = this.f;
    if (this.dropRepeats) {
      // in order (later than every ring time): new, without a call
      const known = f[S.newestTime];
      if (!(ts > known) || known === 0) {
        const kind = this.repeatOf(raw, ts);
        if (kind !== REPEAT_NONE) return kind;
      }
    }
    // squares of larger magnitudes overflow a double: such points count as ±MAX_MAGNITUDE
    const clamped = raw > MAX_MAGNITUDE ? MAX_MAGNITUDE : raw < -MAX_MAGNITUDE ? -MAX_MAGNITUDE : raw;
    const season = this.seasonalOn ? seasonOffset(f, this.f32, this.L.season, ts) : 0;
    this.season = season;
    const value = clamped - season;
    const P = this.P;
    const seen = f[S.pointsSeen] + 1;
    f[S.pointsSeen] = seen;
    f[S.onsetRate] *= this.rateDecay;
    if (this.rarityDecay > 0) decayRarity(f, S.rarity, this.rarityDecay);
    this.findingScore = 0;
    if (P.windowMs !== Infinity) this.expire(ts);

    const n = f[S.baseCount];
    const mean = n > 0 ? f[S.baseMean] : value;
    const std = n > 1 ? Math.sqrt(f[S.baseM2] / (n - 1)) : 0;
    if (clamped !== Math.floor(clamped)) f[S.lastFraction] = seen;
    let stdEff = this.floorStd(std, mean);
    if (stdEff < ROUNDING_SD && seen - f[S.lastFraction] > n) stdEff = ROUNDING_SD;
    const z = n > 0 ? (value - mean) / stdEff : 0;
    const warm = n >= P.minPoints;
    const absZ = z < 0 ? -z : z;
    // Surprise is judged with the point counted in its own window ("inclusive" z): it equals z for
    // ordinary deviations but cannot exceed ~√n, so n identical points followed by a different
    // one is a strong anomaly rather than an infinitely strong one, and a small warm-up sample
    // needs a larger deviation to open an episode.
    const d = value - mean;
    const shrink = n / (n + 1);
    const incStd = n > 0 ? Math.hypot(Math.sqrt(f[S.baseM2] / n), d * Math.sqrt(shrink / n)) : 0;
    const absZInc = n > 0 ? Math.abs(d * shrink) / (incStd > stdEff ? incStd : stdEff) : 0;

    // How unusual this deviation is for this series lately (likelihood.ts): its raw score is the
    // inclusive |z| against zThreshold, to the 4th power so ordinary noise scores near 0 and the
    // short-term level moves on real surprises only (a square left noisy series too alike).
    let gated = false;
    if (this.likelihoodOn && warm) {
      const lb = this.L.likelihood;
      const r = absZInc / P.zThreshold;
      const a = r * r * r * r;
      updateLikelihood(f, lb, a / (1 + a), this.likelihoodBlock);
      // unfiltered: the filter keeps a long excursion red only where it starts, which may be
      // points before its deviation reaches zThreshold. While learning it cannot judge: no gate.
      gated = unfilteredLikelihood(f, lb) < P.likelihoodGate && f[lb + LIKELIHOOD_MEAN] === f[lb + LIKELIHOOD_MEAN];
    }

    const open = f[S.epOpen] !== 0;
    // a deviation this series' normal bursts reach is no anomaly (burst.ts): the bar rises
    let threshold = P.zThreshold;
    if (this.burstOn && warm && !open && absZInc >= threshold) threshold = burstThreshold(f, S.burst, seen, d, this.burst);
    const outOfBand = open ? absZ >= P.zExit : warm && absZInc >= threshold && !gated;
    this.pushRecent(value, outOfBand, ts);

    // Point score, two tiers: a point that reports a NEW anomaly scores in [0.5, 1] (see emit);
    // any other point scores in [0, 0.5) by the strength of its deviation: against the baseline,
    // or inside an open episode against the episode's running level, so a level shift scores
    // high where it starts rather than on every point of the new level.
    let strength = 0;
    // An out-of-band point of an open episode is not back to normal, however flat the new level:
    // it scores by its distance past the exit band, 0.25 at zExit → 0.5. Alert rules read
    // "normal" off the point score, and an anomaly alert must not clear while the episode that
    // raised it is still out of band (a level shift would otherwise resolve its alert before
    // the detector calls it a pattern change, and re-open a second one then).
    let heldOpen = 0;
    if (open) {
      const novelty = Math.abs(value - f[S.epSumValues] / f[S.epCount]) / f[S.epIncStd];
      strength = novelty < absZInc ? novelty : absZInc;
      if (outOfBand) heldOpen = 0.5 * strengthScore(absZ, P.zExit > 0 ? P.zExit : P.zThreshold);
      this.continueEpisode(value, ts, z, i);
    } else if (outOfBand) {
      if (this.burstOn) dropRun(f, S.burst);
      // a borderline lone point waits for the next one, which must pass zThreshold too (not a
      // bar the burst model raised: that measured worse on NAB, docs/detection.md); until then
      // it scores by its deviation, below 0.5, like any point that reports nothing
      if (absZInc < threshold * this.confirmRatio) strength = absZInc;
      this.openEpisode(value, ts, z, absZInc, mean, stdEff, incStd > stdEff ? incStd : stdEff, n, i, absZInc < threshold * this.confirmRatio ? P.zThreshold : 0);
    } else {
      strength = absZInc;
      if (this.burstOn && warm && (absZInc >= this.burst.watch || f[S.burst + BURST_RUN] !== 0)) observeNormal(f, S.burst, seen, d < 0 ? -absZInc : absZInc, this.burst);
      if ((gated || threshold > P.zThreshold) && absZInc >= P.zThreshold) {
        // a usual deviation for this series: normal, but clipped like a returned episode so a
        // real outlier held back by the gate cannot blow up the spread
        const clip = RETURN_CLIP * P.zThreshold * stdEff;
        this.pushBaseline(value > mean + clip ? mean + clip : value < mean - clip ? mean - clip : value, ts);
      } else this.pushBaseline(value, ts);
    }
    // likewise while a young trend is followed: a point the trend has taken past zExit from the
    // level at its knot is not back to normal, or its alert would clear between re-reports
    if (f[S.trVersion] > 0) {
      if (seen - f[S.trKnotSeen] > P.trendWindow) f[S.trVersion] = 0;
      else {
        const departure = (f[S.trSign] * (value - f[S.trLevel])) / f[S.trNoise];
        if (departure >= P.zExit) {
          const held = 0.5 * strengthScore(departure, P.zExit > 0 ? P.zExit : P.zThreshold);
          if (held > heldOpen) heldOpen = held;
        }
      }
    }
    let pointScore = warm ? 0.5 * strengthScore(strength, P.zThreshold) : 0;
    if (heldOpen > pointScore) pointScore = heldOpen;

    if (seen % P.checkStride === 0) this.shapeChecks(seen, z, i);
    if (this.seasonalOn) this.learnSeason(ts, clamped);

    outMean[i] = mean + season;
    outStd[i] = std;
    outZ[i] = z;
    outScore[i] = pointScore > this.findingScore ? pointScore : this.findingScore;
    return REPEAT_NONE;
  }

  /** The seasonal model takes in the raw point; a changed decision converts the stored points (not inside an episode). */
  private learnSeason(ts: number, value: number): void {
    const f = this.f;
    const sb = this.L.season;
    const wanted = updateSeason(f, this.f32, sb, ts, value);
    if (wanted !== f[sb + SEASON_ON] && f[S.epOpen] === 0) this.convertStored(wanted);
  }

  /**
   * Re-expresses every stored point without the seasonal components in `mask` (seasonal.DAILY |
   * WEEKLY; 0: the raw value) instead of those it is stored without now, with the model's
   * current shapes, and recomputes the baseline. A followed trend was measured on the old
   * values: it is no longer followed.
   */
  private convertStored(mask: number): void {
    const f = this.f;
    const f32 = this.f32;
    const sb = this.L.season;
    const from = f[sb + SEASON_ON];
    const W = this.L.windowSize;
    const head = f[S.baseHead] | 0;
    const count = f[S.baseCount] | 0;
    const bv = this.L.baseValues;
    const bt = this.L.baseTimes;
    const anchor = f[S.timeAnchor];
    for (let k = 0; k < count; k++) {
      const pos = (head + k) % W;
      const t = anchor + this.t32[bt + pos];
      f[bv + pos] += offsetFor(f, f32, sb, t, from) - offsetFor(f, f32, sb, t, mask);
    }
    const C = this.L.recentCapacity;
    const rHead = f[S.recentHead] | 0;
    const rCount = f[S.recentCount] | 0;
    const rv = this.L.recentValues;
    const rt = this.L.recentTimes;
    for (let k = 0; k < rCount; k++) {
      const pos = (rHead + k) % C;
      const t = f[rt + pos];
      f[rv + pos] += offsetFor(f, f32, sb, t, from) - offsetFor(f, f32, sb, t, mask);
    }
    if (count > 0) this.recomputeBaseline();
    f[S.trVersion] = 0;
    f[sb + SEASON_ON] = mask;
  }

  private floorStd(std: number, mean: number): number {
    const rel = this.P.stdFloorRel * (mean < 0 ? -mean : mean);
    const floor = rel > this.P.stdFloorAbs ? rel : this.P.stdFloorAbs;
    return std > floor ? std : floor;
  }

  // ---- baseline ring: Welford with removal, exact recompute every windowSize updates ----

  private pushBaseline(value: number, ts: number): void {
    const f = this.f;
    const W = this.L.windowSize;
    if (f[S.baseCount] === W) this.removeOldest();
    const head = f[S.baseHead] | 0;
    const count = f[S.baseCount] | 0;
    const bv = this.L.baseValues;
    let pos = head + count;
    if (pos >= W) pos -= W;
    if (count >= 2) {
      const p1 = pos === 0 ? W - 1 : pos - 1;
      const p2 = p1 === 0 ? W - 1 : p1 - 1;
      f[S.baseAbsDiff2] += Math.abs(value - 2 * f[bv + p1] + f[bv + p2]);
    }
    f[bv + pos] = value;
    this.t32[this.L.baseTimes + pos] = this.timeOffset(ts);
    const n1 = count + 1;
    const mean = f[S.baseMean];
    const d = value - mean;
    const newMean = mean + d / n1;
    f[S.baseMean] = newMean;
    f[S.baseM2] += d * (value - newMean);
    f[S.baseCount] = n1;
    this.afterUpdate();
  }

  private removeOldest(): void {
    const f = this.f;
    const W = this.L.windowSize;
    const head = f[S.baseHead] | 0;
    const count = f[S.baseCount] | 0;
    const bv = this.L.baseValues;
    if (count <= 1) {
      this.resetBaseline();
      return;
    }
    const x = f[bv + head];
    const next = head + 1 === W ? 0 : head + 1;
    if (count >= 3) {
      const next2 = next + 1 === W ? 0 : next + 1;
      f[S.baseAbsDiff2] -= Math.abs(f[bv + next2] - 2 * f[bv + next] + x);
    }
    const mean = f[S.baseMean];
    const n1 = count - 1;
    const newMean = mean - (x - mean) / n1;
    const m2 = f[S.baseM2] - (x - newMean) * (x - mean);
    f[S.baseMean] = newMean;
    f[S.baseM2] = m2 > 0 ? m2 : 0;
    f[S.baseHead] = next;
    f[S.baseCount] = n1;
    this.afterUpdate();
  }

  private afterUpdate(): void {
    const f = this.f;
    const u = f[S.baseUpdates] + 1;
    f[S.baseUpdates] = u;
    if (u >= this.L.windowSize) this.recomputeBaseline();
  }

  /** Exact two-pass statistics: removes the rounding drift of the running updates. */
  private recomputeBaseline(): void {
    const f = this.f;
    const count = f[S.baseCount] | 0;
    if (scratch.length < count) scratch = new Float64Array(Math.max(count, this.L.recentCapacity));
    const y = scratch;
    copyRing(f, this.L.baseValues, this.L.windowSize, f[S.baseHead] | 0, 0, count, y);
    let sum = 0;
    for (let k = 0; k < count; k++) sum += y[k];
    const mean = count > 0 ? sum / count : 0;
    let m2 = 0;
    let absDiff2 = 0;
    for (let k = 0; k < count; k++) {
      const d = y[k] - mean;
      m2 += d * d;
      if (k > 1) absDiff2 += Math.abs(y[k] - 2 * y[k - 1] + y[k - 2]);
    }
    f[S.baseMean] = mean;
    f[S.baseM2] = m2;
    f[S.baseAbsDiff2] = absDiff2;
    f[S.baseUpdates] = 0;
  }

  private resetBaseline(): void {
    const f = this.f;
    f[S.baseHead] = 0;
    f[S.baseCount] = 0;
    f[S.baseMean] = 0;
    f[S.baseM2] = 0;
    f[S.baseAbsDiff2] = 0;
    f[S.baseUpdates] = 0;
  }

  /**
   * ts as an Int32 offset from the series' time anchor. The anchor moves (and the stored offsets
   * with it) only when a point falls outside ±2^31 ms (24.8 days) of it; offsets that would leave
   * the range then stick at its bottom: such points are older than any sensible windowMs.
   */
  private timeOffset(ts: number): number {
    const f = this.f;
    let anchor = f[S.timeAnchor];
    if (anchor !== anchor) {
      anchor = ts;
      f[S.timeAnchor] = ts;
    }
    let rel = ts - anchor;
    if (rel > TIME_OFFSET_MAX || rel < TIME_OFFSET_MIN) {
      const next = ts - TIME_REANCHOR_ROOM;
      const shift = anchor - next;
      const t = this.t32;
      const bt = this.L.baseTimes;
      const W = this.L.windowSize;
      const head = f[S.baseHead] | 0;
      const count = f[S.baseCount] | 0;
      for (let k = 0; k < count; k++) {
        const pos = bt + ((head + k) % W);
        const moved = t[pos] + shift;
        t[pos] = moved < TIME_OFFSET_MIN ? TIME_OFFSET_MIN : moved > TIME_OFFSET_MAX ? TIME_OFFSET_MAX : moved;
      }
      f[S.timeAnchor] = next;
      rel = ts - next;
    }
    return rel;
  }

  private expire(ts: number): void {
    const f = this.f;
    const horizon = ts - this.P.windowMs;
    const bt = this.L.baseTimes;
    const relHorizon = horizon - f[S.timeAnchor];
    while (f[S.baseCount] > 0 && this.t32[bt + (f[S.baseHead] | 0)] < relHorizon) this.removeOldest();
    const C = this.L.recentCapacity;
    const rt = this.L.recentTimes;
    while (f[S.recentCount] > 0 && f[rt + (f[S.recentHead] | 0)] < horizon) {
      f[S.recentHead] = ((f[S.recentHead] | 0) + 1) % C;
      f[S.recentCount] -= 1;
    }
    if (f[S.epOpen] === 0) return;
    // the episode's points are the newest of the recent ring: those that just expired leave it
    if (f[S.epCount] > f[S.recentCount]) {
      const count = f[S.recentCount] | 0;
      f[S.epCount] = count;
      let sum = 0;
      for (let k = 0; k < count; k++) sum += this.epValue(k);
      f[S.epSumValues] = sum;
    }
    // the baseline ran dry under an open episode (a long silence): the episode's fresh points
    // restart the baseline instead of being judged against nothing
    if (f[S.baseCount] < this.P.minPoints) {
      const count = f[S.epCount] | 0;
      this.resetBaseline();
      for (let k = 0; k < count; k++) this.pushBaseline(this.epValue(k), this.epTime(k));
      f[S.epOpen] = 0;
      f[S.epPending] = 0;
    }
  }

  /** Ring position of the episode's k-th point (0 = its opening point). */
  private epPos(k: number): number {
    const f = this.f;
    return ((f[S.recentHead] | 0) + (f[S.recentCount] | 0) - (f[S.epCount] | 0) + k) % this.L.recentCapacity;
  }

  private epValue(k: number): number {
    return this.f[this.L.recentValues + this.epPos(k)];
  }

  private epTime(k: number): number {
    return this.f[this.L.recentTimes + this.epPos(k)];
  }

  // ---- recent ring: every point, for the variance and trend tests ----

  private pushRecent(value: number, outOfBand: boolean, ts: number): void {
    const f = this.f;
    const C = this.L.recentCapacity;
    let head = f[S.recentHead] | 0;
    let count = f[S.recentCount] | 0;
    if (count === C) {
      head = head + 1 === C ? 0 : head + 1;
      count -= 1;
    }
    let pos = head + count;
    if (pos >= C) pos -= C;
    f[this.L.recentValues + pos] = value;
    this.u8[this.L.recentFlags + pos] = outOfBand ? 1 : 0;
    f[this.L.recentTimes + pos] = ts;
    f[S.recentHead] = head;
    f[S.recentCount] = count + 1;
    // keep the bound on the newest ring time (derived once from the ring when not known)
    const known = f[S.newestTime];
    if (known === 0) f[S.newestTime] = Math.max(this.ringNewest(), ts);
    else if (ts > known) f[S.newestTime] = ts;
  }

  /**
   * Keeps only the newest `keep` recent points, so nothing older can make a later test see the
   * same change again. After a regime change (`newRegime`) their raw values are the new normal:
   * none of them counts as out of band any more.
   */
  private keepNewestRecent(keep: number, newRegime: boolean): void {
    const f = this.f;
    const C = this.L.recentCapacity;
    const count = f[S.recentCount] | 0;
    const k = Math.min(keep, count);
    const head = ((f[S.recentHead] | 0) + count - k) % C;
    f[S.recentHead] = head;
    f[S.recentCount] = k;
    if (!newRegime) return;
    for (let j = 0; j < k; j++) this.u8[this.L.recentFlags + ((head + j) % C)] = 0;
  }

  /**
   * The `n` recent points from `from` (0 = oldest) into dst, each out-of-band point replaced by
   * the newest in-band value before it (or, with none left in the ring, the first after it):
   * what the slope tests see, so a burst or a level held out of the baseline bends no line.
   */
  private copyClean(from: number, n: number, dst: Float64Array): void {
    const f = this.f;
    const u8 = this.u8;
    const C = this.L.recentCapacity;
    const head = f[S.recentHead] | 0;
    const rv = this.L.recentValues;
    const rf = this.L.recentFlags;
    let carry = NaN;
    for (let k = from - 1; k >= 0; k--) {
      const pos = (head + k) % C;
      if (u8[rf + pos] === 0) {
        carry = f[rv + pos];
        break;
      }
    }
    let firstClean = -1;
    for (let k = 0; k < n; k++) {
      const pos = (head + from + k) % C;
      if (u8[rf + pos] === 0) {
        carry = f[rv + pos];
        if (firstClean < 0) firstClean = k;
      }
      dst[k] = carry;
    }
    if (carry !== carry) {
      // every point is out of band: the raw values are all there is
      for (let k = 0; k < n; k++) dst[k] = f[rv + ((head + from + k) % C)];
    } else if (dst[0] !== dst[0]) {
      for (let k = 0; k < firstClean; k++) dst[k] = dst[firstClean];
    }
  }

  // ---- episodes ----

  /**
   * Timestamp of the recent point at `index` (0 = oldest), moved forward to the first point after
   * the newest reported start: a change estimated to begin before an anomaly already reported
   * is dated after it, so starts stay in order and anomaly ids stay unique with bounded state.
   */
  private recentTimeAfterLastStart(index: number): number {
    const count = this.f[S.recentCount] | 0;
    const lastStart = this.f[S.lastStart];
    let k = index < 0 ? 0 : index;
    while (k < count - 1 && this.recentTime(k) <= lastStart) k++;
    return this.recentTime(k);
  }

  /** Timestamp of the recent point at `index` (0 = oldest). */
  private recentTime(index: number): number {
    return this.f[this.L.recentTimes + (((this.f[S.recentHead] | 0) + index) % this.L.recentCapacity)];
  }

  private reserveStart(ts: number): number {
    const f = this.f;
    // two anomalies of one series must never share a start: the anomaly id derives from it
    const start = ts > f[S.lastStart] ? ts : f[S.lastStart] + 1;
    f[S.lastStart] = start;
    return start;
  }

  /** pendingBar > 0: a borderline point, reported only if the next one passes this bar too (confirmPending). */
  private openEpisode(value: number, ts: number, z: number, absZInc: number, mean: number, stdEff: number, incStd: number, n: number, i: number, pendingBar: number): void {
    const f = this.f;
    f[S.epOpen] = 1;
    // a waiting episode takes its start only once reported (confirmPending): one that closes
    // unreported leaves the next report's start where it would have been
    f[S.epStart] = pendingBar > 0 ? (ts > f[S.lastStart] ? ts : f[S.lastStart] + 1) : this.reserveStart(ts);
    f[S.epType] = OUTLIER;
    f[S.epVersion] = 1;
    f[S.epCount] = 0;
    f[S.epLastAnom] = 0;
    f[S.epNormalRun] = 0;
    f[S.epAnomCount] = 0;
    f[S.epSumZ] = 0;
    f[S.epPeakZ] = 0;
    f[S.epExpected] = mean;
    f[S.epStd] = stdEff;
    f[S.epIncStd] = incStd;
    f[S.epWarm] = n;
    this.bufferEpisodePoint(value, z);
    const conf = this.warmFactor(n) * confidenceFromZ(absZInc, this.L.windowSize);
    const score = strengthScore(absZInc, this.P.zThreshold);
    if (pendingBar > 0) {
      f[S.epPending] = pendingBar;
      f[S.epPendingConf] = conf;
      f[S.epPendingScore] = score;
      return;
    }
    f[S.epPending] = 0;
    this.emit(i, OUTLIER, 1, f[S.epStart], conf, score, z, mean, 1, 'isolated');
  }

  /**
   * The waiting episode's first report, made at point i (its start stays the opening point's):
   * the next point confirmed it, or something refines it before that.
   */
  private confirmPending(i: number, z: number): void {
    const f = this.f;
    if (f[S.epPending] === 0) return;
    f[S.epPending] = 0;
    this.reserveStart(f[S.epStart]);
    this.emit(i, OUTLIER, 1, f[S.epStart], f[S.epPendingConf], f[S.epPendingScore], z, f[S.epExpected], f[S.epCount], 'isolated');
  }

  /** Counts the newest recent point (just pushed) into the episode. */
  private bufferEpisodePoint(value: number, z: number): void {
    const f = this.f;
    const k = f[S.epCount] | 0;
    f[S.epCount] = k + 1;
    f[S.epSumValues] = k === 0 ? value : f[S.epSumValues] + value;
    if (Math.abs(z) >= this.P.zExit) {
      f[S.epLastAnom] = k;
      f[S.epNormalRun] = 0;
      f[S.epAnomCount] += 1;
      f[S.epSumZ] += z;
      if (Math.abs(z) > Math.abs(f[S.epPeakZ])) f[S.epPeakZ] = z;
    } else {
      f[S.epNormalRun] += 1;
    }
  }

  private continueEpisode(value: number, ts: number, z: number, i: number): void {
    const f = this.f;
    const P = this.P;
    this.bufferEpisodePoint(value, z);
    if (f[S.epPending] !== 0) {
      // a borderline lone point: reported if this one passes the bar it passed (on its side),
      // else it was the tail of the noise, and the episode closes unreported (its point joins
      // the baseline clipped, as a returned one)
      const bar = f[S.epPending];
      if ((z >= bar && f[S.epPeakZ] > 0) || (z <= -bar && f[S.epPeakZ] < 0)) this.confirmPending(i, z);
      else {
        f[S.epPending] = 0;
        this.closeReturnedEpisode();
        return;
      }
    }
    if (f[S.epNormalRun] >= P.returnPoints) {
      // A burst that held out a good share of a variance window may have been the first swing
      // of a wider spread. Ask now: its points are not in the baseline yet, so the baseline still
      // shows the old spread; once they join it (and the next swings after them) the ratio the
      // variance test needs is gone. If so, the burst is refined to the variance change.
      if (f[S.epType] !== OUTLIER && f[S.epCount] * CLOSING_VARIANCE_SHARE >= P.varianceWindow && this.varianceCheck(z, i)) return;
      this.closeReturnedEpisode();
      return;
    }
    const peakScore = strengthScore(Math.abs(f[S.epPeakZ]), P.zThreshold);
    if (f[S.epType] === OUTLIER && f[S.epAnomCount] > P.outlierMaxPoints) {
      const type = f[S.epSumZ] >= 0 ? SPIKE : DROP;
      f[S.epType] = type;
      f[S.epVersion] += 1;
      this.emit(i, type, f[S.epVersion], f[S.epStart], this.burstConfidence(), peakScore, z, f[S.epExpected], f[S.epCount], 'burst');
    }
    if (f[S.epCount] > P.spikeMaxPoints) {
      // it did not come back: a new regime, whose level (or spread) is the new normal
      const count = f[S.epCount] | 0;
      let sum = 0;
      for (let k = 0; k < count; k++) sum += this.epValue(k);
      const shift = (sum / count - f[S.epExpected]) / f[S.epStd];
      const cause: FindingCause = Math.abs(shift) >= P.zExit ? 'level' : 'variance';
      f[S.epType] = PATTERN;
      f[S.epVersion] += 1;
      const conf = this.warmFactor(f[S.epWarm]) * confidenceFromZ(shift * Math.sqrt(count), this.L.windowSize);
      const score = Math.max(peakScore, strengthScore(Math.abs(shift), P.zThreshold));
      this.emit(i, PATTERN, f[S.epVersion], f[S.epStart], conf, score, z, f[S.epExpected], count, cause);
      this.adoptEpisodeAsBaseline();
    }
  }

  /**
   * Back to normal: the episode's points join the baseline clipped to ±RETURN_CLIP·zThreshold
   * baseline deviations, so a one-off outlier (however huge: a unit bug) barely moves the
   * statistics. When anomalies keep recurring (an hourly job, a spiky source) the bound is
   * taken from the std with the opening point included, so they widen the spread — also of a
   * flat baseline — until they are no longer anomalies.
   */
  private closeReturnedEpisode(): void {
    const f = this.f;
    const recurring = f[S.onsetRate] >= RECURRING_ONSETS;
    this.flushEpisode(RETURN_CLIP * this.P.zThreshold * (recurring ? f[S.epIncStd] : f[S.epStd]));
  }

  /** The episode is the new regime: its points join the baseline unclipped and it ends. */
  private adoptEpisodeAsBaseline(): void {
    this.flushEpisode(Infinity);
    this.keepNewestRecent(this.f[S.epCount] | 0, true);
  }

  private flushEpisode(clip: number): void {
    const f = this.f;
    const count = f[S.epCount] | 0;
    const lo = f[S.epExpected] - clip;
    const hi = f[S.epExpected] + clip;
    for (let k = 0; k < count; k++) {
      const v = this.epValue(k);
      this.pushBaseline(v < lo ? lo : v > hi ? hi : v, this.epTime(k));
    }
    f[S.epOpen] = 0;
  }

  /** x → mean + delta + (x − mean)·scale for every baseline point, statistics updated to match. */
  private shiftBaseline(delta: number, scale: number): void {
    const f = this.f;
    const W = this.L.windowSize;
    const count = f[S.baseCount] | 0;
    const head = f[S.baseHead] | 0;
    const bv = this.L.baseValues;
    const mean = f[S.baseMean];
    for (let k = 0; k < count; k++) {
      const pos = (head + k) % W;
      f[bv + pos] = mean + delta + (f[bv + pos] - mean) * scale;
    }
    this.recomputeBaseline();
  }

  /** How unlikely a normal series shows this many out-of-band points in a row (log space: no underflow). */
  private burstConfidence(): number {
    const f = this.f;
    const P = this.P;
    const extra = f[S.epAnomCount] - 1;
    const logP = Math.log(Math.max(1e-300, twoSidedTail(P.zThreshold))) + extra * Math.log(Math.max(1e-300, twoSidedTail(P.zExit)));
    return this.warmFactor(f[S.epWarm]) * Math.exp(-this.L.windowSize * Math.exp(logP));
  }

  /** Few baseline points make a shaky std: scale confidence down until 2 × minPoints. */
  private warmFactor(n: number): number {
    const w = n / (2 * this.P.minPoints);
    return w < 1 ? w : 1;
  }

  // ---- variance and trend tests ----

  private shapeChecks(seen: number, z: number, i: number): void {
    if (this.varianceCheck(z, i)) return;
    // an open episode postpones the trend test to the next check without one
    if (this.f[S.epOpen] === 0 && seen - this.f[S.lastTrendTest] >= this.P.trendStride) {
      this.f[S.lastTrendTest] = seen;
      if (this.f[S.trVersion] > 0) this.followTrend(seen, z, i);
      this.trendCheck(seen, z, i);
    }
  }

  /** Noise scales from second differences: blind to level, slope and slow seasons. */
  private varianceCheck(z: number, i: number): boolean {
    const f = this.f;
    const P = this.P;
    const V = P.varianceWindow;
    const nBase = f[S.baseCount];
    const count = f[S.recentCount] | 0;
    if (count < V || nBase < V || nBase < P.minPoints) return false;
    const mean = f[S.baseMean];
    const baseNoise = (f[S.baseAbsDiff2] / (nBase - 2)) * DIFF2_TO_STD;
    const baseStd = Math.sqrt(f[S.baseM2] / (nBase - 1));
    // a constant or step-like baseline has no noise to compare with
    if (!(baseNoise >= MIN_NOISE_SHARE * baseStd) || baseNoise <= this.floorStd(0, mean)) return false;
    if (scratch.length < V) scratch = new Float64Array(Math.max(V, this.L.recentCapacity));
    const y = scratch;
    copyRing(f, this.L.recentValues, this.L.recentCapacity, f[S.recentHead] | 0, count - V, V, y);
    const baseScale = this.floorStd(baseNoise, mean);
    // the recent points are clipped the way returned episodes enter the baseline, so both sides
    // measure the same thing and a few huge spikes cannot pass for a wider spread
    const clip = RETURN_CLIP * P.zThreshold * this.floorStd(baseStd, mean);
    const lo = mean - clip;
    const hi = mean + clip;
    for (let k = 0; k < V; k++) y[k] = y[k] < lo ? lo : y[k] > hi ? hi : y[k];
    // second-difference terms, in place: y[k] = |Δ²| ending at point k + 2
    const m = V - 2;
    let sumAbs = 0;
    for (let k = 0; k < m; k++) {
      const t = Math.abs(y[k + 2] - 2 * y[k + 1] + y[k]);
      y[k] = t;
      sumAbs += t;
    }
    const recentScale = this.floorStd((sumAbs / m) * DIFF2_TO_STD, mean);
    const ratio = recentScale / baseScale;
    const logRatio = Math.abs(Math.log(ratio));
    // practically large (varianceRatio) and statistically clear for this many terms
    if (logRatio < Math.log(P.varianceRatio) || logRatio < VARIANCE_SIGNIFICANCE * (LOG_SCALE_SD / Math.sqrt(m))) return false;
    // confirm with medians (rarely reached, so their O(windowSize) cost is affordable): a single
    // extreme point moves a mean of |Δ²| on either side, never a median
    if (!this.confirmedByMedians(y, m, mean, ratio > 1)) return false;

    // where in the window did the spread change? The split with the largest weighted log contrast;
    // the part after it is the new regime (its scale, its points, its start)
    const minSeg = Math.max(5, Math.floor(m / 10));
    let total = 0;
    for (let k = 0; k < m; k++) total += y[k];
    let before = 0;
    let split = 0;
    let bestContrast = -1;
    for (let j = 1; j < m; j++) {
      before += y[j - 1];
      if (j < minSeg || m - j < minSeg) continue;
      const a = this.floorStd((before / j) * DIFF2_TO_STD, mean);
      const b = this.floorStd(((total - before) / (m - j)) * DIFF2_TO_STD, mean);
      const contrast = Math.abs(Math.log(b / a)) * Math.sqrt((j * (m - j)) / m);
      if (contrast > bestContrast) {
        bestContrast = contrast;
        split = j;
      }
    }
    let after = 0;
    for (let k = split; k < m; k++) after += y[k];
    const newScale = this.floorStd((after / (m - split)) * DIFF2_TO_STD, mean);

    const conf = this.warmFactor(nBase) * confidenceFromZ(logRatio / (LOG_SCALE_SD / Math.sqrt(m)), this.L.windowSize / P.checkStride);
    const score = strengthScore(logRatio, Math.log(P.varianceRatio));
    const keep = V - split - 1; // points from the one that opens the first post-split term
    if (f[S.epOpen] !== 0) {
      this.confirmPending(i, z);
      f[S.epVersion] += 1;
      f[S.epType] = PATTERN;
      this.emit(i, PATTERN, f[S.epVersion], f[S.epStart], conf, score, z, f[S.epExpected], f[S.epCount], 'variance');
      // the episode's in-band points are ordinary members of the new regime
      this.closeReturnedEpisode();
    } else {
      const start = this.reserveStart(this.recentTimeAfterLastStart(count - keep));
      this.emit(i, PATTERN, 1, start, conf, score, z, mean, keep, 'variance');
    }
    // the new spread is normal from now on: the baseline keeps its level and shape, rescaled
    this.shiftBaseline(0, newScale / baseScale);
    this.keepNewestRecent(keep, true);
    return true;
  }

  /** Median noise scales agree with the mean-based test: same direction, at least varianceRatio. */
  private confirmedByMedians(terms: Float64Array, m: number, mean: number, wider: boolean): boolean {
    const f = this.f;
    const W = this.L.windowSize;
    const count = f[S.baseCount] | 0;
    if (scratch2.length < Math.max(m, count)) scratch2 = new Float64Array(Math.max(m, count, this.L.recentCapacity));
    const t = scratch2;
    t.set(terms.subarray(0, m));
    const recent = this.floorStd(medianInPlace(t, m) * MEDIAN_DIFF2_TO_STD, mean);
    const head = f[S.baseHead] | 0;
    const bv = this.L.baseValues;
    let x2 = f[bv + head];
    let x1 = f[bv + ((head + 1) % W)];
    for (let k = 2; k < count; k++) {
      const x0 = f[bv + ((head + k) % W)];
      t[k - 2] = Math.abs(x0 - 2 * x1 + x2);
      x2 = x1;
      x1 = x0;
    }
    const base = this.floorStd(medianInPlace(t, count - 2) * MEDIAN_DIFF2_TO_STD, mean);
    const ratio = recent / base;
    return wider ? ratio >= this.P.varianceRatio : ratio <= 1 / this.P.varianceRatio;
  }

  private trendCheck(seen: number, z: number, i: number): void {
    const f = this.f;
    const P = this.P;
    const n = P.trendWindow;
    const nBase = f[S.baseCount];
    const count = f[S.recentCount] | 0;
    if (count < n || nBase < P.minPoints) return;
    if (this.seasonalOn && seasonHoldsTrend(f, this.L.season, this.recentTime(count - 1) - this.recentTime(count - n))) return;
    if (scratch.length < n) scratch = new Float64Array(Math.max(n, this.L.recentCapacity));
    const y = scratch;
    this.copyClean(count - n, n, y);
    const minSegment = Math.max(4, Math.floor(n / 8));
    const gridStep = Math.max(1, Math.floor(n / 64));
    const r = trendChangeTest(y, n, minSegment, gridStep, trendResult);
    if (r.knot < 0 || Math.abs(r.t) < P.trendThreshold || r.hingeGain <= r.stepGain) return;
    const mean = f[S.baseMean];
    const noise = this.floorStd(r.noiseStd, mean);
    if (r.residualStd > P.trendFitTolerance * noise) return;
    const departure = Math.abs(r.slopeChange) * (n - 1 - r.knot);
    if (departure < P.trendMinShift * noise) return;

    const startTs = this.reserveStart(this.recentTimeAfterLastStart(count - n + r.knot));
    const conf = this.warmFactor(nBase) * confidenceFromZ(r.t, this.L.windowSize / P.trendStride);
    const score = Math.max(strengthScore(Math.abs(r.t), P.trendThreshold), strengthScore(departure / noise, P.zThreshold));
    this.emit(i, TREND, 1, startTs, conf, score, z, mean, n - r.knot, 'slope');
    const reported = this.findings[this.findings.length - 1];
    f[S.trVersion] = 1;
    f[S.trStart] = startTs;
    f[S.trKnotSeen] = seen - (n - 1 - r.knot);
    f[S.trLevel] = r.levelAtKnot;
    f[S.trNoise] = noise;
    f[S.trSign] = r.slopeChange >= 0 ? 1 : -1;
    f[S.trScore] = reported.score;
    f[S.trConfidence] = reported.confidence;
    f[S.trExpected] = mean;
    // forget the points before the change: the next test compares the new slope with what follows
    this.keepNewestRecent(n - r.knot, false);
  }

  /**
   * Re-scores the followed trend by how far it has taken the series from the level at its knot:
   * the current level is the end of a straight line fitted to the (clean) points since the knot,
   * its departure in noise standard deviations is scored like a z (0.5 at zThreshold). A slope
   * test finds a drift long before it matters; this lets the report grow with it instead of
   * staying at the size it had when first seen, while the baseline follows the drift.
   */
  private followTrend(seen: number, z: number, i: number): void {
    const f = this.f;
    const P = this.P;
    const age = seen - f[S.trKnotSeen]; // at most trendWindow: step() ends the following after that
    const count = f[S.recentCount] | 0;
    const m = Math.min(count, age);
    if (m < MIN_FOLLOW_POINTS) return;
    if (scratch.length < m) scratch = new Float64Array(Math.max(m, this.L.recentCapacity));
    const y = scratch;
    this.copyClean(count - m, m, y);
    const c = (m - 1) / 2;
    let sum = 0;
    for (let k = 0; k < m; k++) sum += y[k];
    const mean = sum / m;
    let sxy = 0;
    for (let k = 0; k < m; k++) sxy += (k - c) * (y[k] - mean);
    const slope = sxy / ((m * (m * m - 1)) / 12);
    const level = mean + slope * c;
    const departure = (f[S.trSign] * (level - f[S.trLevel])) / f[S.trNoise];
    if (!(departure > 0)) return;
    const score = strengthScore(departure, P.zThreshold);
    if (score < f[S.trScore] + REFINE_STEP) return;
    const version = f[S.trVersion] + 1;
    f[S.trVersion] = version;
    f[S.trScore] = score;
    this.emit(i, TREND, version, f[S.trStart], f[S.trConfidence], score, z, f[S.trLevel], age, 'slope');
  }

  private emit(
    i: number,
    typeCode: number,
    version: number,
    startTimestamp: number,
    confidence: number,
    score: number,
    zscore: number,
    expected: number,
    pointCount: number,
    cause: FindingCause,
  ): void {
    const f = this.f;
    // the tenth new anomaly of this size within a while is less telling than the first:
    // confidence in a new report shrinks with the recent rate of reports at least as strong in
    // this series (report-rarity.ts; without it, of all new reports). A new anomaly also ends
    // the following of an earlier trend (trendCheck starts following its own afterwards).
    if (version === 1) {
      if (this.rarityDecay > 0) {
        const logR = logStrength(score);
        confidence *= rarityDiscount(rateAtLeast(f, S.rarity, logR));
        recordReport(f, S.rarity, logR);
      } else confidence /= Math.sqrt(1 + f[S.onsetRate]);
      f[S.onsetRate] += 1;
      f[S.trVersion] = 0;
    }
    const conf = confidence < 0 ? 0 : confidence > 1 ? 1 : confidence;
    const sc = score < 0 ? 0 : score > 1 ? 1 : score;
    // a refinement describes an anomaly already scored where it started
    if (version === 1) {
      const pointScore = 0.5 + 0.5 * sc * conf;
      if (pointScore > this.findingScore) this.findingScore = pointScore;
    }
    this.findings.push({
      pointIndex: i,
      seriesIndex: this.seriesIndex,
      type: TYPE_CODES[typeCode],
      version,
      startTimestamp,
      confidence: conf,
      score: sc,
      zscore,
      // measured on residuals while a cycle is modelled: the expected value at this point
      expected: expected + this.season,
      pointCount,
      cause,
    });
  }
}
