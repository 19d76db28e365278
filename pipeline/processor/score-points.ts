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
}

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
  const task: ScoreTask = { params: ctx.params, states: entries.map((e) => e.window), series, values, timestamps };
  // The typed arrays are transferred to the worker (detached here), so keep the mapping aside.
  const pointEntries = Array.from(series, (idx) => entries[idx]);
  return { task, pointEntries };
}

export async function scorePoints(ctx: ProcessorContext, points: IncomingPoint[]): Promise<ProcessedBatch> {
  const out: ProcessedBatch = { scored: [], anomalies: [], alerts: [], sla: [], lastBySeries: new Map() };
  if (points.length === 0) return out;
  const { task, pointEntries } = buildScoreTask(ctx, points);
  const result = await ctx.score(task);

  const findingsAt = new Map<number, AnomalyFinding[]>();
  for (const f of result.findings) {
    const list = findingsAt.get(f.pointIndex);
    if (list) list.push(f);
    else findingsAt.set(f.pointIndex, [f]);
  }

  for (let i = 0; i < points.length; i++) {
    const { point, seriesId, offset } = points[i];
    const entry = pointEntries[i];
    const scored: ScoredPoint = {
      ...point,
      partition: ctx.state.partition,
      offset,
      mean: result.mean[i],
      std: result.std[i],
      zscore: result.zscore[i],
      anomalyScore: result.score[i],
    };
    out.scored.push(scored);
    out.lastBySeries.set(entry, scored);
    entry.dirty = true;

    const findings = findingsAt.get(i) ?? [];
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
    const observed = entry.monitor.observe(
      {
        timestamp: point.timestamp,
        value: point.value,
        mean: scored.mean,
        std: scored.std,
        zscore: scored.zscore,
        anomalyScore: scored.anomalyScore,
      },
      findings.length > 0 ? findings[findings.length - 1] : null,
    );
    out.alerts.push(...observed.alerts);
    out.sla.push(...observed.slaSnapshots);
  }
  const last = points[points.length - 1].offset;
  if (BigInt(last) > ctx.state.stateOffset) ctx.state.stateOffset = BigInt(last);
  return out;
}
