/**
 * Alert queries. `alert_events` holds one row per transition; an alert's current state is the
 * row with the highest version (argMax over version, GROUP BY alert_id). Aliases are prefixed
 * (`a_`) because ClickHouse substitutes aliases inside expressions: `argMax(status, version)
 * AS status` would be a cyclic alias.
 */
import type { AlertKind, AlertStatus, Severity } from '../../schemas/records.ts';
import type { Alert, AlertSort, AlertTransition } from '../../schemas/http/alerts.ts';
import { afterCursor, type CursorPosition } from '../paging.ts';
import { direction, pick, sql, where, type Sql } from '../sql.ts';
import { num, type Tables } from './tables.ts';
import { PIPELINE_ALERT_SOURCE, STALL_ALERT_METRIC, stallRulePrefix } from '../../pipeline/alerts/pipeline-alerts.ts';

export interface AlertFilter {
  status?: AlertStatus[];
  severity?: Severity[];
  source?: string;
  metric?: string;
  rule?: string;
  from?: number;
  to?: number;
}

/** Severity as a number that grows with severity: info 1 … critical 5 (unknown 0). */
export const severityLevel = (column: Sql) => sql`indexOf(['info', 'low', 'medium', 'high', 'critical'], ${column})`;

const SORT_KEYS: Record<AlertSort, Sql> = {
  opened_at: sql`a_opened_at_ms`,
  updated: sql`a_updated_ms`,
  severity: severityLevel(sql`a_severity`),
};

/** The latest state of every alert matching the immutable-per-alert filters. */
export function latestAlertStates(tables: Tables, pre: Sql[]): Sql {
  return sql`
    SELECT
      alert_id AS a_id,
      any(fingerprint) AS a_fingerprint,
      any(source) AS a_source,
      any(metric) AS a_metric,
      any(rule_id) AS a_rule_id,
      any(kind) AS a_kind,
      argMax(severity, version) AS a_severity,
      argMax(status, version) AS a_status,
      max(version) AS a_version,
      min(opened_at_ms) AS a_opened_at_ms,
      argMax(timestamp_ms, version) AS a_updated_ms,
      argMax(value, version) AS a_value,
      argMax(threshold, version) AS a_threshold,
      argMax(message, version) AS a_message,
      argMax(actor, version) AS a_actor,
      argMax(reason, version) AS a_reason,
      argMax(tag_keys, version) AS a_tag_keys,
      argMax(tag_values, version) AS a_tag_values
    FROM ${tables.alertEvents}
    ${where(pre)}
    GROUP BY alert_id`;
}

export interface AlertStateRow {
  a_id: string;
  a_fingerprint: string;
  a_source: string;
  a_metric: string;
  a_rule_id: string;
  a_kind: string;
  a_severity: string;
  a_status: string;
  a_version: number | string;
  a_opened_at_ms: number | string;
  a_updated_ms: number | string;
  a_value: number;
  a_threshold: number;
  a_message: string;
  a_actor: string;
  a_reason: string;
  a_tag_keys: string[];
  a_tag_values: string[];
  sort_key?: number | string;
}

/** Filters on columns that never change within one alert: applied before grouping. */
function preFilters(f: AlertFilter): Sql[] {
  const c: Sql[] = [];
  if (f.source !== undefined) c.push(sql`source = ${f.source}`);
  if (f.metric !== undefined) c.push(sql`metric = ${f.metric}`);
  if (f.rule !== undefined) c.push(sql`rule_id = ${f.rule}`);
  if (f.from !== undefined) c.push(sql`opened_at_ms >= ${f.from}`);
  if (f.to !== undefined) c.push(sql`opened_at_ms < ${f.to}`);
  return c;
}

/** Filters on the latest state: applied after grouping. */
function postFilters(f: AlertFilter): Sql[] {
  const c: Sql[] = [];
  if (f.status?.length) c.push(sql`a_status IN ${f.status}`);
  if (f.severity?.length) c.push(sql`a_severity IN ${f.severity}`);
  return c;
}

export function listAlertsQuery(
  tables: Tables,
  f: AlertFilter,
  sort: AlertSort,
  order: 'asc' | 'desc',
  limit: number,
  after?: CursorPosition,
): Sql {
  const key = pick(SORT_KEYS, sort, 'sort');
  const post = postFilters(f);
  if (after) post.push(afterCursor(key, sql`a_id`, order, after));
  const dir = direction(order);
  return sql`
    SELECT *, ${key} AS sort_key
    FROM (${latestAlertStates(tables, preFilters(f))})
    ${where(post)}
    ORDER BY sort_key ${dir}, a_id ${dir}
    LIMIT ${limit + 1}`;
}

