/** /api/v1/incidents — list (latest state), detail with timeline, acknowledge, resolve. */
import { ALERT_STATUSES, SEVERITIES, type AlertStatus, type IncidentAlert, type Severity } from '../records.ts';
import { alertCommandBody } from './alerts.ts';
import { commonErrors, errorRef, idParams, idString, nameString, pageOf, pagingQueryProperties, timeRangeProperties, type PagingQuery, type TimeRangeQuery } from './common.ts';

export const INCIDENT_SORTS = ['opened_at', 'updated', 'severity'] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

export const listIncidentsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'array', items: { type: 'string', enum: [...ALERT_STATUSES] }, maxItems: ALERT_STATUSES.length, description: 'repeat or comma-separate' },
    severity: { type: 'array', items: { type: 'string', enum: [...SEVERITIES] }, maxItems: SEVERITIES.length, description: 'repeat or comma-separate' },
    source: { ...nameString, description: 'incidents whose group label `source` is this' },
    metric: { ...nameString, description: 'incidents whose group label `metric` is this (groupBy with metric)' },
    alert: { ...idString, description: 'the incident(s) holding this alert id' },
    from: { ...timeRangeProperties.from, description: 'incidents opened at or after (epoch ms or ISO-8601)' },
    to: { ...timeRangeProperties.to, description: 'incidents opened before (exclusive)' },
    sort: { type: 'string', enum: [...INCIDENT_SORTS], default: 'opened_at' },
    ...pagingQueryProperties,
  },
} as const;

export interface ListIncidentsQuery extends PagingQuery, TimeRangeQuery {
  status?: AlertStatus[];
  severity?: Severity[];
  source?: string;
  metric?: string;
  alert?: string;
  sort: IncidentSort;
}

const incidentAlertSchema = {
  type: 'object',
  required: ['alertId', 'source', 'metric', 'ruleId', 'kind', 'severity', 'status', 'inhibited', 'openedAt', 'updatedAt', 'version'],
  properties: {
    alertId: { type: 'string' },
    fingerprint: { type: 'string' },
    source: { type: 'string' },
    metric: { type: 'string' },
    ruleId: { type: 'string' },
    kind: { type: 'string' },
    severity: { type: 'string' },
    status: { type: 'string' },
    inhibited: { type: 'boolean', description: 'muted by a more severe alert of the incident (inhibition rule); still listed' },
    value: { type: 'number' },
    threshold: { type: 'number' },
    message: { type: 'string' },
    openedAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
    version: { type: 'integer' },
    tags: { type: 'object', additionalProperties: { type: 'string' }, description: "the alert's tags (the series' tags when it opened)" },
  },
} as const;

const incidentProperties = {
  incidentId: { type: 'string' },
  groupKey: { type: 'string' },
  groupLabels: { type: 'object', additionalProperties: { type: 'string' } },
  title: { type: 'string' },
  status: { type: 'string', description: 'firing | acknowledged | resolved' },
  severity: { type: 'string', description: 'highest severity of its unresolved, non-inhibited alerts' },
  version: { type: 'integer' },
  openedAt: { type: 'integer', description: 'epoch ms' },
  updatedAt: { type: 'integer', description: 'epoch ms of the latest transition' },
  actor: { type: 'string', description: 'who caused the latest transition' },
  reason: { type: 'string' },
  comment: { type: 'string' },
  alerts: { type: 'array', items: incidentAlertSchema },
} as const;

export const incidentSchema = {
  $id: 'Incident',
  type: 'object',
  required: Object.keys(incidentProperties),
  properties: incidentProperties,
} as const;

export interface Incident {
  incidentId: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  title: string;
  status: AlertStatus;
  severity: Severity;
  version: number;
  openedAt: number;
  updatedAt: number;
  actor: string;
  reason: string;
  comment: string;
  alerts: IncidentAlert[];
}

export const incidentStepSchema = {
  $id: 'IncidentStep',
  type: 'object',
  required: ['version', 'timestamp', 'status', 'severity', 'alertId', 'actor', 'reason', 'comment'],
  properties: {
    version: { type: 'integer' },
    timestamp: { type: 'integer' },
    status: { type: 'string', description: "the incident's status after this step" },
    severity: { type: 'string' },
    alertId: { type: 'string', description: 'the alert whose transition this step is' },
    alert: { anyOf: [incidentAlertSchema, { type: 'null' }], description: 'that alert as it stood after the step' },
    actor: { type: 'string' },
    reason: { type: 'string' },
    comment: { type: 'string' },
  },
} as const;

export interface IncidentStep {
  version: number;
  timestamp: number;
  status: AlertStatus;
  severity: Severity;
  alertId: string;
  alert: IncidentAlert | null;
  actor: string;
  reason: string;
  comment: string;
}

export const incidentCommandResult = {
  type: 'object',
  required: ['incidentId', 'results'],
  properties: {
    incidentId: { type: 'string' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['alertId', 'commandId', 'outcome', 'reason'],
        properties: {
          alertId: { type: 'string' },
          commandId: { type: 'string' },
          outcome: { type: 'string', enum: ['applied', 'refused', 'pending'] },
          status: { type: 'string', description: 'the alert status the owner reports (applied or refused)' },
          reason: { type: 'string' },
        },
      },
    },
  },
} as const;

export interface IncidentCommandResult {
  incidentId: string;
  results: Array<{ alertId: string; commandId: string; outcome: 'applied' | 'refused' | 'pending'; status?: string; reason: string }>;
}

export const listIncidentsRoute = {
  tags: ['incidents'],
  summary: 'Incidents (related alerts grouped by oncall.groupBy), latest state, filtered and paged',
  querystring: listIncidentsQuery,
  response: { 200: pageOf({ $ref: 'Incident#' }), ...commonErrors },
} as const;

export const getIncidentRoute = {
  tags: ['incidents'],
  summary: 'One incident with its timeline (every alert transition, who and why)',
  params: idParams,
  response: {
    200: { type: 'object', required: ['incident', 'timeline'], properties: { incident: { $ref: 'Incident#' }, timeline: { type: 'array', items: { $ref: 'IncidentStep#' } } } },
    404: errorRef,
    ...commonErrors,
  },
} as const;

export function incidentCommandRoute(verb: 'acknowledge' | 'resolve') {
  return {
    tags: ['incidents'],
    summary: `${verb === 'acknowledge' ? 'Acknowledge' : 'Resolve'} an incident: every alert of it that can be, with the comment`,
    description:
      "Sends one alert command per open alert of the incident (the owners of the series apply them); the incident follows as their transitions arrive. 200: every owner answered (see each result); 202: at least one is still pending after api.commandWaitMs; 409: nothing to do from the incident's status.",
    params: idParams,
    body: alertCommandBody,
    response: { 200: incidentCommandResult, 202: incidentCommandResult, 404: errorRef, 409: errorRef, ...commonErrors },
  } as const;
}
