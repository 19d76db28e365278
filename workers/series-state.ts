/**
 * All detector state of one series in one SharedArrayBuffer: a worker updates it in place, the
 * pipeline snapshots it as bytes and restores it byte for byte. Its size depends only on the
 * layout params, so state is bounded whatever the series does.
 *
 * Layout (little-endian as the host; every supported platform is):
 *   bytes 0..3    'V' 'S' LAYOUT_VERSION 0
 *   bytes 4..15   uint32 windowSize, episodeCapacity, recentCapacity (must match the params)
 *   bytes 16..31  the report rarity's 2 Float64 slots (S.rarity; report-rarity.ts): reserved and
 *                 zero before it, which is its empty state
 *   then Float64: SCALAR_SLOTS scalars (see `S`), the baseline values, the recent values and
 *   times; then Int32: the baseline times (ms relative to S.timeAnchor); then Uint8: one
 *   out-of-band flag per recent point; zero-padded to a multiple of 8 bytes; then Float64: the
 *   anomaly likelihood's region (LIKELIHOOD_SLOTS, see likelihood.ts; none at all while the
 *   likelihoodGate param is 0, the default: the layer never runs then); then the seasonal
 *   baseline's region (SEASON_SLOTS, see seasonal.ts). The burst model (burst.ts) keeps its
 *   BURST_SLOTS among the scalars, from S.burst.
 *
 * The open episode has no buffer of its own: its points are the newest epCount points of the
 * recent ring (recentCapacity >= spikeMaxPoints + 1, see layoutFields).
 */
import { VigilError } from '../core/errors.ts';
import { layoutFields, validateDetectorParams, type DetectorParams } from './detector-params.ts';
import { LIKELIHOOD_SLOTS, resetLikelihood } from './likelihood.ts';
import { SEASON_SLOTS, resetSeason } from './seasonal.ts';
import { BURST_SLOTS } from './burst.ts';
import { RARITY_SLOTS } from './report-rarity.ts';

/**
 * 2: trend-following slots (trVersion..trExpected).
 * 3: ≤ 20 KiB at the default window: baseline times as Int32 offsets, episode read from the
 *    recent ring, out-of-band flags instead of a second ring of clean values.
 * 4: the anomaly likelihood region appended (592 bytes).
 * 5: the seasonal baseline region appended (624 bytes: 36 Float32 knot means, weights and interval means).
 * 6: the likelihood region only when its gate is on (params.likelihoodGate > 0); the seasonal
 *    region holds a weekly component too (seasonal.ts).
 * Older snapshots are refused (STATE_LAYOUT) and the pipeline replays the series' points.
 */
export const LAYOUT_VERSION = 6;
const MAGIC_0 = 0x56; // 'V'
const MAGIC_1 = 0x53; // 'S'
const HEADER_BYTES = 32;
const SCALAR_SLOTS = 48;

/** Float64 slot of each scalar (relative to the start of the Float64 view). */
export const S = {
  // report rarity (report-rarity.ts): RARITY_SLOTS slots in the header's reserved bytes 16..31,
  // zero in older snapshots of this layout, which is its valid empty state (no layout change)
  rarity: 2,
  pointsSeen: 4,
  // baseline ring: points that define "normal"
  baseHead: 5, // index of the oldest point
  baseCount: 6,
  baseMean: 7,
  baseM2: 8, // Welford sum of squared deviations
  baseAbsDiff2: 9, // sum of |x[i] - 2x[i-1] + x[i-2]| over consecutive ring points (noise scale)
  baseUpdates: 10, // add/remove operations since the last exact recompute
  // recent ring: every point, anomalous or not (variance and trend tests)
  recentHead: 11,
  recentCount: 12,
  // the open anomaly episode
  epOpen: 13,
  epStart: 14,
  epType: 15,
  epVersion: 16,
  epCount: 17, // points buffered since the episode start
  epLastAnom: 18, // buffer index of the newest out-of-band point
  epNormalRun: 19,
  epAnomCount: 20,
  epSumZ: 21,
  epPeakZ: 22, // signed z with the largest |z|
  epExpected: 23, // baseline mean when the episode opened
  epStd: 24, // baseline std (floored) when the episode opened
  epWarm: 25, // baseline size when the episode opened
  lastStart: 26, // newest reported startTimestamp (ids must stay unique per series)
  timeAnchor: 27, // ms that the Int32 baseline times are relative to (NaN until the first point)
  epSumValues: 28, // sum of the episode's values (its running level)
  onsetRate: 29, // new anomalies over roughly the last windowSize points (decays by 1/windowSize per point)
  lastTrendTest: 30, // pointsSeen when the trend test last ran
  epIncStd: 31, // baseline std with the opening point included (bounded scale on degenerate baselines)
  // the newest trend change, followed while it is young (re-scored as its departure grows)
  trVersion: 32, // version of its newest report; 0 = no trend followed
  trStart: 33, // its startTimestamp (anomaly id)
  trKnotSeen: 34, // pointsSeen at its knot
  trLevel: 35, // fitted level at the knot: the level before the slope changed
  trNoise: 36, // noise scale (floored) when it was reported
  trSign: 37, // +1 rising, -1 falling (relative to the slope before the knot)
  trScore: 38, // score of its newest report
  trConfidence: 39, // confidence of its first report
  trExpected: 40, // baseline mean of its first report
  // a bound on the newest recent-ring time (>= every time the ring holds; 0 = not known: derive
  // it from the ring). Slot 41 was reserved (0) in older snapshots of this layout, which read as
  // "not known", so no layout bump: the repeat check (series-detector.ts) is the same either way.
  newestTime: 41,
  // the burst model (burst.ts): BURST_SLOTS slots from here; all zero (as in a state written
  // before it existed) is its valid empty state, so it needed no layout change
  burst: 42,
  // pointsSeen of the newest raw value that was not a whole number (0 in older snapshots: read
  // as "none yet", which the next fractional point corrects): whole-number series are judged
  // with their rounding noise as the least spread (series-detector.ts, ROUNDING_SD)
  lastFraction: 48,
  // an episode opened by a lone point below zConfirm waits for the next point before it is
  // reported (series-detector.ts): the bar the next point must pass while it waits (0: none),
  // with the report's confidence and score
  // kept until then. 0 in older snapshots reads "nothing waiting": no layout change
  epPending: 49,
  epPendingConf: 50,
  epPendingScore: 51,
} as const;

