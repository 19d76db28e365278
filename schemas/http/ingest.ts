/**
 * POST /api/v1/metrics — one point, or `{points: [...]}`. Items are only shape-checked here
 * (objects, bounded count); each one is validated by the ingest validator so one bad point is
 * reported by index instead of failing the batch.
 */
import { LIMITS, commonErrors, errorRef } from './common.ts';

export const metricPointInput = {
  type: 'object',
  description: 'A metric point. timestamp (epoch ms) defaults to the time of the request.',
  properties: {
    source: { type: 'string' },
    metric: { type: 'string' },
    value: { type: 'number' },
    timestamp: { type: 'integer' },
    tags: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export interface MetricPointInput {
  source: string;
  metric: string;
  value: number;
  timestamp?: number;
  tags?: Record<string, string>;
}

export const ingestBody = {
  type: 'object',
  description: 'One point, or {points: [...]} with up to 10 000 points.',
  properties: {
    // Items are not typed here: each is validated on its own and reported by index.
    points: { type: 'array', minItems: 1, maxItems: LIMITS.maxBatchPoints, items: {} },
  },
} as const;

/** A point as documented: what the per-item validator accepts (names and values checked further). */
const documentedPoint = {
  ...metricPointInput,
  additionalProperties: false,
  required: ['source', 'metric', 'value'],
  properties: {
    source: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^/\\u0000-\\u001f\\u007f]+$' },
    metric: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
    value: { type: 'number' },
    timestamp: { type: 'integer', minimum: 946_684_800_000, description: 'epoch ms, not before 2000-01-01 nor more than pipeline.maxFutureSkewMs ahead' },
    tags: { type: 'object', maxProperties: 32, additionalProperties: { type: 'string' } },
  },
} as const;

/**
 * The body as the OpenAPI document shows it. Validation is looser on purpose (ingestBody): a
 * batch is accepted with its invalid items reported by index in the 202 answer.
 */
export const documentedIngestBody = {
  description: ingestBody.description,
  oneOf: [
    documentedPoint,
    {
      type: 'object',
      additionalProperties: false,
      required: ['points'],
      properties: { points: { type: 'array', minItems: 1, maxItems: LIMITS.maxBatchPoints, items: documentedPoint } },
    },
  ],
} as const;

export type IngestBody = MetricPointInput | { points: unknown[] };

export const ingestResult = {
  type: 'object',
  required: ['accepted', 'rejected', 'errors'],
  properties: {
    accepted: { type: 'integer' },
    rejected: { type: 'integer' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'reasons'],
        properties: {
          index: { type: 'integer' },
          reasons: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

export interface IngestResult {
  accepted: number;
  rejected: number;
  errors: Array<{ index: number; reasons: string[] }>;
}

export const ingestRoute = {
  tags: ['ingest'],
  summary: 'Publish metric points to the metrics topic',
  body: ingestBody,
  response: {
    202: ingestResult,
    ...commonErrors,
    // All points invalid: the same shape as 202 under the error envelope's details.
    400: errorRef,
    413: errorRef,
  },
} as const;
