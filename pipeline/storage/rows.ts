/**
 * Record → ClickHouse row mapping (JSONEachRow). Pure, so the column contract with
 * schemas/clickhouse/*.sql is tested without a server. DateTime columns take whole epoch
 * seconds; the `*_ms` columns keep millisecond precision.
 */
import type { AlertEvent, AnomalyEvent, ScoredPoint, SlaSnapshot } from '../../schemas/records.ts';

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Non-finite numbers cannot be stored in JSON; they never reach here from validated input, but a
 * z-score of a zero-variance window could: store 0 rather than fail the whole batch. */
const finite = (n: number) => (Number.isFinite(n) ? n : 0);

export interface PointRow {
  source: string;
  metric: string;
  timestamp: number;
  timestamp_ms: number;
  value: number;
  mean: number;
  std: number;
  zscore: number;
  anomaly_score: number;
  tag_keys: string[];
  tag_values: string[];
  kafka_partition: number;
  kafka_offset: string;
  ingested_at: number;
}

/** Tags as two parallel arrays sorted by key (ClickHouse 18.16 has no Map). */
function tagColumns(tags: Readonly<Record<string, string>> | undefined): { tag_keys: string[]; tag_values: string[] } {
  const keys = Object.keys(tags ?? {}).sort();
  return { tag_keys: keys, tag_values: keys.map((k) => (tags as Record<string, string>)[k]) };
}

export function pointRow(p: ScoredPoint, ingestedAtMs: number): PointRow {
  const { tag_keys, tag_values } = tagColumns(p.tags);
  return {
    source: p.source,
    metric: p.metric,
    timestamp: seconds(p.timestamp),
    timestamp_ms: p.timestamp,
    value: p.value,
    mean: finite(p.mean),
    std: finite(p.std),
    zscore: finite(p.zscore),
    anomaly_score: finite(p.anomalyScore),
    tag_keys,
    tag_values,
    kafka_partition: p.partition,
    kafka_offset: p.offset,
    ingested_at: seconds(ingestedAtMs),
  };
}

export function anomalyRow(a: AnomalyEvent) {
  return {
    id: a.id,
    source: a.source,
    metric: a.metric,
    type: a.type,
    version: a.version,
    start_timestamp: seconds(a.startTimestamp),
    start_timestamp_ms: a.startTimestamp,
    detected_timestamp: seconds(a.detectedTimestamp),
    detected_timestamp_ms: a.detectedTimestamp,
    value: a.value,
    expected: finite(a.expected),
    zscore: finite(a.zscore),
    score: finite(a.score),
    confidence: finite(a.confidence),
    point_count: a.pointCount,
  };
}

export function alertEventRow(e: AlertEvent) {
  return {
    event_id: e.eventId,
    alert_id: e.alertId,
    fingerprint: e.fingerprint,
    source: e.source,
    metric: e.metric,
    rule_id: e.ruleId,
    kind: e.kind,
    severity: e.severity,
    status: e.status,
    version: e.version,
    timestamp: seconds(e.timestamp),
    timestamp_ms: e.timestamp,
    opened_at: seconds(e.openedAt),
    opened_at_ms: e.openedAt,
    value: finite(e.value),
    threshold: finite(e.threshold),
    message: e.message,
    actor: e.actor,
    reason: e.reason,
    ...tagColumns(e.tags),
  };
}

export function slaSnapshotRow(s: SlaSnapshot) {
  return {
    id: s.id,
    sla_id: s.slaId,
    source: s.source,
    metric: s.metric,
    timestamp: seconds(s.timestamp),
    timestamp_ms: s.timestamp,
    window_ms: s.windowMs,
    objective: s.objective,
    compliance: finite(s.compliance),
    good: s.good,
    total: s.total,
    error_budget_remaining: finite(s.errorBudgetRemaining),
    burn_rate_fast: finite(s.burnRateFast),
    burn_rate_slow: finite(s.burnRateSlow),
    violated: s.violated ? 1 : 0,
  };
}

export interface SeriesStateRow {
  kafka_partition: number;
  series_id: string;
  kafka_offset: string;
  source: string;
  metric: string;
  window_state: string; // base64 of the detector's SharedArrayBuffer
  monitor_state: string; // JSON of the alert/SLA monitor
  updated_at: number;
}
