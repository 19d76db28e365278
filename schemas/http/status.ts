/**
 * Read-only status views: SLA status, live metrics, dashboard stats, health, client config.
 */
import { commonErrors, nameString } from './common.ts';

// ---------------------------------------------------------------- GET /sla

export const slaStatusQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: nameString,
    metric: nameString,
    sla: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' },
    violated: { type: 'boolean' },
  },
} as const;

export interface SlaStatusQuery {
  source?: string;
  metric?: string;
  sla?: string;
  violated?: boolean;
}

const slaStatusProperties = {
  slaId: { type: 'string' },
  name: { type: 'string' },
  source: { type: 'string' },
  metric: { type: 'string' },
  objective: { type: 'number' },
  windowMs: { type: 'integer' },
  compliance: { type: 'number' },
  good: { type: 'integer' },
  total: { type: 'integer' },
  errorBudgetRemaining: { type: 'number', description: '1 untouched, 0 spent, < 0 overspent' },
  burnRateFast: { type: 'number' },
  burnRateSlow: { type: 'number' },
  violated: { type: 'boolean' },
  violations24h: { type: 'integer', description: 'snapshots in the last 24 h that were in violation' },
  updatedAt: { type: 'integer' },
} as const;

export const slaStatusSchema = {
  $id: 'SlaStatus',
  type: 'object',
  required: Object.keys(slaStatusProperties),
  properties: slaStatusProperties,
} as const;

export interface SlaStatus {
  slaId: string;
  name: string;
  source: string;
  metric: string;
  objective: number;
  windowMs: number;
  compliance: number;
  good: number;
  total: number;
  errorBudgetRemaining: number;
  burnRateFast: number;
  burnRateSlow: number;
  violated: boolean;
  violations24h: number;
  updatedAt: number;
}

export const slaStatusRoute = {
  tags: ['sla'],
  summary: 'Status of every SLA objective per series (latest snapshot)',
  querystring: slaStatusQuery,
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: 'SlaStatus#' } } } },
    ...commonErrors,
  },
} as const;

// ---------------------------------------------------------------- GET /live-metrics

export const liveMetricsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: nameString,
    metric: nameString,
    windowSec: { type: 'integer', minimum: 1, maximum: 86_400, default: 300, description: 'only series with a point in the last windowSec seconds' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
  },
} as const;

export interface LiveMetricsQuery {
  source?: string;
  metric?: string;
  windowSec: number;
  limit: number;
}

const liveMetricProperties = {
  source: { type: 'string' },
  metric: { type: 'string' },
  timestamp: { type: 'integer' },
  value: { type: 'number' },
  mean: { type: 'number' },
  std: { type: 'number' },
  zscore: { type: 'number' },
  anomalyScore: { type: 'number' },
  points: { type: 'integer', description: 'points of the series in the window' },
} as const;

export const liveMetricSchema = { $id: 'LiveMetric', type: 'object', required: Object.keys(liveMetricProperties), properties: liveMetricProperties } as const;

export interface LiveMetric {
  source: string;
  metric: string;
  timestamp: number;
  value: number;
  mean: number;
  std: number;
  zscore: number;
  anomalyScore: number;
  points: number;
}

export const liveMetricsRoute = {
  tags: ['metrics'],
  summary: 'Latest value and score of each series seen recently',
  querystring: liveMetricsQuery,
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: 'LiveMetric#' } } } },
    ...commonErrors,
  },
} as const;

// ---------------------------------------------------------------- GET /dashboard-stats

const countsBy = { type: 'object', additionalProperties: { type: 'integer' } } as const;

export const dashboardStats = {
  type: 'object',
  required: ['alerts', 'sla', 'anomalies', 'ingest', 'consumer', 'generatedAt'],
  properties: {
    alerts: {
      type: 'object',
      properties: { open: { type: 'integer' }, bySeverity: countsBy, byStatus: countsBy },
    },
    sla: {
      type: 'object',
      properties: {
        objectives: { type: 'integer' },
        violated: { type: 'integer' },
        minErrorBudgetRemaining: { type: ['number', 'null'] },
        meanCompliance: { type: ['number', 'null'] },
      },
    },
    anomalies: {
      type: 'object',
      properties: {
        lastHour: { type: 'integer' },
        perMinute: { type: 'number', description: 'anomalies per minute over the last hour' },
        anomalousPointShare: { type: 'number', description: 'share of points of the last minute with anomaly score >= 0.5' },
      },
    },
    ingest: {
      type: 'object',
      properties: { pointsLastMinute: { type: 'integer' }, pointsPerSecond: { type: 'number' }, series: { type: 'integer' } },
    },
    consumer: {
      type: 'object',
      properties: {
        groupId: { type: 'string' },
        state: { type: 'string' },
        members: { type: 'integer' },
        lag: { type: ['integer', 'null'] },
        error: { type: 'string' },
      },
    },
    generatedAt: { type: 'integer' },
  },
} as const;

export interface DashboardStats {
  alerts: { open: number; bySeverity: Record<string, number>; byStatus: Record<string, number> };
  sla: { objectives: number; violated: number; minErrorBudgetRemaining: number | null; meanCompliance: number | null };
  anomalies: { lastHour: number; perMinute: number; anomalousPointShare: number };
  ingest: { pointsLastMinute: number; pointsPerSecond: number; series: number };
  consumer: ConsumerStatus;
  generatedAt: number;
}

export interface ConsumerStatus {
  groupId: string;
  state: string;
  members: number;
  lag: number | null;
  error?: string;
}

export const dashboardStatsRoute = {
  tags: ['metrics'],
  summary: 'Counts for the dashboard overview',
  response: { 200: dashboardStats, ...commonErrors },
} as const;

// ---------------------------------------------------------------- GET /health

const check = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'warn', 'fail'] },
    latencyMs: { type: 'number' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

export const healthResponse = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'fail'] },
    checks: { type: 'object', additionalProperties: check },
  },
} as const;

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface HealthCheck {
  status: CheckStatus;
  latencyMs?: number;
  message?: string;
  details?: Record<string, unknown>;
}
export interface HealthResponse {
  status: 'ok' | 'degraded' | 'fail';
  checks: Record<string, HealthCheck>;
}

export const healthRoute = {
  tags: ['health'],
  summary: 'Kafka, ClickHouse, pipeline consumer group and worker pool, and the WebSocket gateway',
  description:
    "200 when nothing failed (status 'degraded' when a check only warns, e.g. the pipeline is not running or lags); 503 when Kafka or ClickHouse is unreachable, or a pipeline partition is stalled (an open vigil/pipeline.partition_stalled alert). The `gateway` check (its own /health at gateway.host:gateway.port) failing makes the API degraded, not 503: only live events stop.",
  response: { 200: healthResponse, 503: healthResponse },
} as const;

// ---------------------------------------------------------------- GET /client-config

export const clientConfigRoute = {
  tags: ['dashboard'],
  summary: 'Where the dashboard connects for live events',
  response: {
    200: {
      type: 'object',
      required: ['gatewayUrl', 'apiBase', 'authRequired'],
      properties: {
        gatewayUrl: { type: 'string' },
        apiBase: { type: 'string' },
        authRequired: { type: 'boolean' },
        gatewayAuthRequired: { type: 'boolean' },
        metricUnits: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: "units of the standard metrics ('' = a count), as alert messages use them; the dashboard shows values with them",
        },
      },
    },
  },
} as const;

export interface ClientConfig {
  gatewayUrl: string;
  apiBase: string;
  authRequired: boolean;
  gatewayAuthRequired: boolean;
  metricUnits: Record<string, string>;
}
