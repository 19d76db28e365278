/**
 * Incident queries. `incidents` holds the latest row per incident once merged; until then
 * several versions may be there, so the latest state is argMax(..., version) GROUP BY
 * incident_id (as for alerts). Aliases are prefixed (`i_`) for the same reason as there.
 */
import type { AlertStatus, IncidentAlert, Severity } from '../../schemas/records.ts';
import type { Incident, IncidentSort, IncidentStep } from '../../schemas/http/incidents.ts';
import { afterCursor, type CursorPosition } from '../paging.ts';
import { direction, pick, sql, where, type Sql } from '../sql.ts';
import { severityLevel } from './alerts.ts';
import { num, type Tables } from './tables.ts';

export interface IncidentFilter {
  status?: AlertStatus[];
  severity?: Severity[];
  source?: string;
  metric?: string;
  alert?: string;
  from?: number;
  to?: number;
}

const SORT_KEYS: Record<IncidentSort, Sql> = {
  opened_at: sql`i_opened_at_ms`,
  updated: sql`i_updated_ms`,
  severity: severityLevel(sql`i_severity`),
};

const groupLabel = (name: 'source' | 'metric') => sql`i_label_values[indexOf(i_label_keys, ${name})]`;

export function listIncidentsQuery(tables: Tables, f: IncidentFilter, sort: IncidentSort, order: 'asc' | 'desc', limit: number, after?: CursorPosition): Sql {
  const pre: Sql[] = [];
  if (f.from !== undefined) pre.push(sql`opened_at_ms >= ${f.from}`);
  if (f.to !== undefined) pre.push(sql`opened_at_ms < ${f.to}`);
  const post: Sql[] = [];
  if (f.status?.length) post.push(sql`i_status IN ${f.status}`);
  if (f.severity?.length) post.push(sql`i_severity IN ${f.severity}`);
  if (f.source !== undefined) post.push(sql`has(i_label_keys, 'source') AND ${groupLabel('source')} = ${f.source}`);
  if (f.metric !== undefined) post.push(sql`has(i_label_keys, 'metric') AND ${groupLabel('metric')} = ${f.metric}`);
  if (f.alert !== undefined) post.push(sql`has(i_alert_ids, ${f.alert})`);
  const key = pick(SORT_KEYS, sort, 'sort');
  if (after) post.push(afterCursor(key, sql`i_id`, order, after));
  const dir = direction(order);
  return sql`
    SELECT *, ${key} AS sort_key
    FROM (
      SELECT
        incident_id AS i_id,
        any(group_key) AS i_group_key,
        any(group_label_keys) AS i_label_keys,
        any(group_label_values) AS i_label_values,
        argMax(title, version) AS i_title,
        argMax(status, version) AS i_status,
        argMax(severity, version) AS i_severity,
        max(version) AS i_version,
        min(opened_at_ms) AS i_opened_at_ms,
        argMax(updated_at_ms, version) AS i_updated_ms,
        argMax(alert_ids, version) AS i_alert_ids,
        argMax(alerts_json, version) AS i_alerts_json,
        argMax(actor, version) AS i_actor,
        argMax(reason, version) AS i_reason,
        argMax(comment, version) AS i_comment
      FROM ${tables.incidents}
      ${where(pre)}
      GROUP BY incident_id
    )
    ${where(post)}
    ORDER BY sort_key ${dir}, i_id ${dir}
    LIMIT ${limit + 1}`;
}

export interface IncidentStateRow {
  i_id: string;
  i_group_key: string;
  i_label_keys: string[];
  i_label_values: string[];
  i_title: string;
  i_status: string;
  i_severity: string;
  i_version: number | string;
  i_opened_at_ms: number | string;
  i_updated_ms: number | string;
  i_alerts_json: string;
  i_actor: string;
  i_reason: string;
  i_comment: string;
  sort_key?: number | string;
}

/** alerts_json was written by the incident sink from IncidentAlert records; anything else reads as no alerts. */
export function parseAlerts(json: string): IncidentAlert[] {
  try {
    const parsed = JSON.parse(json) as unknown;
    if (!Array.isArray(parsed)) return [];
    // Rows written before alerts had tags: {} (as the v1 Avro records read).
    return (parsed as IncidentAlert[]).map((a) => (a && typeof a === 'object' && (typeof a.tags !== 'object' || a.tags === null) ? { ...a, tags: {} } : a));
  } catch {
    return [];
  }
}

const labelsOf = (keys: string[], values: string[]) => Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));

export function incidentFromRow(r: IncidentStateRow): Incident {
  return incidentOf(r.i_id, r.i_group_key, r.i_label_keys, r.i_label_values, r, r.i_opened_at_ms, r.i_updated_ms, r.i_alerts_json);
}

type IncidentText = Pick<IncidentStateRow, 'i_title' | 'i_status' | 'i_severity' | 'i_version' | 'i_actor' | 'i_reason' | 'i_comment'>;

function incidentOf(id: string, groupKey: string, keys: string[], values: string[], t: IncidentText, openedAt: unknown, updatedAt: unknown, alertsJson: string): Incident {
  return {
    incidentId: id,
    groupKey,
    groupLabels: labelsOf(keys, values),
    title: t.i_title,
    status: t.i_status as AlertStatus,
    severity: t.i_severity as Severity,
    version: num(t.i_version),
    openedAt: num(openedAt),
    updatedAt: num(updatedAt),
    actor: t.i_actor,
    reason: t.i_reason,
    comment: t.i_comment,
    alerts: parseAlerts(alertsJson),
  };
}

export const incidentCursorPosition = (r: IncidentStateRow): CursorPosition => ({ key: num(r.sort_key), id: r.i_id });

/** Every transition of one incident, oldest first; a re-delivered version once. */
export function incidentTimelineQuery(tables: Tables, incidentId: string): Sql {
  return sql`
    SELECT incident_id, group_key, group_label_keys, group_label_values, title, status, severity, version,
           timestamp_ms, opened_at_ms, alerts_json, cause_alert_id, actor, reason, comment
    FROM ${tables.incidentEvents}
    WHERE incident_id = ${incidentId}
    ORDER BY version ASC
    LIMIT 1 BY version
    LIMIT 10000`;
}

export interface IncidentEventRow {
  incident_id: string;
  group_key: string;
  group_label_keys: string[];
  group_label_values: string[];
  title: string;
  status: string;
  severity: string;
  version: number | string;
  timestamp_ms: number | string;
  opened_at_ms: number | string;
  alerts_json: string;
  cause_alert_id: string;
  actor: string;
  reason: string;
  comment: string;
}

export function stepFromRow(r: IncidentEventRow): IncidentStep {
  return {
    version: num(r.version),
    timestamp: num(r.timestamp_ms),
    status: r.status as AlertStatus,
    severity: r.severity as Severity,
    alertId: r.cause_alert_id,
    alert: parseAlerts(r.alerts_json).find((a) => a.alertId === r.cause_alert_id) ?? null,
    actor: r.actor,
    reason: r.reason,
    comment: r.comment,
  };
}

/** The incident as of its newest transition (null when it has none). */
export function incidentFromTimeline(rows: IncidentEventRow[]): Incident | null {
  if (rows.length === 0) return null;
  const l = rows[rows.length - 1];
  const text = { i_title: l.title, i_status: l.status, i_severity: l.severity, i_version: l.version, i_actor: l.actor, i_reason: l.reason, i_comment: l.comment };
  return incidentOf(l.incident_id, l.group_key, l.group_label_keys, l.group_label_values, text, l.opened_at_ms, l.timestamp_ms, l.alerts_json);
}
