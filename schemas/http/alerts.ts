/** /api/v1/alerts — list, detail with history, acknowledge, resolve. */
import { ALERT_STATUSES, SEVERITIES, type AlertKind, type AlertStatus, type Severity } from '../records.ts';
import {
  LIMITS,
  commonErrors,
  errorRef,
  idParams,
  nameString,
  pageOf,
  pagingQueryProperties,
  timeRangeProperties,
  type PagingQuery,
  type TimeRangeQuery,
} from './common.ts';

export const ALERT_SORTS = ['opened_at', 'updated', 'severity'] as const;
export type AlertSort = (typeof ALERT_SORTS)[number];

export const listAlertsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'array', items: { type: 'string', enum: [...ALERT_STATUSES] }, maxItems: ALERT_STATUSES.length, description: 'repeat or comma-separate' },
    severity: { type: 'array', items: { type: 'string', enum: [...SEVERITIES] }, maxItems: SEVERITIES.length, description: 'repeat or comma-separate' },
    source: nameString,
    metric: nameString,
    rule: nameString,
    from: { ...timeRangeProperties.from, description: 'alerts opened at or after (epoch ms or ISO-8601)' },
    to: { ...timeRangeProperties.to, description: 'alerts opened before (exclusive)' },
    sort: { type: 'string', enum: [...ALERT_SORTS], default: 'opened_at' },
    ...pagingQueryProperties,
  },
} as const;

export interface ListAlertsQuery extends PagingQuery, TimeRangeQuery {
  status?: AlertStatus[];
  severity?: Severity[];
  source?: string;
  metric?: string;
  rule?: string;
  sort: AlertSort;
}

const alertProperties = {
  alertId: { type: 'string' },
  fingerprint: { type: 'string' },
  source: { type: 'string' },
  metric: { type: 'string' },
  ruleId: { type: 'string' },
  kind: { type: 'string' },
  severity: { type: 'string' },
  status: { type: 'string' },
  version: { type: 'integer' },
  openedAt: { type: 'integer', description: 'epoch ms' },
  updatedAt: { type: 'integer', description: 'epoch ms of the latest transition' },
  value: { type: 'number' },
  threshold: { type: 'number' },
  message: { type: 'string' },
  actor: { type: 'string' },
  reason: { type: 'string' },
  tags: {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: "the series' tags when the alert opened (the latest point's tags then; the same for the alert's life); {} for alerts stored before tags existed",
  },
} as const;

export const alertSchema = {
  $id: 'Alert',
  type: 'object',
  required: Object.keys(alertProperties),
  properties: {
    ...alertProperties,
    silencedBy: {
      type: 'array',
      items: { type: 'string' },
      description: 'ids of the silences muting this open alert now (recorded and shown, not notified); empty when none',
    },
  },
} as const;

/** The latest state of one alert (argMax over version of its events). */
export interface Alert {
  alertId: string;
  fingerprint: string;
  source: string;
  metric: string;
  ruleId: string;
  kind: AlertKind;
  severity: Severity;
  status: AlertStatus;
  version: number;
  openedAt: number;
  updatedAt: number;
  value: number;
  threshold: number;
  message: string;
  actor: string;
  reason: string;
  /** The series' tags when the alert opened (see AlertEvent.tags). */
  tags: Record<string, string>;
  /** Silences muting this open alert now; set by the API from the silences topic. */
  silencedBy?: string[];
}

export const alertEventSchema = {
  $id: 'AlertTransition',
  type: 'object',
  properties: {
    eventId: { type: 'string' },
    version: { type: 'integer' },
    status: { type: 'string' },
    severity: { type: 'string' },
    timestamp: { type: 'integer' },
    value: { type: 'number' },
    threshold: { type: 'number' },
    message: { type: 'string' },
    actor: { type: 'string' },
    reason: { type: 'string' },
  },
} as const;

export interface AlertTransition {
  eventId: string;
  version: number;
  status: AlertStatus;
  severity: Severity;
  timestamp: number;
  value: number;
  threshold: number;
  message: string;
  actor: string;
  reason: string;
}

export const alertDetail = {
  type: 'object',
  required: ['alert', 'history'],
  properties: {
    alert: { $ref: 'Alert#' },
    history: { type: 'array', items: { $ref: 'AlertTransition#' } },
  },
} as const;

export interface AlertDetail {
  alert: Alert;
  history: AlertTransition[];
}

export const alertCommandBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    comment: { type: 'string', maxLength: LIMITS.maxCommentLength, pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$' },
  },
} as const;

export interface AlertCommandBody {
  comment?: string;
}

export const commandAccepted = {
  type: 'object',
  required: ['commandId', 'status'],
  properties: {
    commandId: { type: 'string' },
    status: { type: 'string', enum: ['pending'] },
    message: { type: 'string' },
  },
} as const;

export interface CommandAccepted {
  commandId: string;
  status: 'pending';
  message: string;
}

export const commandApplied = {
  type: 'object',
  required: ['commandId', 'alert'],
  properties: {
    commandId: { type: 'string' },
    alert: { $ref: 'Alert#' },
  },
} as const;

export interface CommandApplied {
  commandId: string;
  alert: Alert;
}

export const listAlertsRoute = {
  tags: ['alerts'],
  summary: 'Alerts (latest state), filtered and paged',
  querystring: listAlertsQuery,
  response: { 200: pageOf({ $ref: 'Alert#' }), ...commonErrors },
} as const;

export const getAlertRoute = {
  tags: ['alerts'],
  summary: 'One alert with its full transition history',
  params: idParams,
  response: { 200: alertDetail, 404: errorRef, ...commonErrors },
} as const;

export function alertCommandRoute(verb: 'acknowledge' | 'resolve') {
  return {
    tags: ['alerts'],
    summary: `${verb === 'acknowledge' ? 'Acknowledge' : 'Resolve'} an alert (applied by the pipeline instance that owns its series)`,
    description:
      '200: the owner applied it (new state); 202: published, no answer within api.commandWaitMs (poll GET /alerts/:id); 409: the transition is not valid from the current state or the owner refused it.',
    params: idParams,
    body: alertCommandBody,
    response: { 200: commandApplied, 202: commandAccepted, 404: errorRef, 409: errorRef, ...commonErrors },
  } as const;
}
