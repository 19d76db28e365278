/**
 * The notification log's record (ClickHouse `notifications`, migration 004) and its row form.
 * One record per notification, rewritten with a higher version as attempts progress.
 */
import type { ReceiverType } from '../../core/notify-config.ts';
import type { NotificationKind } from './timers.ts';

export const NOTIFICATION_RESULTS = ['failed', 'sent', 'dead', 'suppressed', 'silenced'] as const;
export type NotificationResult = (typeof NOTIFICATION_RESULTS)[number];
/** Results after which nothing more happens to a notification. */
export const FINAL_RESULTS: ReadonlySet<NotificationResult> = new Set(['sent', 'dead', 'suppressed', 'silenced']);

export interface NotificationRecord {
  notificationId: string;
  /** hash(routeId, receiver, incidentId): the notification group. */
  groupId: string;
  incidentId: string;
  incidentEventId: string;
  incidentVersion: number;
  groupKey: string;
  routeId: string;
  receiver: string;
  receiverType: ReceiverType;
  kind: NotificationKind;
  result: NotificationResult;
  attempts: number;
  contentKey: string;
  severity: string;
  incidentStatus: string;
  httpStatus: number;
  error: string;
  silenceIds: string[];
  /** The body, kept on dead-letter records so the notification can be replayed by hand. */
  payload: string;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export interface NotificationRow {
  notification_id: string;
  group_id: string;
  incident_id: string;
  incident_event_id: string;
  incident_version: number;
  group_key: string;
  route_id: string;
  receiver: string;
  receiver_type: string;
  kind: string;
  result: string;
  attempts: number;
  content_key: string;
  severity: string;
  incident_status: string;
  http_status: number;
  error: string;
  silence_ids: string[];
  payload: string;
  created_at: number | string;
  created_at_ms: number | string;
  updated_at_ms: number | string;
  version: number;
}

export function notificationRow(r: NotificationRecord): NotificationRow {
  return {
    notification_id: r.notificationId,
    group_id: r.groupId,
    incident_id: r.incidentId,
    incident_event_id: r.incidentEventId,
    incident_version: r.incidentVersion,
    group_key: r.groupKey,
    route_id: r.routeId,
    receiver: r.receiver,
    receiver_type: r.receiverType,
    kind: r.kind,
    result: r.result,
    attempts: r.attempts,
    content_key: r.contentKey,
    severity: r.severity,
    incident_status: r.incidentStatus,
    http_status: r.httpStatus,
    error: r.error,
    silence_ids: r.silenceIds,
    payload: r.payload,
    created_at: Math.floor(r.createdAt / 1000),
    created_at_ms: r.createdAt,
    updated_at_ms: r.updatedAt,
    version: r.version,
  };
}

/** ClickHouse returns UInt64 as strings; numbers come back as numbers. */
export function recordFromRow(row: NotificationRow): NotificationRecord {
  return {
    notificationId: row.notification_id,
    groupId: row.group_id,
    incidentId: row.incident_id,
    incidentEventId: row.incident_event_id,
    incidentVersion: Number(row.incident_version),
    groupKey: row.group_key,
    routeId: row.route_id,
    receiver: row.receiver,
    receiverType: row.receiver_type as ReceiverType,
    kind: row.kind as NotificationKind,
    result: row.result as NotificationResult,
    attempts: Number(row.attempts),
    contentKey: row.content_key,
    severity: row.severity,
    incidentStatus: row.incident_status,
    httpStatus: Number(row.http_status),
    error: row.error,
    silenceIds: row.silence_ids,
    payload: row.payload,
    createdAt: Number(row.created_at_ms),
    updatedAt: Number(row.updated_at_ms),
    version: Number(row.version),
  };
}

/** A record written right after an HTTP attempt (not a silenced/suppressed decision). */
export function isAttempt(r: NotificationRecord): boolean {
  return r.attempts > 0 && (r.result === 'failed' || r.result === 'sent' || r.result === 'dead');
}

/** Row of `notification_attempts` (migration 007): the attempt history merges cannot fold. */
export function attemptRow(r: NotificationRecord) {
  return {
    notification_id: r.notificationId,
    attempt: r.attempts,
    receiver: r.receiver,
    result: r.result,
    http_status: r.httpStatus,
    error: r.error,
    at: Math.floor(r.updatedAt / 1000),
    at_ms: r.updatedAt,
  };
}
