/**
 * /api/v1/silences — list, one, create/update (POST), expire (DELETE). The edge schemas check
 * field names and JSON types; the meaning (regex safety, time range, matcher set) is checked by
 * validateSilenceRequest from oncall/silences/, the code every process applies to the topic.
 */
import { MATCHER_LIMITS, MATCHER_OPS } from '../../oncall/silences/matchers.ts';
import { WEEKDAYS } from '../../oncall/silences/recurrence.ts';
import { SILENCE_ID_PATTERN, SILENCE_LIMITS } from '../../oncall/silences/silence.ts';
import type { Silence, SilenceState } from '../../oncall/silences/silence.ts';
import { commonErrors, errorRef } from './common.ts';

export const SILENCE_STATES = ['active', 'pending', 'expired'] as const;

const matcher = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'op', 'value'],
  properties: {
    name: { type: 'string', maxLength: MATCHER_LIMITS.maxNameLength, description: 'alertname, source, metric, severity, kind, or tag:<key> for a series tag (e.g. tag:team)' },
    op: { type: 'string', enum: [...MATCHER_OPS], description: '=~ and !~ are anchored regexes, as in Alertmanager' },
    value: { type: 'string', maxLength: MATCHER_LIMITS.maxValueLength },
  },
} as const;

const schedule = {
  type: 'object',
  additionalProperties: false,
  description: 'recurring maintenance window: the silence applies only inside these windows (days only with weekly)',
  example: { frequency: 'weekly', days: ['sat', 'sun'], start: '02:00', end: '04:00', timeZone: 'Europe/Berlin' },
  properties: {
    frequency: { type: 'string', enum: ['daily', 'weekly'] },
    days: { type: 'array', maxItems: 7, items: { type: 'string', enum: [...WEEKDAYS] }, description: 'weekly: days a window starts on' },
    start: { type: 'string', maxLength: 5, description: 'HH:MM wall clock', example: '02:00' },
    end: { type: 'string', maxLength: 5, description: 'HH:MM; before start = next day', example: '04:00' },
    timeZone: { type: 'string', maxLength: 64, default: 'UTC', example: 'Europe/Berlin' },
  },
} as const;

const time = { anyOf: [{ type: 'string', maxLength: 40 }, { type: 'integer' }], description: 'ISO-8601 with a zone, or epoch ms' } as const;

export const silenceBody = {
  type: 'object',
  additionalProperties: false,
  // matchers, endsAt and comment are required, but by validateSilenceRequest (its messages say
  // why); the document says so in words and shows a complete example.
  description: 'matchers (at least one), endsAt and comment are required',
  example: {
    matchers: [{ name: 'source', op: '=', value: 'checkout' }],
    startsAt: '2030-01-01T00:00:00Z',
    endsAt: '2030-01-02T00:00:00Z',
    comment: 'database migration',
  },
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64, pattern: SILENCE_ID_PATTERN.source, description: 'update this silence (leave out to create one)' },
    matchers: { type: 'array', maxItems: MATCHER_LIMITS.maxMatchers, items: matcher },
    startsAt: { ...time, description: 'default now', example: '2030-01-01T00:00:00Z' },
    endsAt: { ...time, example: '2030-01-02T00:00:00Z' },
    createdBy: { type: 'string', maxLength: SILENCE_LIMITS.maxCreatedByLength, description: 'default: the API key name' },
    comment: { type: 'string', maxLength: SILENCE_LIMITS.maxCommentLength, description: 'why the alerts are silenced' },
    schedule: { anyOf: [schedule, { type: 'null' }] },
  },
} as const;

export const silenceSchema = {
  $id: 'Silence',
  type: 'object',
  required: ['id', 'matchers', 'startsAt', 'endsAt', 'createdBy', 'comment', 'schedule', 'version', 'updatedAt', 'updatedBy', 'state'],
  properties: {
    id: { type: 'string' },
    matchers: { type: 'array', items: matcher },
    startsAt: { type: 'integer', description: 'epoch ms' },
    endsAt: { type: 'integer', description: 'epoch ms' },
    createdBy: { type: 'string' },
    comment: { type: 'string' },
    schedule: { anyOf: [{ ...schedule, additionalProperties: true }, { type: 'null' }] },
    version: { type: 'integer' },
    updatedAt: { type: 'integer', description: 'epoch ms' },
    updatedBy: { type: 'string' },
    state: { type: 'string', enum: [...SILENCE_STATES], description: 'pending also covers a maintenance window between its windows' },
  },
} as const;

export type SilenceOut = Silence & { state: SilenceState };

const silenceRef = { $ref: 'Silence#' } as const;
const silenceIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: SILENCE_ID_PATTERN.source } },
} as const;

export const silenceRoutes = {
  list: {
    tags: ['silences'],
    summary: 'Silences and maintenance windows (expired ones are kept 5 days)',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { state: { type: 'string', enum: [...SILENCE_STATES] } },
    },
    response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: silenceRef } } }, ...commonErrors },
  },
  get: { tags: ['silences'], summary: 'One silence', params: silenceIdParams, response: { 200: silenceRef, 404: errorRef, ...commonErrors } },
  post: {
    tags: ['silences'],
    summary: 'Create a silence, or a new version of one (with id). Silenced alerts are still recorded and shown, not notified.',
    body: silenceBody,
    // 409: the id names a silence that has expired (it cannot be revived; create a new one).
    response: { 200: silenceRef, 201: silenceRef, 404: errorRef, 409: errorRef, ...commonErrors },
  },
  expire: {
    tags: ['silences'],
    summary: 'Expire a silence now (it stays listed as expired)',
    params: silenceIdParams,
    response: { 200: silenceRef, 404: errorRef, ...commonErrors },
  },
} as const;
