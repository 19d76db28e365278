/**
 * One scoring task = one partition batch as typed arrays. `scoreBatch` is pure and synchronous
 * (tests and state replay call it in-process); the default export is the Piscina task handler,
 * which hands the result arrays back by transfer instead of copy.
 *
 * The states are SharedArrayBuffers: the worker updates them in place, so the caller sees the
 * new window state as soon as the task resolves, with nothing copied back.
 */
import { Piscina } from 'piscina';
import { VigilError } from '../core/errors.ts';
import { validateDetectorParams, type DetectorParams } from './detector-params.ts';
import { REPEAT_DUPLICATE, REPEAT_NONE, SeriesDetector, type AnomalyFinding } from './series-detector.ts';
import { layoutMismatch, stateLayout } from './series-state.ts';

export type { AnomalyFinding, FindingCause } from './series-detector.ts';

export interface ScoreTask {
  params: DetectorParams;
  /** One state per series in this batch (createSeriesState / restoreSeriesState). */
  states: SharedArrayBuffer[];
  /** Per point: index into `states`. Points of one series are scored in array order. */
  series: Uint32Array;
  values: Float64Array;
  timestamps: Float64Array;
  /**
   * Drop repeats (the pipeline sets it): a point at a time its series' recent ring already holds
   * is not scored and changes no state; it is listed in `repeats` instead (SeriesDetector.repeatOf).
   * Off, every point is scored (the offline tools: recorded files may repeat a timestamp).
   */
  dropRepeats?: boolean;
}

/** A point not scored because its series already holds a point at its timestamp. */
export interface PointRepeat {
  pointIndex: number;
  /** duplicate: the same value (nothing new); conflict: another value (the first is kept). */
  kind: 'duplicate' | 'conflict';
  /** The value the series holds at that time. */
  firstValue: number;
}

export interface ScoreResult {
  /**
   * Per point: baseline mean and std BEFORE the point joined, its z, and its anomaly score in
   * [0, 1] — >= 0.5 exactly at points that report a new anomaly (a finding with version 1),
   * below 0.5 elsewhere, growing with the deviation.
   */
  mean: Float64Array;
  std: Float64Array;
  zscore: Float64Array;
  score: Float64Array;
  /** Anomaly reports and refinements, in point order. */
  findings: AnomalyFinding[];
  /** With dropRepeats: the points not scored (their mean/std/z/score are 0), in point order. */
  repeats: PointRepeat[];
}

function invalid(problem: string): never {
  throw new VigilError(`invalid score task: ${problem}`, {
    code: 'BAD_SCORE_TASK',
    action: 'the caller must pass finite values/timestamps and one state per series index (decode and validate points before scoring)',
  });
}

/** Checks the whole task before touching any state, so a bad task changes nothing. */
function validateTask(task: ScoreTask): void {
  if (typeof task !== 'object' || task === null) invalid('task must be an object');
  const { states, series, values, timestamps } = task;
  if (!(series instanceof Uint32Array)) invalid('series must be a Uint32Array');
  if (!(values instanceof Float64Array)) invalid('values must be a Float64Array');
  if (!(timestamps instanceof Float64Array)) invalid('timestamps must be a Float64Array');
  if (!Array.isArray(states)) invalid('states must be an array of SharedArrayBuffer');
  if (task.dropRepeats !== undefined && typeof task.dropRepeats !== 'boolean') invalid('dropRepeats must be a boolean when given');
  const n = values.length;
  if (series.length !== n || timestamps.length !== n) invalid(`length mismatch: series ${series.length}, values ${n}, timestamps ${timestamps.length}`);
  validateDetectorParams(task.params);
  const layout = stateLayout(task.params);
  for (let s = 0; s < states.length; s++) {
    if (!(states[s] instanceof SharedArrayBuffer)) invalid(`states[${s}] is not a SharedArrayBuffer`);
    const problem = layoutMismatch(states[s], layout);
    if (problem) {
      throw new VigilError(`invalid score task: states[${s}]: ${problem}`, {
        code: 'STATE_LAYOUT',
        action: 'create or restore every state with the same DetectorParams the task carries',
      });
    }
  }
  const nStates = states.length;
  for (let i = 0; i < n; i++) {
    if (series[i] >= nStates) invalid(`point ${i} refers to state ${series[i]}, only ${nStates} given`);
    if (!Number.isFinite(values[i])) invalid(`point ${i} has a non-finite value (${values[i]})`);
    if (!Number.isFinite(timestamps[i])) invalid(`point ${i} has a non-finite timestamp (${timestamps[i]})`);
  }
}

export function scoreBatch(task: ScoreTask): ScoreResult {
  validateTask(task);
  const { params, states, series, values, timestamps } = task;
  const n = values.length;
  const result: ScoreResult = {
    mean: new Float64Array(n),
    std: new Float64Array(n),
    zscore: new Float64Array(n),
    score: new Float64Array(n),
    findings: [],
    repeats: [],
  };
  const layout = stateLayout(params);
  const detectors: SeriesDetector[] = new Array(states.length);
  const dropRepeats = task.dropRepeats === true;
  for (let s = 0; s < states.length; s++) detectors[s] = new SeriesDetector(states[s], layout, params, s, result.findings, dropRepeats);
  const { mean, std, zscore, score } = result;
  // Repeats are decided point by point on the state as it stands: copies inside one batch too.
  for (let i = 0; i < n; i++) {
    const detector = detectors[series[i]];
    const kind = detector.step(values[i], timestamps[i], i, mean, std, zscore, score);
    if (kind !== REPEAT_NONE) result.repeats.push({ pointIndex: i, kind: kind === REPEAT_DUPLICATE ? 'duplicate' : 'conflict', firstValue: detector.firstValue });
  }
  return result;
}

/** Marks the result's arrays for transfer: a Piscina "movable" whose value is the result itself. */
export function movableResult(result: ScoreResult) {
  const transferable = {
    get [Piscina.transferableSymbol]() {
      return [result.mean.buffer, result.std.buffer, result.zscore.buffer, result.score.buffer];
    },
    get [Piscina.valueSymbol]() {
      return result;
    },
  };
  return Piscina.move(transferable as never);
}

/** Piscina task handler. */
export default function scoreBatchTask(task: ScoreTask) {
  return movableResult(scoreBatch(task));
}