export function alertFromRow(r: AlertStateRow): Alert {
  return {
    alertId: r.a_id,
    fingerprint: r.a_fingerprint,
    source: r.a_source,
    metric: r.a_metric,
    ruleId: r.a_rule_id,
    kind: r.a_kind as AlertKind,
    severity: r.a_severity as Severity,
    status: r.a_status as AlertStatus,
    version: num(r.a_version),
    openedAt: num(r.a_opened_at_ms),
    updatedAt: num(r.a_updated_ms),
    value: num(r.a_value),
    threshold: num(r.a_threshold),
    message: r.a_message,
    actor: r.a_actor,
    reason: r.a_reason,
    tags: tagsFromColumns(r.a_tag_keys, r.a_tag_values),
  };
}

/** The tag_keys / tag_values column pair back into an object (rows older than migration 008: {}). */
export function tagsFromColumns(keys: readonly string[] | undefined, values: readonly string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!Array.isArray(keys) || !Array.isArray(values)) return tags;
  // defineProperty: a key like __proto__ stays an ordinary own property.
  for (let i = 0; i < keys.length && i < values.length; i++) Object.defineProperty(tags, keys[i], { value: values[i], enumerable: true, writable: true, configurable: true });
  return tags;
}

export const alertCursorPosition = (r: AlertStateRow): CursorPosition => ({ key: num(r.sort_key), id: r.a_id });

/** Every transition of one alert, oldest first; duplicates of a version (re-delivery) once. */
export function alertHistoryQuery(tables: Tables, alertId: string): Sql {
  return sql`
    SELECT event_id, alert_id, fingerprint, source, metric, rule_id, kind, severity, status, version,
           timestamp_ms, opened_at_ms, value, threshold, message, actor, reason, tag_keys, tag_values
    FROM ${tables.alertEvents}
    WHERE alert_id = ${alertId}
    ORDER BY version ASC
    LIMIT 1 BY version
    LIMIT 10000`;
}

export interface AlertEventRow {
  event_id: string;
  alert_id: string;
  fingerprint: string;
  source: string;
  metric: string;
  rule_id: string;
  kind: string;
  severity: string;
  status: string;
  version: number | string;
  timestamp_ms: number | string;
  opened_at_ms: number | string;
  value: number;
  threshold: number;
  message: string;
  actor: string;
  reason: string;
  tag_keys: string[];
  tag_values: string[];
}

export function transitionFromRow(r: AlertEventRow): AlertTransition {
  return {
    eventId: r.event_id,
    version: num(r.version),
    status: r.status as AlertStatus,
    severity: r.severity as Severity,
    timestamp: num(r.timestamp_ms),
    value: num(r.value),
    threshold: num(r.threshold),
    message: r.message,
    actor: r.actor,
    reason: r.reason,
  };
}

/** The current state from a full history (the last version). */
export function alertFromHistory(rows: AlertEventRow[]): Alert | null {
  if (rows.length === 0) return null;
  const last = rows[rows.length - 1];
  const first = rows[0];
  return {
    alertId: last.alert_id,
    fingerprint: last.fingerprint,
    source: last.source,
    metric: last.metric,
    ruleId: last.rule_id,
    kind: last.kind as AlertKind,
    severity: last.severity as Severity,
    status: last.status as AlertStatus,
    version: num(last.version),
    openedAt: Math.min(num(first.opened_at_ms), num(last.opened_at_ms)),
    updatedAt: num(last.timestamp_ms),
    value: num(last.value),
    threshold: num(last.threshold),
    message: last.message,
    actor: last.actor,
    reason: last.reason,
    tags: tagsFromColumns(last.tag_keys, last.tag_values),
  };
}

/** Open (not resolved) alerts counted by severity and status, for the dashboard. */
/** Open stall alerts the pipeline instances of `groupId` raised about their own partitions. */
export function openPipelineStallsQuery(tables: Tables, groupId: string): Sql {
  const prefix = stallRulePrefix(groupId);
  const pre = [sql`source = ${PIPELINE_ALERT_SOURCE}`, sql`metric = ${STALL_ALERT_METRIC}`, sql`substring(rule_id, 1, ${Buffer.byteLength(prefix)}) = ${prefix}`];
  return sql`
    SELECT a_rule_id, a_reason, a_opened_at_ms
    FROM (${latestAlertStates(tables, pre)})
    WHERE a_status != 'resolved'
    ORDER BY a_rule_id`;
}

export interface PipelineStallRow {
  a_rule_id: string;
  a_reason: string;
  a_opened_at_ms: string | number;
}

export function openAlertCountsQuery(tables: Tables): Sql {
  return sql`
    SELECT a_severity, a_status, count() AS n
    FROM (${latestAlertStates(tables, [])})
    WHERE a_status != 'resolved'
    GROUP BY a_severity, a_status`;
}
