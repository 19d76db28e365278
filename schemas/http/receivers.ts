/** /api/v1/receivers — notification receivers (config file + API), secrets never echoed. */
import { commonErrors, errorRef } from './common.ts';

const RECEIVER_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const receiverNameParams = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', pattern: RECEIVER_NAME_PATTERN } },
} as const;

/** What the API shows of a receiver: no secret, no token, a Slack URL without its path. */
export const receiverOutSchema = {
  type: 'object',
  required: ['name', 'type', 'url', 'sendResolved', 'source'],
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['webhook', 'slack', 'alertmanager'] },
    url: { type: 'string', description: 'Slack URLs carry a token: shown as origin + "/…"' },
    sendResolved: { type: 'boolean' },
    timeoutMs: { type: 'integer' },
    channel: { type: 'string' },
    username: { type: 'string' },
    hasSecret: { type: 'boolean', description: 'webhook: a signing secret is set (never shown)' },
    hasBearerToken: { type: 'boolean' },
    source: { type: 'string', enum: ['config', 'api'], description: 'config file, or added/overridden through this API' },
  },
} as const;

export interface ReceiverOut {
  name: string;
  type: 'webhook' | 'slack' | 'alertmanager';
  url: string;
  sendResolved: boolean;
  timeoutMs?: number;
  channel?: string;
  username?: string;
  hasSecret?: boolean;
  hasBearerToken?: boolean;
  source: 'config' | 'api';
}

/** PUT body: the receiver without its name (from the path). Secrets / Slack URL left out = kept. Validated by the config schema. */
export const receiverPutBody = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['webhook', 'slack', 'alertmanager'] },
  },
} as const;

const list = { type: 'object', required: ['items'], properties: { items: { type: 'array', items: receiverOutSchema } } } as const;

export const receiverRoutes = {
  list: { tags: ['receivers'], summary: 'Notification receivers in force (secrets not shown)', response: { 200: list, ...commonErrors } },
  get: { tags: ['receivers'], summary: 'One receiver (secrets not shown)', params: receiverNameParams, response: { 200: receiverOutSchema, 404: errorRef, ...commonErrors } },
  put: {
    tags: ['receivers'],
    summary: 'Create or replace a receiver (overrides a configured one of the same name); secret, bearerToken and a Slack url may be left out to keep the current ones',
    params: receiverNameParams,
    body: receiverPutBody,
    response: { 200: receiverOutSchema, 201: receiverOutSchema, 404: errorRef, ...commonErrors },
  },
  delete: {
    tags: ['receivers'],
    summary: 'Remove a receiver added through the API (a configured one it overrode comes back); configured receivers cannot be removed here',
    params: receiverNameParams,
    response: { 200: { type: 'object', required: ['name', 'removed'], properties: { name: { type: 'string' }, removed: { type: 'boolean' } } }, 404: errorRef, 409: errorRef, ...commonErrors },
  },
} as const;
