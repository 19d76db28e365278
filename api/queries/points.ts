/** Point queries: latest value and score per series, and ingest counts for the dashboard. */
import { sql, where, type Sql } from '../sql.ts';
import { num, type Tables } from './tables.ts';
import type { LiveMetric } from '../../schemas/http/status.ts';

export interface LiveFilter {
  source?: string;
  metric?: string;
  sinceMs: number;
  limit: number;
}

export interface LiveRow {
  source: string;
  metric: string;
  l_ts: number | string;
  l_value: number;
  l_mean: number;
  l_std: number;
  l_zscore: number;
  l_score: number;
  l_points: number | string;
}

export function liveMetricsQuery(tables: Tables, f: LiveFilter): Sql {
  const c: Sql[] = [
    // The DateTime bound lets ClickHouse skip old partitions; the ms bound is the exact one.
    sql`timestamp >= toDateTime(${Math.floor(f.sinceMs / 1000)})`,
    sql`timestamp_ms >= ${f.sinceMs}`,
  ];
  if (f.source !== undefined) c.push(sql`source = ${f.source}`);
  if (f.metric !== undefined) c.push(sql`metric = ${f.metric}`);
  return sql`
    SELECT
      source, metric,
      max(timestamp_ms) AS l_ts,
      argMax(value, timestamp_ms) AS l_value,
      argMax(mean, timestamp_ms) AS l_mean,
      argMax(std, timestamp_ms) AS l_std,
      argMax(zscore, timestamp_ms) AS l_zscore,
      argMax(anomaly_score, timestamp_ms) AS l_score,
      count() AS l_points
    FROM ${tables.points}
    ${where(c)}
    GROUP BY source, metric
    ORDER BY source, metric
    LIMIT ${f.limit}`;
}

export function liveFromRow(r: LiveRow): LiveMetric {
  return {
    source: r.source,
    metric: r.metric,
    timestamp: num(r.l_ts),
    value: num(r.l_value),
    mean: num(r.l_mean),
    std: num(r.l_std),
    zscore: num(r.l_zscore),
    anomalyScore: num(r.l_score),
    points: num(r.l_points),
  };
}

/** Points the pipeline stored during the last `seconds` of server time (by ingested_at). */
export function ingestCountsQuery(tables: Tables, seconds: number): Sql {
  return sql`
    SELECT count() AS n, uniqExact(source, metric) AS series, countIf(anomaly_score >= 0.5) AS anomalous
    FROM ${tables.points}
    WHERE ingested_at >= now() - ${seconds}`;
}
