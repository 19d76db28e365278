/**
 * The processor: one partition's decoded points → scored points, anomaly events, alert
 * transitions and SLA snapshots. Scoring runs as ONE worker task per batch (typed arrays,
 * series windows shared); the alert/SLA monitors then walk the points in order. Replay after
 * a restart calls the same function and discards the outputs, so a rebuilt state is the state
 * an uninterrupted run would have.
 */
import { stableId } from '../../core/ids.ts';
import type { AlertEvent, AnomalyEvent, MetricPoint, ScoredPoint, SlaSnapshot } from '../../schemas/records.ts';
import type { AnomalyFinding, ScoreResult, ScoreTask } from '../../workers/score-batch.ts';
import type { DetectorParams } from '../../workers/detector-params.ts';
import type { PartitionState, SeriesEntry } from '../state/partition-state.ts';

export interface IncomingPoint {
  point: MetricPoint;
  seriesId: string;
  offset: string;
}

export interface ProcessorContext {
  state: PartitionState;
  params: DetectorParams;
  score(task: ScoreTask): Promise<ScoreResult>;
  newSeries(seriesId: string, source: string, metric: string): SeriesEntry;
}

export interface ProcessedBatch {
  scored: ScoredPoint[];
  anomalies: AnomalyEvent[];
  alerts: AlertEvent[];
  sla: SlaSnapshot[];
  /** Last point of each series touched by the batch (for live snapshots). */
  lastBySeries: Map<SeriesEntry, ScoredPoint>;
  /** Copies of points their series already holds (same time, same value): not stored, not scored. */
  duplicates: IncomingPoint[];
  /** Points at a time their series already holds, with another value: not stored, not scored (the first is kept). */
  conflicts: RepeatedTimestamp[];
}

export interface RepeatedTimestamp {
  incoming: IncomingPoint;
  /** The value the series holds at that timestamp. */
  firstValue: number;
}

export const emptyProcessedBatch = (): ProcessedBatch => ({ scored: [], anomalies: [], alerts: [], sla: [], lastBySeries: new Map(), duplicates: [], conflicts: [] });

export function anomalyId(seriesId: string, startTimestamp: number): string {
  return stableId('anomaly', seriesId, startTimestamp);
}

export function buildScoreTask(ctx: ProcessorContext, points: IncomingPoint[]) {
  const entries: SeriesEntry[] = [];
  const indexOf = new Map<string, number>();
  const series = new Uint32Array(points.length);
  const values = new Float64Array(points.length);
  const timestamps = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) {
    const { point, seriesId } = points[i];
    let idx = indexOf.get(seriesId);
    if (idx === undefined) {
      let entry = ctx.state.series.get(seriesId);
      if (!entry) {
        entry = ctx.newSeries(seriesId, point.source, point.metric);
        ctx.state.series.set(seriesId, entry);
      }
      idx = entries.push(entry) - 1;
      indexOf.set(seriesId, idx);
    }
    series[i] = idx;
    values[i] = point.value;
    timestamps[i] = point.timestamp;
  }
  // Repeats are decided in the worker on the series state at each point: the state a rebuild
  // reproduces (repeats are never stored, so a replay of `points` never meets one).
  const task: ScoreTask = { params: ctx.params, states: entries.map((e) => e.window), series, values, timestamps, dropRepeats: true };
  // The typed arrays are transferred to the worker (detached here), so keep the mapping aside.
  const pointEntries = Array.from(series, (idx) => entries[idx]);
  return { task, pointEntries };
}

export async function scorePoints(ctx: ProcessorContext, points: IncomingPoint[]): Promise<ProcessedBatch> {
  const out = emptyProcessedBatch();
  if (points.length === 0) return out;
  const { task, pointEntries } = buildScoreTask(ctx, points);
  const result = await ctx.score(task);

  const findingsAt = new Map<number, AnomalyFinding[]>();
  for (const f of result.findings) {
    const list = findingsAt.get(f.pointIndex);
    if (list) list.push(f);
    else findingsAt.set(f.pointIndex, [f]);
  }

  // Per point: one ScoredPoint and the monitor's input, nothing else (no spread, no empty
  // findings array, no spread push): this loop runs for every point on the main thread.
  const { mean, std, zscore, score } = result;
  const partition = ctx.state.partition;
  const input = { timestamp: 0, value: 0, mean: 0, std: 0, zscore: 0, anomalyScore: 0, tags: {} as Readonly<Record<string, string>> };
  const repeats = result.repeats;
  let nextRepeat = 0;
  for (let i = 0; i < points.length; i++) {
    if (nextRepeat < repeats.length && repeats[nextRepeat].pointIndex === i) {
      const r = repeats[nextRepeat++];
      if (r.kind === 'duplicate') out.duplicates.push(points[i]);
      else out.conflicts.push({ incoming: points[i], firstValue: r.firstValue });
      continue;
    }
    const { point, seriesId, offset } = points[i];
    const entry = pointEntries[i];
    const scored: ScoredPoint = {
      source: point.source,
      metric: point.metric,
      value: point.value,
      timestamp: point.timestamp,
      tags: point.tags,
      partition,
      offset,
      mean: mean[i],
      std: std[i],
      zscore: zscore[i],
      anomalyScore: score[i],
    };
    out.scored.push(scored);
    out.lastBySeries.set(entry, scored);
    entry.dirty = true;

    const findings = findingsAt.get(i);
    if (findings) {
      for (const f of findings) {
        out.anomalies.push({
          id: anomalyId(seriesId, f.startTimestamp),
          source: point.source,
          metric: point.metric,
          type: f.type,
          version: f.version,
          startTimestamp: f.startTimestamp,
          detectedTimestamp: point.timestamp,
          value: point.value,
          expected: f.expected,
          zscore: f.zscore,
          score: f.score,
          confidence: f.confidence,
          pointCount: f.pointCount,
        });
      }
    }
    // The monitor reads its input during the call and keeps nothing of it: one object reused.
    input.timestamp = point.timestamp;
    input.value = point.value;
    input.mean = scored.mean;
    input.std = scored.std;
    input.zscore = scored.zscore;
    input.anomalyScore = scored.anomalyScore;
    input.tags = point.tags;
    const observed = entry.monitor.observe(input, findings ? findings[findings.length - 1] : null);
    for (const a of observed.alerts) out.alerts.push(a);
    for (const sla of observed.slaSnapshots) out.sla.push(sla);
  }
  const last = points[points.length - 1].offset;
  if (BigInt(last) > ctx.state.stateOffset) ctx.state.stateOffset = BigInt(last);
  return out;
}