// the scalar slots follow the 4 header slots; the burst model's block must fit among them
if (S.burst + BURST_SLOTS > S.lastFraction) throw new Error('series-state: the burst model slots overflow into lastFraction');
if (S.rarity + RARITY_SLOTS > HEADER_BYTES / 8) throw new Error('series-state: the report rarity slots overflow the header');

export interface StateLayout {
  windowSize: number;
  episodeCapacity: number;
  recentCapacity: number;
  /** Float64 index where each Float64 array starts. */
  baseValues: number;
  recentValues: number;
  recentTimes: number;
  /** Int32 index of the baseline times (ms − S.timeAnchor). */
  baseTimes: number;
  /** Byte index of the recent points' out-of-band flags (1: held out of the baseline). */
  recentFlags: number;
  /** Float64 index of the anomaly likelihood's region (likelihood.ts); empty while its gate is off. */
  likelihood: number;
  /** Float64 slots of that region: LIKELIHOOD_SLOTS with the gate on, else 0. */
  likelihoodSlots: number;
  /** Float64 index of the seasonal baseline's region (seasonal.ts). */
  season: number;
  /** Total bytes (a multiple of 8). */
  bytes: number;
}

export function stateLayout(params: DetectorParams): StateLayout {
  const [windowSize, episodeCapacity, recentCapacity] = layoutFields(params);
  let at = HEADER_BYTES / 8 + SCALAR_SLOTS;
  const take = (n: number) => {
    const start = at;
    at += n;
    return start;
  };
  const baseValues = take(windowSize);
  const recentValues = take(recentCapacity);
  const recentTimes = take(recentCapacity);
  const baseTimesByte = at * 8;
  const recentFlags = baseTimesByte + windowSize * 4;
  const likelihood = Math.ceil((recentFlags + recentCapacity) / 8);
  // a layer that never runs needs no room: its 592 bytes hold the weekly component instead
  const likelihoodSlots = params.likelihoodGate > 0 ? LIKELIHOOD_SLOTS : 0;
  const season = likelihood + likelihoodSlots;
  const bytes = (season + SEASON_SLOTS) * 8;
  return { windowSize, episodeCapacity, recentCapacity, baseValues, recentValues, recentTimes, baseTimes: baseTimesByte / 4, recentFlags, likelihood, likelihoodSlots, season, bytes };
}

/** Bytes of one series' state under these params (the whole per-series memory of the detector). */
export function seriesStateBytes(params: DetectorParams): number {
  return stateLayout(params).bytes;
}

function writeHeader(buffer: SharedArrayBuffer, layout: StateLayout): void {
  const bytes = new Uint8Array(buffer, 0, HEADER_BYTES);
  bytes[0] = MAGIC_0;
  bytes[1] = MAGIC_1;
  bytes[2] = LAYOUT_VERSION;
  const dv = new DataView(buffer, 0, HEADER_BYTES);
  dv.setUint32(4, layout.windowSize, true);
  dv.setUint32(8, layout.episodeCapacity, true);
  dv.setUint32(12, layout.recentCapacity, true);
}

