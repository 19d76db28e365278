/**
 * Anomaly queries: a refinement is a new row with the same id and a higher version, so the
 * current view of an anomaly is argMax over version, GROUP BY id (ReplacingMergeTree may not
 * have merged the older rows yet).
 */
import type { AnomalyType } from '../../schemas/records.ts';
import type { AnomalySort } from '../../schemas/http/anomalies.ts';
import type { AnomalyEvent } from '../../schemas/records.ts';
import { afterCursor, type CursorPosition } from '../paging.ts';
import { direction, pick, sql, where, type Sql } from '../sql.ts';
import { num, type Tables } from './tables.ts';

export interface AnomalyFilter {
  source?: string;
  metric?: string;
  type?: AnomalyType[];
  minConfidence?: number;
  minScore?: number;
  from?: number;
  to?: number;
}

/** Float sort keys are paged as integers (millionths) so the cursor compares exactly. */
const SORT_KEYS: Record<AnomalySort, Sql> = {
  detected: sql`n_detected_ms`,
  started: sql`n_start_ms`,
  score: sql`toInt64(round(n_score * 1000000))`,
  confidence: sql`toInt64(round(n_confidence * 1000000))`,
};

export interface AnomalyRow {
  n_id: string;
  n_source: string;
  n_metric: string;
  n_type: string;
  n_version: number | string;
  n_start_ms: number | string;
  n_detected_ms: number | string;
  n_value: number;
  n_expected: number;
  n_zscore: number;
  n_score: number;
  n_confidence: number;
  n_point_count: number | string;
  sort_key?: number | string;
}

function latestAnomalies(tables: Tables, pre: Sql[]): Sql {
  return sql`
    SELECT
      id AS n_id,
      any(source) AS n_source,
      any(metric) AS n_metric,
      argMax(type, version) AS n_type,
      max(version) AS n_version,
      min(start_timestamp_ms) AS n_start_ms,
      argMax(detected_timestamp_ms, version) AS n_detected_ms,
      argMax(value, version) AS n_value,
      argMax(expected, version) AS n_expected,
      argMax(zscore, version) AS n_zscore,
      argMax(score, version) AS n_score,
      argMax(confidence, version) AS n_confidence,
      argMax(point_count, version) AS n_point_count
    FROM ${tables.anomalies}
    ${where(pre)}
    GROUP BY id`;
}

export function listAnomaliesQuery(
  tables: Tables,
  f: AnomalyFilter,
  sort: AnomalySort,
  order: 'asc' | 'desc',
  limit: number,
  after?: CursorPosition,
): Sql {
  const pre: Sql[] = [];
  if (f.source !== undefined) pre.push(sql`source = ${f.source}`);
  if (f.metric !== undefined) pre.push(sql`metric = ${f.metric}`);
  // The episode's start never changes between refinements, so the range applies before grouping.
  if (f.from !== undefined) pre.push(sql`start_timestamp_ms >= ${f.from}`);
  if (f.to !== undefined) pre.push(sql`start_timestamp_ms < ${f.to}`);
  const post: Sql[] = [];
  if (f.type?.length) post.push(sql`n_type IN ${f.type}`);
  if (f.minScore !== undefined) post.push(sql`n_score >= ${f.minScore}`);
  if (f.minConfidence !== undefined) post.push(sql`n_confidence >= ${f.minConfidence}`);
  const key = pick(SORT_KEYS, sort, 'sort');
  if (after) post.push(afterCursor(key, sql`n_id`, order, after));
  const dir = direction(order);
  return sql`
    SELECT *, ${key} AS sort_key
    FROM (${latestAnomalies(tables, pre)})
    ${where(post)}
    ORDER BY sort_key ${dir}, n_id ${dir}
    LIMIT ${limit + 1}`;
}

export function anomalyFromRow(r: AnomalyRow): AnomalyEvent {
  return {
    id: r.n_id,
    source: r.n_source,
    metric: r.n_metric,
    type: r.n_type as AnomalyType,
    version: num(r.n_version),
    startTimestamp: num(r.n_start_ms),
    detectedTimestamp: num(r.n_detected_ms),
    value: num(r.n_value),
    expected: num(r.n_expected),
    zscore: num(r.n_zscore),
    score: num(r.n_score),
    confidence: num(r.n_confidence),
    pointCount: num(r.n_point_count),
  };
}

export const anomalyCursorPosition = (r: AnomalyRow): CursorPosition => ({ key: num(r.sort_key), id: r.n_id });

/** Distinct anomalies detected since `sinceMs` (dashboard rate). */
export function anomaliesSinceQuery(tables: Tables, sinceMs: number): Sql {
  return sql`SELECT uniqExact(id) AS n FROM ${tables.anomalies} WHERE detected_timestamp_ms >= ${sinceMs}`;
}
