/**
 * The pipeline's detector over one whole recorded series, for the offline tools (`vigil nab`,
 * `vigil detect`, the corpus report). It calls `scoreBatch` — the very function the Piscina
 * task runs — on one fresh series state, feeding the rows in time order in pipeline-sized
 * batches, so what these tools measure is what the pipeline would report for that series.
 */
import { detectorParams, type DetectorParams } from '../../workers/detector-params.ts';
import { createSeriesState } from '../../workers/series-state.ts';
import { scoreBatch, type AnomalyFinding } from '../../workers/score-batch.ts';

export type { AnomalyFinding } from '../../workers/score-batch.ts';
export type { DetectorParams } from '../../workers/detector-params.ts';

/** Rows per scoring task: about what one pipeline batch holds for one series. */
export const OFFLINE_BATCH_ROWS = 1000;

/**
 * Params for scoring recorded files: the pipeline's detector with its defaults for the window
 * size, but the window bounded by count only. Recorded files (NAB, exports) span days to months
 * at minute steps, where the pipeline's default one-hour time window would hold a few points
 * and never warm up.
 */
export function offlineDetectorParams(overrides: Partial<DetectorParams> = {}): DetectorParams {
  return detectorParams({ windowMs: Infinity, ...overrides });
}

export interface SeriesRun {
  /** Per row, as ScoreResult documents them. */
  score: Float64Array;
  zscore: Float64Array;
  mean: Float64Array;
  std: Float64Array;
  /** Reports and refinements; `pointIndex` is the row index in the whole series. */
  findings: AnomalyFinding[];
}

/** One pass over the rows in order; batches share the series state exactly as in the pipeline. */
export function runSeries(values: Float64Array, timestamps: Float64Array, params: DetectorParams, batchRows = OFFLINE_BATCH_ROWS): SeriesRun {
  const n = values.length;
  const out: SeriesRun = { score: new Float64Array(n), zscore: new Float64Array(n), mean: new Float64Array(n), std: new Float64Array(n), findings: [] };
  const state = createSeriesState(params);
  for (let from = 0; from < n; from += batchRows) {
    const to = Math.min(n, from + batchRows);
    const result = scoreBatch({
      params,
      states: [state],
      series: new Uint32Array(to - from),
      values: values.slice(from, to),
      timestamps: timestamps.slice(from, to),
    });
    out.score.set(result.score, from);
    out.zscore.set(result.zscore, from);
    out.mean.set(result.mean, from);
    out.std.set(result.std, from);
    for (const f of result.findings) out.findings.push({ ...f, pointIndex: f.pointIndex + from });
  }
  return out;
}
