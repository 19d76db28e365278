/**
 * The HTTP JSON schemas against the TS types the handlers return: every field of a typed
 * sample must be declared in its response schema (fastify's serializer silently drops
 * undeclared fields), with the right JSON type. Request schemas are checked with hostile
 * documents under the same ajv options the API uses for bodies.
 */
import AjvModule, { type Options as AjvOptions, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { BODY_VALIDATOR_OPTIONS } from '../../../api/plugins/validation.ts';
import { DEFAULT_RULES } from '../../../pipeline/alerts/default-rules.ts';
import { DEFAULT_SLAS } from '../../../pipeline/sla/default-slas.ts';
import type { AnomalyEvent } from '../../../schemas/records.ts';
import {
  alertCommandBody,
  alertSchema,
  alertEventSchema,
  anomalySchema,
  dashboardStats,
  ingestBody,
  ingestResult,
  liveMetricSchema,
  ruleBody,
  ruleSchema,
  slaBody,
  slaDefinitionSchema,
  slaStatusSchema,
  type Alert,
  type AlertTransition,
  type DashboardStats,
  type IngestResult,
  type LiveMetric,
  type SlaStatus,
} from '../../../schemas/http/index.ts';

const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (opts: AjvOptions) => { compile(s: object): ValidateFunction };

/** A copy of a response schema where every declared object is closed: undeclared fields fail. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$id') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, closed(s)])) : closed(v);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, removeAdditional: false, useDefaults: true });
const fits = (schema: object, sample: unknown) => {
  const validate = ajv.compile(closed(schema) as object);
  const ok = validate(sample);
  return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
};

const alert: Alert = {
  alertId: 'a', fingerprint: 'f', source: 's', metric: 'm', ruleId: 'r', kind: 'threshold', severity: 'high', status: 'firing', version: 1,
  openedAt: 1, updatedAt: 2, value: 1.5, threshold: 1, message: 'x', actor: 'pipeline', reason: 'y', tags: { team: 'pay' },
};
const transition: AlertTransition = { eventId: 'e', version: 1, status: 'firing', severity: 'low', timestamp: 1, value: 2, threshold: 3, message: 'm', actor: 'a', reason: 'r' };
const anomaly: AnomalyEvent = {
  id: 'n', source: 's', metric: 'm', type: 'spike', version: 1, startTimestamp: 1, detectedTimestamp: 2, value: 3, expected: 1, zscore: 4, score: 0.5, confidence: 0.6, pointCount: 3,
};
const slaStatus: SlaStatus = {
  slaId: 'x', name: 'n', source: 's', metric: 'm', objective: 0.95, windowMs: 1000, compliance: 0.9, good: 9, total: 10, errorBudgetRemaining: -1,
  burnRateFast: 2, burnRateSlow: 1, violated: true, violations24h: 3, updatedAt: 5,
};
const live: LiveMetric = { source: 's', metric: 'm', timestamp: 1, value: 2, mean: 1, std: 0.5, zscore: 2, anomalyScore: 0.1, points: 4 };
const stats: DashboardStats = {
  alerts: { open: 1, bySeverity: { high: 1 }, byStatus: { firing: 1 } },
  sla: { objectives: 1, violated: 0, minErrorBudgetRemaining: null, meanCompliance: 0.99 },
  anomalies: { lastHour: 1, perMinute: 1 / 60, anomalousPointShare: 0 },
  ingest: { pointsLastMinute: 60, pointsPerSecond: 1, series: 1 },
  consumer: { groupId: 'g', state: 'Stable', members: 1, lag: 0 },
  generatedAt: 1,
};
const ingest: IngestResult = { accepted: 1, rejected: 1, errors: [{ index: 1, reasons: ['value: bad'] }] };

describe('response schemas declare every field of their TS type', () => {
  it.each([
    ['Alert', alertSchema, alert],
    ['AlertTransition', alertEventSchema, transition],
    ['Anomaly', anomalySchema, anomaly],
    ['SlaStatus', slaStatusSchema, slaStatus],
    ['LiveMetric', liveMetricSchema, live],
    ['DashboardStats', dashboardStats, stats],
    ['IngestResult', ingestResult, ingest],
  ] as const)('%s', (_name, schema, sample) => {
    expect(fits(schema, sample)).toEqual([]);
  });

  it('every default rule and SLA fits the definition schemas', () => {
    for (const rule of DEFAULT_RULES) expect(fits(ruleSchema, { ...rule, isDefault: true }), rule.id).toEqual([]);
    for (const sla of DEFAULT_SLAS) expect(fits(slaDefinitionSchema, { ...sla, isDefault: true }), sla.id).toEqual([]);
  });

  it('the check can fail: an undeclared field or a wrong type is reported', () => {
    expect(fits(alertSchema, { ...alert, secret: 1 })).not.toEqual([]);
    expect(fits(alertSchema, { ...alert, version: 'one' })).not.toEqual([]);
  });
});

describe('request body schemas', () => {
  const bodyAjv = new Ajv(BODY_VALIDATOR_OPTIONS);
  const accepts = (schema: object, doc: unknown) => bodyAjv.compile(schema)(doc);

  it('every default definition is a valid PUT body (so GET → PUT round-trips)', () => {
    for (const rule of DEFAULT_RULES) expect(accepts(ruleBody, JSON.parse(JSON.stringify(rule))), rule.id).toBe(true);
    for (const sla of DEFAULT_SLAS) expect(accepts(slaBody, JSON.parse(JSON.stringify(sla))), sla.id).toBe(true);
  });

  it.each([
    ['unknown field', ruleBody, { kind: 'threshold', __proto__x: 1 }],
    ['string number', ruleBody, { kind: 'threshold', forMs: '60000' }],
    ['bad kind', ruleBody, { kind: 'drop table' }],
    ['bad severity', ruleBody, { kind: 'anomaly', severity: "critical' OR 1=1" }],
    ['control chars in metric', ruleBody, { kind: 'anomaly', metric: 'a\u0000b' }],
    ['objective 1', slaBody, { objective: 1 }],
    ['comment number', alertCommandBody, { comment: 5 }],
    ['comment extra', alertCommandBody, { comment: 'x', by: 'y' }],
    ['points not array', ingestBody, { points: 'all' }],
    ['too many points', ingestBody, { points: Array.from({ length: 10_001 }, () => ({})) }],
  ] as const)('rejects %s', (_name, schema, doc) => {
    expect(accepts(schema, doc)).toBe(false);
  });

  it('accepts a null command body (no comment)', () => {
    expect(accepts(alertCommandBody, null)).toBe(true);
    expect(accepts(alertCommandBody, { comment: 'multi\nline\tok' })).toBe(true);
  });
});
