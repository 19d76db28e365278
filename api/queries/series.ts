/**
 * History of one series for GET /series/points. `points` is a ReplacingMergeTree whose key is
 * (source, metric, timestamp_ms, kafka_partition, kafka_offset): a re-delivered point is a
 * second row with the same key until a merge, so raw reads keep one row per key
 * (LIMIT 1 BY). The rollup `points_1m` holds aggregate states, merged here per step bucket.
 * Every query returns the newest `limit + 1` rows, newest first: the extra row only tells the
 * caller that older ones were left out.
 */
import type { SeriesPoint } from '../../schemas/http/series.ts';
import { empty, sql, SqlValueError, type Sql } from '../sql.ts';
import { num, type Tables } from './tables.ts';

export interface SeriesRange {
  source: string;
  metric: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  limit: number;
}

/** Times, limits and steps are whole numbers: `sql` would bind 2.5 as a float literal, so refuse it here. */
function whole(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new SqlValueError(`${what} must be a non-negative integer, got ${String(n)}`);
  return n;
}

function checked(r: SeriesRange): SeriesRange {
  return { ...r, from: whole(r.from, 'from'), to: whole(r.to, 'to'), limit: whole(r.limit, 'limit') };
}

/** DateTime columns are UInt32 seconds; a bound past 2106 would wrap, so it is clamped. */
const MAX_DATETIME_SEC = 4_294_967_295;
const dateTimeSec = (ms: number) => Math.min(MAX_DATETIME_SEC, Math.floor(ms / 1000));

/** The series' distinct stored points in [from, to); the DateTime bounds let ClickHouse skip partitions. */
function dedupedPoints(tables: Tables, r: SeriesRange, columns: Sql, order: Sql): Sql {
  return sql`
    SELECT ${columns}
    FROM ${tables.points}
    WHERE source = ${r.source} AND metric = ${r.metric}
      AND timestamp >= toDateTime(${dateTimeSec(r.from)}) AND timestamp <= toDateTime(${dateTimeSec(Math.max(r.from, r.to - 1))})
      AND timestamp_ms >= ${r.from} AND timestamp_ms < ${r.to}
    ${order}
    LIMIT 1 BY timestamp_ms, kafka_partition, kafka_offset`;
}

export interface RawPointRow {
  p_ts: number | string;
  p_value: number;
  p_mean: number;
  p_std: number;
  p_zscore: number;
  p_score: number;
}

export function rawPointsQuery(tables: Tables, range: SeriesRange): Sql {
  const r = checked(range);
  const columns = sql`timestamp_ms AS p_ts, value AS p_value, mean AS p_mean, std AS p_std, zscore AS p_zscore, anomaly_score AS p_score`;
  return sql`${dedupedPoints(tables, r, columns, sql`ORDER BY timestamp_ms DESC, kafka_partition DESC, kafka_offset DESC`)}
    LIMIT ${r.limit + 1}`;
}

export function rawPointFromRow(row: RawPointRow): SeriesPoint {
  return {
    timestamp: num(row.p_ts),
    value: num(row.p_value),
    mean: num(row.p_mean),
    std: num(row.p_std),
    zscore: num(row.p_zscore),
    anomalyScore: num(row.p_score),
  };
}

export interface SampledPointRow extends RawPointRow {
  p_count: number | string;
}

/** Per bucket of `stepSec`: the last point's values, the highest score, the point count. */
export function sampledPointsQuery(tables: Tables, range: SeriesRange, stepSec: number): Sql {
  const r = checked(range);
  const stepMs = whole(stepSec, 'step') * 1000;
  const columns = sql`timestamp_ms, value, mean, std, zscore, anomaly_score`;
  return sql`
    SELECT
      intDiv(timestamp_ms, ${stepMs}) AS p_bucket,
      max(timestamp_ms) AS p_ts,
      argMax(value, timestamp_ms) AS p_value,
      argMax(mean, timestamp_ms) AS p_mean,
      argMax(std, timestamp_ms) AS p_std,
      argMax(zscore, timestamp_ms) AS p_zscore,
      max(anomaly_score) AS p_score,
      count() AS p_count
    FROM (${dedupedPoints(tables, r, columns, empty)})
    GROUP BY p_bucket
    ORDER BY p_bucket DESC
    LIMIT ${r.limit + 1}`;
}

export function sampledPointFromRow(row: SampledPointRow): SeriesPoint {
  return { ...rawPointFromRow(row), count: num(row.p_count) };
}

export interface RollupPointRow {
  p_bucket: number | string;
  p_count: number | string;
  p_sum: number;
  p_min: number;
  p_max: number;
  p_q: number[];
  p_score: number;
  p_anomalous: number | string;
}

/**
 * Minute states merged into `stepSec` buckets (a multiple of 60, aligned to the epoch): the
 * average is sumMerge / countMerge, so a bucket weighs every point, not every minute, equally.
 */
export function rollupPointsQuery(tables: Tables, range: SeriesRange, stepSec: number): Sql {
  const r = checked(range);
  whole(stepSec, 'step');
  return sql`
    SELECT
      intDiv(toUInt32(minute), ${stepSec}) * ${stepSec} AS p_bucket,
      countMerge(value_count) AS p_count,
      sumMerge(value_sum) AS p_sum,
      minMerge(value_min) AS p_min,
      maxMerge(value_max) AS p_max,
      quantilesMerge(0.5, 0.95, 0.99)(value_quantiles) AS p_q,
      maxMerge(anomaly_score_max) AS p_score,
      sumMerge(anomalous_points) AS p_anomalous
    FROM ${tables.points1m}
    WHERE source = ${r.source} AND metric = ${r.metric}
      AND minute >= toDateTime(${dateTimeSec(r.from)}) AND minute < toDateTime(${dateTimeSec(r.to)})
    GROUP BY p_bucket
    ORDER BY p_bucket DESC
    LIMIT ${r.limit + 1}`;
}

export function rollupPointFromRow(row: RollupPointRow): SeriesPoint {
  const count = num(row.p_count);
  const [p50, p95, p99] = (row.p_q ?? []).map(num);
  return {
    timestamp: num(row.p_bucket) * 1000,
    value: count > 0 ? num(row.p_sum) / count : 0,
    anomalyScore: num(row.p_score),
    count,
    min: num(row.p_min),
    max: num(row.p_max),
    p50,
    p95,
    p99,
    anomalous: num(row.p_anomalous),
  };
}

/** Newest-first rows (limit + 1 at most) → the newest `limit` points oldest first, and whether any were cut. */
export function newestLast<R>(rows: R[], limit: number, toPoint: (row: R) => SeriesPoint): { points: SeriesPoint[]; truncated: boolean } {
  const kept = rows.slice(0, limit);
  const points = kept.map(toPoint).reverse();
  return { points, truncated: rows.length > limit };
}
