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

const receiverCommon = {
  name: { type: 'string', pattern: RECEIVER_NAME_PATTERN, description: 'taken from the path; if given it must be equal' },
  sendResolved: { type: 'boolean', default: true, description: 'also notify when the incident resolves' },
  timeoutMs: { type: 'integer', minimum: 100, maximum: 120000, description: 'per-attempt HTTP timeout (default notify.timeoutMs)' },
} as const;
const httpUrl = { type: 'string', maxLength: 2048, description: 'http:// or https:// URL' } as const;

/**
 * PUT body: the receiver without its name (taken from the path), one branch per `type`.
 * A webhook secret, an Alertmanager bearer token and a Slack URL may be left out when replacing
 * a receiver of the same type: the current ones are kept. The config schema validates the result.
 */
export const receiverPutBody = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    {
      title: 'WebhookReceiver',
      type: 'object',
      additionalProperties: false,
      required: ['type', 'url'],
      properties: { type: { type: 'string', enum: ['webhook'] }, url: httpUrl, secret: { type: 'string', minLength: 16, maxLength: 512, description: 'HMAC-SHA256 key for X-Vigil-Signature (required on create)' }, ...receiverCommon },
      example: { type: 'webhook', url: 'https://hooks.example.com/vigil', secret: 'change-me-to-16+-chars', sendResolved: true },
    },
    {
      title: 'SlackReceiver',
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: { type: { type: 'string', enum: ['slack'] }, url: { ...httpUrl, description: 'incoming-webhook URL (required on create; a secret, never shown)' }, channel: { type: 'string', maxLength: 80 }, username: { type: 'string', maxLength: 80 }, ...receiverCommon },
      example: { type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXX', channel: '#oncall' },
    },
    {
      title: 'AlertmanagerReceiver',
      type: 'object',
      additionalProperties: false,
      required: ['type', 'url'],
      properties: { type: { type: 'string', enum: ['alertmanager'] }, url: { ...httpUrl, description: 'any endpoint taking Alertmanager webhook_config payloads (version 4)' }, bearerToken: { type: 'string', minLength: 1, maxLength: 4096 }, ...receiverCommon },
      example: { type: 'alertmanager', url: 'http://127.0.0.1:9093/hook' },
    },
  ],
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
