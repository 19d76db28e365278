/**
 * The records that cross process boundaries (Kafka topics, ClickHouse rows, API, WebSocket).
 * Each has an Avro schema under schemas/avro/ with the same field names; timestamps are
 * epoch milliseconds (Avro long, logicalType timestamp-millis).
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** Lower rank = more severe; used for "minimum severity" filters. */
export const severityRank: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export const ANOMALY_TYPES = ['outlier', 'spike', 'drop', 'trend_change', 'pattern_change'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export const ALERT_STATUSES = ['firing', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const STANDARD_METRICS = [
  'response_time',
  'error_rate',
  'throughput',
  'cpu_usage',
  'memory_usage',
  'queue_size',
  'accuracy',
  'availability',
] as const;

/** Input: topic vigil.metrics, key = seriesId(source, metric). */
export interface MetricPoint {
  source: string;
  metric: string;
  value: number;
  timestamp: number;
  tags: Record<string, string>;
}

export function seriesId(source: string, metric: string): string {
  return `${source}/${metric}`;
}

/** A point after scoring; one row of ClickHouse `points`. */
export interface ScoredPoint extends MetricPoint {
  partition: number;
  offset: string; // Kafka offsets are int64: kept as decimal strings end to end
  mean: number;
  std: number;
  zscore: number;
  anomalyScore: number; // [0, 1]
}

/** Topic vigil.anomalies and table `anomalies`. Same id for refinements; version grows. */
export interface AnomalyEvent {
  id: string; // deterministic: hash(seriesId, start timestamp)
  source: string;
  metric: string;
  type: AnomalyType;
  version: number; // 1 when first reported, +1 per refinement
  startTimestamp: number;
  detectedTimestamp: number; // timestamp of the point that reported/refined it
  value: number;
  expected: number; // baseline mean at detection
  zscore: number;
  score: number; // [0, 1]
  confidence: number; // [0, 1]
  pointCount: number; // points in the episode so far
}

export type AlertKind = 'threshold' | 'anomaly' | 'sla' | 'nodata';

/** Topic vigil.alerts and table `alert_events`: one record per lifecycle transition. */
export interface AlertEvent {
  eventId: string; // deterministic: hash(alertId, version)
  alertId: string; // deterministic: hash(fingerprint, opening timestamp)
  fingerprint: string; // `${source}|${metric}|${ruleId}`
  source: string;
  metric: string;
  ruleId: string;
  kind: AlertKind;
  severity: Severity;
  status: AlertStatus;
  version: number; // 1 on open, +1 per transition or update
  timestamp: number; // event time (point timestamp or command time)
  openedAt: number;
  value: number;
  threshold: number;
  message: string;
  actor: string; // 'pipeline' or the operator/api key name
  reason: string; // why this transition happened
  /**
   * The series' tags when the alert opened: the tags of the latest point of the series at that
   * moment (a no-data alert: of the last point heard). Kept unchanged for the alert's life, as
   * labels identify an alert in Alertmanager: a tag change mid-alert must not move it to another
   * incident or make it a different Alertmanager alert. Bounded like point tags (they are one).
   * v1 records (no tags) read as {}.
   */
  tags: Record<string, string>;
}

/** Table `sla_snapshots` (and the SLA part of live state). */
export interface SlaSnapshot {
  id: string; // deterministic: hash(slaId, source, window end)
  slaId: string;
  source: string;
  metric: string;
  timestamp: number;
  windowMs: number;
  objective: number; // e.g. 0.95
  compliance: number; // good / total in the window
  good: number;
  total: number;
  errorBudgetRemaining: number; // 1 = untouched, 0 = spent, < 0 overspent
  burnRateFast: number;
  burnRateSlow: number;
  violated: boolean;
}

/** Topic vigil.live: throttled per-series snapshot (at most one per series per second). */
export interface LiveSnapshot {
  source: string;
  metric: string;
  timestamp: number;
  value: number;
  mean: number;
  std: number;
  zscore: number;
  anomalyScore: number;
}

/** Topic vigil.commands, key = seriesId so the owner of the series applies it. */
export interface AlertCommand {
  commandId: string;
  type: 'acknowledge' | 'resolve';
  alertId: string;
  source: string;
  metric: string;
  actor: string;
  comment: string;
  issuedAt: number;
}

/** Topic vigil.commands.results: what the owner did with a command (API waits on it). */
export interface CommandResult {
  commandId: string;
  alertId: string;
  applied: boolean;
  status: AlertStatus | 'unknown';
  reason: string;
  event: AlertEvent | null;
}

/**
 * Definitions carried by the compacted topic vigil.config (JSON values; key `rule/<id>` or
 * `sla/<id>`; a null value deletes). Every pipeline instance reads the topic whole.
 */
export interface ThresholdLevel {
  severity: Severity;
  value: number;
}

export interface ThresholdRule {
  id: string;
  kind: 'threshold';
  metric: string; // exact metric name
  source: string | null; // exact source, or null for every source
  direction: 'above' | 'below';
  levels: ThresholdLevel[]; // the most severe level whose bound is crossed wins
  forMs: number; // breach must hold this long before the alert fires
  hysteresis: number; // absolute margin: clears only once back past bound -/+ hysteresis
  enabled: boolean;
  description: string;
}

export interface AnomalyRule {
  id: string;
  kind: 'anomaly';
  metric: string | null; // null = every metric
  source: string | null;
  minScore: number;
  minConfidence: number;
  severity: Severity;
  enabled: boolean;
  description: string;
}

export type AlertRule = ThresholdRule | AnomalyRule;

/** A point is "good" when `value <comparator> threshold`; compliance = good / total. */
export interface SlaDefinition {
  id: string;
  name: string;
  metric: string;
  source: string | null;
  comparator: 'lt' | 'lte' | 'gt' | 'gte';
  threshold: number;
  objective: number; // (0, 1), e.g. 0.95
  windowMs: number; // compliance window, e.g. 30 days or 24 h
  enabled: boolean;
}

/**
 * Incidents: related alerts grouped by `groupBy` labels (default source + metric), the unit
 * operators see and notifications are sent for. Topic <prefix>incidents (key = groupKey) and
 * ClickHouse `incident_events`: one record per incident transition, latest state by version.
 */
export interface IncidentAlert {
  alertId: string;
  fingerprint: string;
  source: string;
  metric: string;
  ruleId: string;
  kind: AlertKind;
  severity: Severity;
  status: AlertStatus;
  /** Muted by an inhibition rule (a more severe firing alert of the same incident). */
  inhibited: boolean;
  value: number;
  threshold: number;
  message: string;
  openedAt: number;
  /** Timestamp of the newest alert event seen for this alert. */
  updatedAt: number;
  /** Version of that alert event: re-delivered (older or equal) alert events change nothing. */
  version: number;
  /** The alert's tags (AlertEvent.tags); {} in incident events written before v2. */
  tags: Record<string, string>;
}

export interface IncidentEvent {
  eventId: string; // deterministic: hash(incidentId, version)
  incidentId: string; // deterministic: hash(groupKey, openedAt)
  /** Canonical `label=value` pairs of the group labels, sorted by label, joined by ','. */
  groupKey: string;
  groupLabels: Record<string, string>;
  status: AlertStatus; // firing while any member fires; acknowledged; resolved when all are
  severity: Severity; // the highest severity of its non-inhibited, unresolved alerts
  version: number;
  timestamp: number;
  openedAt: number;
  title: string;
  alerts: IncidentAlert[];
  /** The alert event id that caused this transition. */
  causeId: string;
  /** The alert that transition belongs to (one of `alerts`): the timeline's subject. */
  causeAlertId: string;
  actor: string;
  reason: string;
  comment: string;
}
