/**
 * Tuning of the per-series detector. Plain numbers only, so a params object crosses the worker
 * boundary by structured clone and can be compared field by field.
 *
 * The fields marked "layout" size the series state buffer: a state created under one value
 * cannot be restored under another (restoreSeriesState refuses it).
 */
import type { VigilConfig } from '../core/config.ts';
import { VigilError } from '../core/errors.ts';
import { SEASON_AUTO, SEASON_NONE } from './seasonal.ts';

export interface DetectorParams {
  /** layout — at most this many baseline points (the rolling window). */
  windowSize: number;
  /** Baseline points older than this (relative to the newest point) leave the statistics. */
  windowMs: number;
  /** Warm-up: no anomaly before the baseline holds this many points. */
  minPoints: number;
  /** |z| at or above this opens an anomaly episode. */
  zThreshold: number;
  /**
   * A lone point with |z| in [zThreshold, zConfirm) is reported only if the next point confirms
   * it (passes zThreshold too, on the same side); at zConfirm or above it is reported at once.
   * Gaussian noise passes 4σ once every ~16,000 rows (more often on the heavier tails of real
   * residuals), twice in a row on one side once every ~10^9 (docs/detection.md, "Confirming a
   * borderline point"). zConfirm = zThreshold: every point at once. Where the burst model
   * raised the bar, zConfirm scales with it; the next point must pass zThreshold.
   */
  zConfirm: number;
  /** |z| below this counts as "back to normal" inside an episode (hysteresis band). */
  zExit: number;
  /** Consecutive normal points that close an episode. */
  returnPoints: number;
  /** An episode with at most this many out-of-band points is an outlier. */
  outlierMaxPoints: number;
  /** layout — an episode longer than this (points since its start) is a pattern change. */
  spikeMaxPoints: number;
  /** layout — points in the trend test window (older and newer part, change point searched inside). */
  trendWindow: number;
  /** layout — newest points whose noise scale is compared with the baseline's (variance change). */
  varianceWindow: number;
  /** The variance test runs on every checkStride-th point of a series. */
  checkStride: number;
  /** The (costlier, slower-moving) trend test runs at most every trendStride points; a multiple of checkStride. */
  trendStride: number;
  /** Recent/baseline noise-scale ratio (or its inverse) that declares a variance change. */
  varianceRatio: number;
  /** t statistic of the slope change (broken line vs straight line) that declares a trend change. */
  trendThreshold: number;
  /** Minimum departure caused by the slope change at the window end, in noise standard deviations. */
  trendMinShift: number;
  /**
   * The broken line must fit the window to within this many noise standard deviations: a window
   * a broken line does not describe (seasonal swings, curves) is no evidence of a trend change.
   */
  trendFitTolerance: number;
  /**
   * Floor for the standard deviation used in z: max(stdFloorAbs, stdFloorRel · |mean|). Only
   * keeps z finite on (nearly) constant series: changes below a millionth of the level are
   * not anomalies by themselves, anything above that is judged by the data's own spread.
   */
  stdFloorAbs: number;
  stdFloorRel: number;
  /**
   * Anomaly likelihood (likelihood.ts) over the per-point deviation: a warm point opens an
   * episode only if its log likelihood is at least this, i.e. if its deviation is also unusual
   * for this series lately (a bursty counter's usual bursts are not). 0: no gate (the default:
   * docs/detection.md has the figures that keep it off).
   */
  likelihoodGate: number;
  /** Points of history the likelihood's long-term distribution spans (in 16 blocks). */
  likelihoodHistory: number;
  /**
   * Seasonal baseline (seasonal.ts), in seconds: -1 = auto (a daily cycle, and a day-of-week
   * shape on top of it, are modelled once the data show them), 0 = none (never modelled, costs
   * nothing), > 0 = this known period (modelled as soon as every phase has been seen). Once a
   * cycle is modelled, z, typing and the shape tests work on value − seasonal offset.
   */
  seasonPeriod: number;
  /**
   * Burst model (burst.ts): points of memory of this series' normal excursions past
   * 0.75 · zThreshold; a series whose excursions are clearly more frequent and larger than
   * Gaussian noise's needs a larger |z| to open an episode. 0: off. Default: 2 × windowSize.
   */
  burstMemory: number;
  /**
   * Report rarity (report-rarity.ts): points of memory of this series' new reports and their
   * strengths; a new report's confidence is divided by (1 + the decayed number of earlier
   * reports at least as strong)^0.75. 0: divided by √(1 + the decayed number of earlier reports,
   * whatever their strength, over about a window) instead. Default: RARITY_MEMORY_WINDOWS × windowSize.
   */
  rarityMemory: number;
}

