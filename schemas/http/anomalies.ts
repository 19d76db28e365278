/** GET /api/v1/anomalies — latest version of each anomaly, filtered and paged. */
import { ANOMALY_TYPES, type AnomalyType } from '../records.ts';
import { commonErrors, nameString, pageOf, pagingQueryProperties, timeRangeProperties, type PagingQuery, type TimeRangeQuery } from './common.ts';

export const ANOMALY_SORTS = ['detected', 'started', 'score', 'confidence'] as const;
export type AnomalySort = (typeof ANOMALY_SORTS)[number];

export const listAnomaliesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: nameString,
    metric: nameString,
    type: { type: 'array', items: { type: 'string', enum: [...ANOMALY_TYPES] }, maxItems: ANOMALY_TYPES.length, description: 'repeat or comma-separate' },
    minConfidence: { type: 'number', minimum: 0, maximum: 1 },
    minScore: { type: 'number', minimum: 0, maximum: 1 },
    from: { ...timeRangeProperties.from, description: 'anomalies that started at or after (epoch ms or ISO-8601)' },
    to: { ...timeRangeProperties.to, description: 'anomalies that started before (exclusive)' },
    sort: { type: 'string', enum: [...ANOMALY_SORTS], default: 'detected' },
    ...pagingQueryProperties,
  },
} as const;

export interface ListAnomaliesQuery extends PagingQuery, TimeRangeQuery {
  source?: string;
  metric?: string;
  type?: AnomalyType[];
  minConfidence?: number;
  minScore?: number;
  sort: AnomalySort;
}

const anomalyProperties = {
  id: { type: 'string' },
  source: { type: 'string' },
  metric: { type: 'string' },
  type: { type: 'string' },
  version: { type: 'integer' },
  startTimestamp: { type: 'integer' },
  detectedTimestamp: { type: 'integer' },
  value: { type: 'number' },
  expected: { type: 'number' },
  zscore: { type: 'number' },
  score: { type: 'number' },
  confidence: { type: 'number' },
  pointCount: { type: 'integer' },
} as const;

export const anomalySchema = {
  $id: 'Anomaly',
  type: 'object',
  required: Object.keys(anomalyProperties),
  properties: anomalyProperties,
} as const;

export const listAnomaliesRoute = {
  tags: ['anomalies'],
  summary: 'Anomalies (latest refinement of each), filtered and paged',
  querystring: listAnomaliesQuery,
  response: { 200: pageOf({ $ref: 'Anomaly#' }), ...commonErrors },
} as const;
