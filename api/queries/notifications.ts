/**
 * Notification log queries. `notifications` holds one row per recorded step of a notification;
 * its state is the row with the highest version (argMax, GROUP BY notification_id — not FINAL,
 * whose WHERE may see superseded rows on 18.16). Aliases are prefixed `n_` (ClickHouse
 * substitutes aliases inside expressions).
 */
import type { NotificationDetail, NotificationView } from '../../schemas/http/notifications.ts';
import { afterCursor, type CursorPosition } from '../paging.ts';
import { direction, sql, where, type Sql } from '../sql.ts';
import { num, type Tables } from './tables.ts';

export interface NotificationFilter {
  receiver?: string;
  incident?: string;
  result?: string[];
  kind?: string[];
  from?: number;
  to?: number;
}

export interface NotificationRowOut {
  n_id: string;
  n_incident: string;
  n_event: string;
  n_group_key: string;
  n_route: string;
  n_receiver: string;
  n_receiver_type: string;
  n_kind: string;
  n_result: string;
  n_attempts: number | string;
  n_severity: string;
  n_incident_status: string;
  n_http_status: number | string;
  n_error: string;
  n_silence_ids: string[];
  n_created_ms: number | string;
  n_updated_ms: number | string;
  sort_key?: number | string;
}

function latest(tables: Tables, pre: Sql[]): Sql {
  return sql`
    SELECT
      notification_id AS n_id,
      any(incident_id) AS n_incident,
      any(incident_event_id) AS n_event,
      any(group_key) AS n_group_key,
      any(route_id) AS n_route,
      any(receiver) AS n_receiver,
      any(receiver_type) AS n_receiver_type,
      any(kind) AS n_kind,
      argMax(result, version) AS n_result,
      max(attempts) AS n_attempts,
      argMax(severity, version) AS n_severity,
      argMax(incident_status, version) AS n_incident_status,
      argMax(http_status, version) AS n_http_status,
      argMax(error, version) AS n_error,
      argMax(silence_ids, version) AS n_silence_ids,
      min(created_at_ms) AS n_created_ms,
      max(updated_at_ms) AS n_updated_ms
    FROM ${tables.notifications}
    ${where(pre)}
    GROUP BY notification_id`;
}

/** Filters on columns fixed for a notification's life: before grouping. */
function preFilters(f: NotificationFilter, id?: string): Sql[] {
  const c: Sql[] = [];
  if (id !== undefined) c.push(sql`notification_id = ${id}`);
  if (f.receiver !== undefined) c.push(sql`receiver = ${f.receiver}`);
  if (f.incident !== undefined) c.push(sql`incident_id = ${f.incident}`);
  if (f.kind?.length) c.push(sql`kind IN ${f.kind}`);
  if (f.from !== undefined) c.push(sql`created_at_ms >= ${f.from}`);
  if (f.to !== undefined) c.push(sql`created_at_ms < ${f.to}`);
  return c;
}

export function listNotificationsQuery(tables: Tables, f: NotificationFilter, order: 'asc' | 'desc', limit: number, after?: CursorPosition, id?: string): Sql {
  const post: Sql[] = [];
  if (f.result?.length) post.push(sql`n_result IN ${f.result}`);
  if (after) post.push(afterCursor(sql`sort_key`, sql`n_id`, order, after));
  const dir = direction(order);
  return sql`
    SELECT *, n_created_ms AS sort_key
    FROM (${latest(tables, preFilters(f, id))})
    ${where(post)}
    ORDER BY sort_key ${dir}, n_id ${dir}
    LIMIT ${limit + 1}`;
}

export function notificationFromRow(r: NotificationRowOut): NotificationView {
  return {
    notificationId: r.n_id,
    incidentId: r.n_incident,
    incidentEventId: r.n_event,
    groupKey: r.n_group_key,
    routeId: r.n_route,
    receiver: r.n_receiver,
    receiverType: r.n_receiver_type,
    kind: r.n_kind,
    result: r.n_result,
    attempts: num(r.n_attempts),
    severity: r.n_severity,
    incidentStatus: r.n_incident_status,
    httpStatus: num(r.n_http_status),
    error: r.n_error,
    silenceIds: r.n_silence_ids,
    createdAt: num(r.n_created_ms),
    updatedAt: num(r.n_updated_ms),
  };
}

export const notificationCursorPosition = (r: NotificationRowOut): CursorPosition => ({ key: num(r.sort_key), id: r.n_id });

export interface NotificationAttemptRow {
  attempt: number | string;
  result: string;
  http_status: number | string;
  error: string;
  at_ms: number | string;
}

/** Every attempt of one notification, first first (a re-inserted attempt once). */
export function notificationAttemptsQuery(tables: Tables, id: string): Sql {
  return sql`
    SELECT attempt, any(result) AS result, any(http_status) AS http_status, any(error) AS error, min(at_ms) AS at_ms
    FROM ${tables.notificationAttempts}
    WHERE notification_id = ${id}
    GROUP BY attempt
    ORDER BY attempt`;
}

/** The dead-letter body, if this notification was dead-lettered. */
export function notificationPayloadQuery(tables: Tables, id: string): Sql {
  return sql`SELECT argMax(payload, version) AS payload FROM ${tables.notifications} WHERE notification_id = ${id}`;
}

export function notificationDetail(view: NotificationView, payload: string, attempts: NotificationAttemptRow[]): NotificationDetail {
  return {
    notification: view,
    payload,
    attempts: attempts.map((a) => ({ attempt: num(a.attempt), result: a.result, httpStatus: num(a.http_status), error: a.error, at: num(a.at_ms) })),
  };
}
