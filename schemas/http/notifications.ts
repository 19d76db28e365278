/** /api/v1/notifications — the notification log (what was sent, when, to whom, result, attempts). */
import { NOTIFICATION_RESULTS, type NotificationResult } from '../../oncall/notify/records.ts';
import { commonErrors, errorRef, idParams, idString, nameString, pageOf, pagingQueryProperties, timeRangeProperties, type PagingQuery, type TimeRangeQuery } from './common.ts';

export const NOTIFICATION_KINDS = ['firing', 'update', 'repeat', 'resolved'] as const;

export const listNotificationsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    receiver: nameString,
    incident: { ...idString, description: 'incident id' },
    result: { type: 'array', items: { type: 'string', enum: [...NOTIFICATION_RESULTS] }, maxItems: NOTIFICATION_RESULTS.length, description: 'repeat or comma-separate; dead = the dead-letter records' },
    kind: { type: 'array', items: { type: 'string', enum: [...NOTIFICATION_KINDS] }, maxItems: NOTIFICATION_KINDS.length, description: 'repeat or comma-separate' },
    from: { ...timeRangeProperties.from, description: 'notifications created at or after (epoch ms or ISO-8601)' },
    to: { ...timeRangeProperties.to, description: 'created before (exclusive)' },
    ...pagingQueryProperties,
  },
} as const;

export interface ListNotificationsQuery extends PagingQuery, TimeRangeQuery {
  receiver?: string;
  incident?: string;
  result?: NotificationResult[];
  kind?: string[];
}

const notificationProperties = {
  notificationId: { type: 'string' },
  incidentId: { type: 'string' },
  incidentEventId: { type: 'string', description: 'the incident transition it reports (the idempotency key; repeats add /repeat-<n>)' },
  groupKey: { type: 'string' },
  routeId: { type: 'string' },
  receiver: { type: 'string' },
  receiverType: { type: 'string' },
  kind: { type: 'string', description: 'firing | update | repeat | resolved' },
  result: { type: 'string', description: 'failed (retrying) | sent | dead | suppressed | silenced' },
  attempts: { type: 'integer' },
  severity: { type: 'string' },
  incidentStatus: { type: 'string' },
  httpStatus: { type: 'integer', description: '0 = no HTTP answer (timeout, connection error) or not sent' },
  error: { type: 'string' },
  silenceIds: { type: 'array', items: { type: 'string' } },
  createdAt: { type: 'integer', description: 'epoch ms it fell due' },
  updatedAt: { type: 'integer', description: 'epoch ms of its latest attempt or outcome' },
} as const;

export const notificationSchema = { $id: 'Notification', type: 'object', required: Object.keys(notificationProperties), properties: notificationProperties } as const;

export interface NotificationView {
  notificationId: string;
  incidentId: string;
  incidentEventId: string;
  groupKey: string;
  routeId: string;
  receiver: string;
  receiverType: string;
  kind: string;
  result: string;
  attempts: number;
  severity: string;
  incidentStatus: string;
  httpStatus: number;
  error: string;
  silenceIds: string[];
  createdAt: number;
  updatedAt: number;
}

export interface NotificationDetail {
  notification: NotificationView;
  /** The exact body sent, kept on dead-letter records (empty otherwise). */
  payload: string;
  /** Every HTTP attempt, first first. */
  attempts: Array<{ attempt: number; result: string; httpStatus: number; error: string; at: number }>;
}

export const listNotificationsRoute = {
  tags: ['notifications'],
  summary: 'Notifications (latest state), filtered and paged, newest first by default',
  querystring: listNotificationsQuery,
  response: { 200: pageOf({ $ref: 'Notification#' }), ...commonErrors },
} as const;

export const getNotificationRoute = {
  tags: ['notifications'],
  summary: 'One notification with every attempt and, for dead letters, the body to replay',
  params: idParams,
  response: {
    200: {
      type: 'object',
      required: ['notification', 'payload', 'attempts'],
      properties: {
        notification: { $ref: 'Notification#' },
        payload: { type: 'string' },
        attempts: {
          type: 'array',
          items: { type: 'object', properties: { attempt: { type: 'integer' }, result: { type: 'string' }, httpStatus: { type: 'integer' }, error: { type: 'string' }, at: { type: 'integer', description: 'epoch ms' } } },
        },
      },
    },
    404: errorRef,
    ...commonErrors,
  },
} as const;
