/**
 * GET /api/v1/series/points — recent history of ONE series, for charts that must not start
 * empty. Three resolutions, chosen by `step`:
 * - no step: every stored point (deduplicated), range ≤ 2 h;
 * - step < 60 s: the raw points sampled per step bucket (the bucket's last point; its highest
 *   anomaly score, so a short spike is not sampled away), range ≤ 2 h;
 * - step a multiple of 60 s: the per-minute rollup `points_1m` merged into step buckets
 *   (average, min, max, quantiles, count), range ≤ 31 days.
 * The newest `limit` points/buckets of the range, oldest first.
 */
import { commonErrors, nameString, timeString } from './common.ts';

export const SERIES_POINTS_LIMITS = {
  defaultRangeMs: 15 * 60_000,
  maxRawRangeMs: 2 * 3_600_000,
  maxRollupRangeMs: 31 * 86_400_000,
  defaultPoints: 1000,
  maxPoints: 5000,
  maxStepSec: 86_400,
  /** Buckets of this many seconds or more come from the per-minute rollup. */
  rollupStepSec: 60,
} as const;

export const SERIES_RESOLUTIONS = ['raw', 'sampled', 'rollup'] as const;
export type SeriesResolution = (typeof SERIES_RESOLUTIONS)[number];

export const seriesPointsQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['source', 'metric'],
  properties: {
    source: nameString,
    metric: nameString,
    from: { ...timeString, description: 'start, inclusive (epoch ms or ISO-8601); default `to` minus 15 minutes' },
    to: { ...timeString, description: 'end, exclusive (epoch ms or ISO-8601); default now' },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: SERIES_POINTS_LIMITS.maxPoints,
      default: SERIES_POINTS_LIMITS.defaultPoints,
      description: 'the newest `limit` points (or buckets) of the range are returned',
    },
    step: {
      type: 'integer',
      minimum: 1,
      maximum: SERIES_POINTS_LIMITS.maxStepSec,
      description:
        'bucket width in seconds. Below 60: raw points sampled per bucket (range ≤ 2 h). A multiple of 60: the per-minute rollup (range ≤ 31 days; from/to widen to whole buckets). Without it: every raw point (range ≤ 2 h).',
    },
  },
} as const;

export interface SeriesPointsQuery {
  source: string;
  metric: string;
  from?: string;
  to?: string;
  limit: number;
  step?: number;
}

const seriesPointProperties = {
  timestamp: { type: 'integer', description: 'epoch ms: the point (raw, sampled) or the bucket start (rollup)' },
  value: { type: 'number', description: 'the value; the bucket average for rollup' },
  mean: { type: 'number', description: 'raw, sampled: the detector baseline mean at that point' },
  std: { type: 'number', description: 'raw, sampled' },
  zscore: { type: 'number', description: 'raw, sampled' },
  anomalyScore: { type: 'number', description: "the point's score; the bucket's highest for sampled and rollup" },
  count: { type: 'integer', description: 'sampled, rollup: points in the bucket' },
  min: { type: 'number', description: 'rollup' },
  max: { type: 'number', description: 'rollup' },
  p50: { type: 'number', description: 'rollup' },
  p95: { type: 'number', description: 'rollup' },
  p99: { type: 'number', description: 'rollup' },
  anomalous: { type: 'integer', description: 'rollup: points with anomaly score ≥ 0.5' },
} as const;

export const seriesPointSchema = {
  $id: 'SeriesPoint',
  type: 'object',
  required: ['timestamp', 'value', 'anomalyScore'],
  properties: seriesPointProperties,
} as const;

export interface SeriesPoint {
  timestamp: number;
  value: number;
  mean?: number;
  std?: number;
  zscore?: number;
  anomalyScore: number;
  count?: number;
  min?: number;
  max?: number;
  p50?: number;
  p95?: number;
  p99?: number;
  anomalous?: number;
}

const seriesPointsProperties = {
  source: { type: 'string' },
  metric: { type: 'string' },
  resolution: { type: 'string', enum: [...SERIES_RESOLUTIONS] },
  step: { type: ['integer', 'null'], description: 'bucket width in seconds; null for raw points' },
  from: { type: 'integer', description: 'effective start (epoch ms, inclusive)' },
  to: { type: 'integer', description: 'effective end (epoch ms, exclusive)' },
  truncated: { type: 'boolean', description: 'older points of the range were left out to stay within limit' },
  points: { type: 'array', items: { $ref: 'SeriesPoint#' } },
} as const;

export const seriesPointsResponse = {
  type: 'object',
  required: Object.keys(seriesPointsProperties),
  properties: seriesPointsProperties,
} as const;

export interface SeriesPoints {
  source: string;
  metric: string;
  resolution: SeriesResolution;
  step: number | null;
  from: number;
  to: number;
  truncated: boolean;
  points: SeriesPoint[];
}

export const seriesPointsRoute = {
  tags: ['metrics'],
  summary: 'Recent points of one series (raw, sampled, or from the per-minute rollup), oldest first',
  querystring: seriesPointsQuery,
  response: { 200: seriesPointsResponse, ...commonErrors },
} as const;