export const DETECTOR_DEFAULTS = {
  windowSize: 1000,
  windowMs: 3_600_000,
  minPoints: 30,
  zThreshold: 4,
  zExit: 2,
  returnPoints: 2,
  outlierMaxPoints: 2,
  checkStride: 20,
  varianceRatio: 2,
  trendThreshold: 6,
  trendMinShift: 2,
  trendFitTolerance: 1.5,
  stdFloorAbs: 1e-9,
  stdFloorRel: 1e-6,
  likelihoodGate: 0,
  // auto: better or equal on the corpus at every seed and on NAB (docs/detection.md, "Seasonal baseline")
  seasonPeriod: SEASON_AUTO,
} as const;

/** zConfirm's default as a multiple of zThreshold (5 at the default 4: docs/detection.md). */
export const CONFIRM_RATIO = 1.25;
/** Default report-rarity memory in windows (docs/detection.md, "Report rarity", has the sweep). */
export const RARITY_MEMORY_WINDOWS = 16;

/** Longest known period accepted (seconds): a year. */
export const MAX_SEASON_PERIOD = 366 * 86_400;
/** Shortest known period accepted (seconds): 48 knots of at least 10 s. */
export const MIN_SEASON_PERIOD = 480;

/** Defaults scaled from the window size; `overrides` win. Validates the result. */
export function detectorParams(overrides: Partial<DetectorParams> = {}): DetectorParams {
  const windowSize = overrides.windowSize ?? DETECTOR_DEFAULTS.windowSize;
  const params: DetectorParams = {
    ...DETECTOR_DEFAULTS,
    windowSize,
    // a spike is "a few points up to about a tenth of the window"
    spikeMaxPoints: Math.max(3, Math.round(windowSize / 10)),
    trendWindow: Math.max(40, Math.round(windowSize * 0.4)),
    varianceWindow: Math.max(30, Math.round(windowSize / 10)),
    trendStride: (overrides.checkStride ?? DETECTOR_DEFAULTS.checkStride) * Math.max(1, Math.round(windowSize / 500)),
    minPoints: Math.min(DETECTOR_DEFAULTS.minPoints, Math.max(3, Math.floor(windowSize / 2))),
    zConfirm: (overrides.zThreshold ?? DETECTOR_DEFAULTS.zThreshold) * CONFIRM_RATIO,
    likelihoodHistory: 4 * windowSize,
    burstMemory: 2 * windowSize,
    rarityMemory: RARITY_MEMORY_WINDOWS * windowSize,
    ...overrides,
  };
  validateDetectorParams(params);
  return params;
}

/** The pipeline's params from the validated config (`config.pipeline`). */
export function defaultDetectorParams(pipeline: Pick<VigilConfig['pipeline'], 'windowSize' | 'windowMs'> & Partial<Pick<VigilConfig['pipeline'], 'seasonPeriod'>>): DetectorParams {
  return detectorParams({
    windowSize: pipeline.windowSize,
    windowMs: pipeline.windowMs,
    ...(pipeline.seasonPeriod === undefined ? {} : { seasonPeriod: seasonPeriodParam(pipeline.seasonPeriod) }),
  });
}

/**
 * The seasonPeriod param of one series: its override in pipeline.seasonPeriods keyed by its series
 * id (`<source>/<metric>`), else by its metric name, else the pipeline's. The series key wins so
 * one service's known weekly cycle can be set without changing every source of that metric.
 */