/**
 * A fresh state. `seasonPeriod` overrides params.seasonPeriod for this series (a per-series
 * period from the config; same encoding: -1 auto, 0 none, seconds).
 */
export function createSeriesState(params: DetectorParams, seasonPeriod = params.seasonPeriod): SharedArrayBuffer {
  validateDetectorParams(params);
  validateDetectorParams({ ...params, seasonPeriod });
  const layout = stateLayout(params);
  const buffer = new SharedArrayBuffer(layout.bytes);
  writeHeader(buffer, layout);
  const f = new Float64Array(buffer);
  f[S.lastStart] = -Infinity;
  f[S.timeAnchor] = NaN;
  if (layout.likelihoodSlots > 0) resetLikelihood(f, layout.likelihood);
  resetSeason(f, new Float32Array(buffer), layout.season, seasonPeriod);
  return buffer;
}

/**
 * Why `bytes` cannot be this params' state, or null when it can. Checked on restore and before
 * every batch, so a state from another layout never gets misread as numbers.
 */
export function stateMismatch(bytes: ArrayBufferLike | Uint8Array, params: DetectorParams): string | null {
  return layoutMismatch(bytes, stateLayout(params));
}

/** stateMismatch with the layout computed once (checked for every state of every batch). */
export function layoutMismatch(bytes: ArrayBufferLike | Uint8Array, layout: StateLayout): string | null {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes, 0, Math.min(HEADER_BYTES, bytes.byteLength));
  const byteLength = bytes.byteLength;
  if (view.byteLength < HEADER_BYTES || view[0] !== MAGIC_0 || view[1] !== MAGIC_1) return 'not a Vigil series state (bad magic)';
  if (view[2] !== LAYOUT_VERSION) return `layout version ${view[2]}, this build reads version ${LAYOUT_VERSION}`;
  const dv = new DataView(view.buffer, view.byteOffset, HEADER_BYTES);
  const stored = [dv.getUint32(4, true), dv.getUint32(8, true), dv.getUint32(12, true)];
  const expected = [layout.windowSize, layout.episodeCapacity, layout.recentCapacity];
  if (stored[0] !== expected[0] || stored[1] !== expected[1] || stored[2] !== expected[2]) {
    return `sized for windowSize/episode/recent = ${stored.join('/')}, params need ${expected.join('/')}`;
  }
  if (byteLength !== layout.bytes) {
    const why = Math.abs(byteLength - layout.bytes) === LIKELIHOOD_SLOTS * 8 ? ' (likelihoodGate turned on or off: its region exists only while it is on)' : '';
    return `${byteLength} bytes, params need ${layout.bytes}${why}`;
  }
  return null;
}

/** A fresh SharedArrayBuffer holding a copy of snapshot bytes (e.g. `Buffer.from(new Uint8Array(sab))`). */
export function restoreSeriesState(bytes: Uint8Array | ArrayBuffer, params: DetectorParams): SharedArrayBuffer {
  validateDetectorParams(params);
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const problem = stateMismatch(view, params);
  if (problem) {
    throw new VigilError(`cannot restore series state: ${problem}`, {
      code: 'STATE_LAYOUT',
      action: 'the detector layout or window params changed since the snapshot: rebuild the window by replaying points instead',
    });
  }
  const buffer = new SharedArrayBuffer(view.byteLength);
  new Uint8Array(buffer).set(view);
  return buffer;
}

/** A plain copy of the state bytes (what goes into the changelog). */
export function snapshotSeriesState(state: SharedArrayBuffer): Buffer {
  return Buffer.from(new Uint8Array(state).slice());
}

export interface SeriesStateSummary {
  pointsSeen: number;
  baselinePoints: number;
  mean: number;
  std: number;
  openEpisode: null | { startTimestamp: number; type: number; version: number; pointCount: number };
}

/** Read-only summary for stats/health pages (not used by the math). */
export function inspectSeriesState(state: SharedArrayBuffer, params: DetectorParams): SeriesStateSummary {
  const problem = stateMismatch(state, params);
  if (problem) throw new VigilError(`cannot inspect series state: ${problem}`, { code: 'STATE_LAYOUT', action: 'pass the params the state was created with' });
  const f = new Float64Array(state);
  const n = f[S.baseCount];
  return {
    pointsSeen: f[S.pointsSeen],
    baselinePoints: n,
    mean: f[S.baseMean],
    std: n > 1 ? Math.sqrt(f[S.baseM2] / (n - 1)) : 0,
    openEpisode: f[S.epOpen] ? { startTimestamp: f[S.epStart], type: f[S.epType], version: f[S.epVersion], pointCount: f[S.epCount] } : null,
  };
}