export function seriesSeasonPeriod(pipeline: Pick<VigilConfig['pipeline'], 'seasonPeriod' | 'seasonPeriods'>, source: string, metric: string): number {
  const overrides = pipeline.seasonPeriods;
  const seriesKey = `${source}/${metric}`;
  const own = Object.hasOwn(overrides, seriesKey) ? overrides[seriesKey] : Object.hasOwn(overrides, metric) ? overrides[metric] : undefined;
  return seasonPeriodParam(own ?? pipeline.seasonPeriod);
}

function fail(problem: string): never {
  throw new VigilError(`invalid detector params: ${problem}`, {
    action: 'fix pipeline.windowSize / windowMs in the config, or the overrides passed to detectorParams()',
  });
}

function int(params: DetectorParams, key: keyof DetectorParams, min: number, max: number): void {
  const v = params[key];
  if (!Number.isInteger(v) || v < min || v > max) fail(`${key}=${v} must be an integer in [${min}, ${max}]`);
}

function num(params: DetectorParams, key: keyof DetectorParams, min: number, max = Infinity): void {
  const v = params[key];
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) fail(`${key}=${v} must be a number in [${min}, ${max}]`);
}

export function validateDetectorParams(params: DetectorParams): void {
  if (typeof params !== 'object' || params === null) fail('params must be an object');
  int(params, 'windowSize', 10, 1_000_000);
  num(params, 'windowMs', 1); // Infinity allowed: count-only window
  int(params, 'minPoints', 2, params.windowSize);
  num(params, 'zThreshold', 0.5, 1e6);
  num(params, 'zConfirm', params.zThreshold, 1e6);
  num(params, 'zExit', 0, params.zThreshold);
  int(params, 'returnPoints', 1, 1000);
  int(params, 'outlierMaxPoints', 1, 1000);
  int(params, 'spikeMaxPoints', params.outlierMaxPoints + 1, params.windowSize - 1);
  int(params, 'trendWindow', 16, params.windowSize * 4);
  int(params, 'varianceWindow', 8, params.windowSize * 4);
  int(params, 'checkStride', 1, 1_000_000);
  int(params, 'trendStride', params.checkStride, 1_000_000);
  if (params.trendStride % params.checkStride !== 0) fail(`trendStride=${params.trendStride} must be a multiple of checkStride=${params.checkStride}`);
  num(params, 'varianceRatio', 1.01, 1e6);
  num(params, 'trendThreshold', 0.5, 1e6);
  num(params, 'trendMinShift', 0, 1e6);
  num(params, 'trendFitTolerance', 1, 1e6);
  num(params, 'stdFloorAbs', Number.MIN_VALUE, 1e300);
  num(params, 'stdFloorRel', 0, 1);
  num(params, 'likelihoodGate', 0, 1);
  int(params, 'likelihoodHistory', 16, 100_000_000);
  if (params.burstMemory !== 0) int(params, 'burstMemory', 2, 100_000_000);
  if (params.rarityMemory !== 0) int(params, 'rarityMemory', 2, 100_000_000);
  const sp = params.seasonPeriod;
  if (sp !== SEASON_AUTO && sp !== SEASON_NONE && !(Number.isInteger(sp) && sp >= MIN_SEASON_PERIOD && sp <= MAX_SEASON_PERIOD)) {
    fail(`seasonPeriod=${sp} must be -1 (auto), 0 (none) or a period in whole seconds in [${MIN_SEASON_PERIOD}, ${MAX_SEASON_PERIOD}]`);
  }
}

/** Config spelling of the seasonal period ('auto' | 'none' | seconds) as the detector param. */
export function seasonPeriodParam(period: 'auto' | 'none' | number): number {
  return period === 'auto' ? SEASON_AUTO : period === 'none' ? SEASON_NONE : period;
}

/** The fields that size the state buffer, in header order. */
export function layoutFields(params: DetectorParams): [windowSize: number, episodeCapacity: number, recentCapacity: number] {
  // the open episode lives in the recent ring, so the ring holds at least a whole episode
  const episodeCapacity = params.spikeMaxPoints + 1;
  return [params.windowSize, episodeCapacity, Math.max(params.trendWindow, params.varianceWindow, episodeCapacity)];
}
