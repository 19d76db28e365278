/**
 * JSON input (HTTP ingest) → MetricPoint, with every problem of the item listed. Shares the
 * semantic checks with the Kafka decoder, so both paths accept exactly the same points.
 */
import type { MetricPoint } from '../../schemas/records.ts';
import { DEFAULT_INGEST_LIMITS, firstPointProblem, pointProblems, type IngestLimits, type PointProblem } from './checks.ts';
import type { DlqReason } from './reasons.ts';

export type ValidateMetricResult =
  | { ok: true; point: MetricPoint }
  /** `errors[i]` is `field: message`; `reasons[i]` is its stable code (same as the DLQ's). */
  | { ok: false; errors: string[]; reasons: DlqReason[] };

const FIELDS = new Set(['source', 'metric', 'value', 'timestamp', 'tags']);

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isComplete(limits: Partial<IngestLimits>): limits is IngestLimits {
  return typeof limits.nowMs === 'number' && typeof limits.maxTagCount === 'number' && typeof limits.maxTagBytes === 'number' && typeof limits.maxFutureSkewMs === 'number';
}

export function validateMetricPoint(input: unknown, limits: Partial<IngestLimits> = {}): ValidateMetricResult {
  // Callers validating many points pass complete limits (one "now" per batch): no copy per point.
  const full: IngestLimits = isComplete(limits) ? limits : { ...DEFAULT_INGEST_LIMITS, nowMs: Date.now(), ...limits };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [`(item): must be an object, got ${kindOf(input)}`], reasons: ['decode-error'] };
  }
  const item = input as Record<string, unknown>;
  const problems: PointProblem[] = [];
  for (const key of Object.keys(item)) {
    if (!FIELDS.has(key)) problems.push({ reason: 'decode-error', field: key.slice(0, 64), message: 'is not a MetricPoint field' });
  }
  const { source, metric, value, timestamp } = item;
  const tags = Object.hasOwn(item, 'tags') ? item.tags : {};
  if (typeof source !== 'string') problems.push({ reason: 'invalid-source', field: 'source', message: `must be a string, got ${kindOf(source)}` });
  if (typeof metric !== 'string') problems.push({ reason: 'invalid-metric', field: 'metric', message: `must be a string, got ${kindOf(metric)}` });
  if (typeof value !== 'number') problems.push({ reason: 'invalid-value', field: 'value', message: `must be a number, got ${kindOf(value)}` });
  if (typeof timestamp !== 'number') {
    problems.push({ reason: 'invalid-timestamp', field: 'timestamp', message: `must be epoch milliseconds (a number), got ${kindOf(timestamp)}` });
  }
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    problems.push({ reason: 'invalid-tags', field: 'tags', message: `must be an object of strings, got ${kindOf(tags)}` });
  }
  // Semantic checks on the fields whose types are right; placeholders stand in for the rest
  // and are skipped below so that each field reports at most one problem.
  const typed: MetricPoint = {
    source: typeof source === 'string' ? source : 'x',
    metric: typeof metric === 'string' ? metric : 'x',
    value: typeof value === 'number' ? value : 0,
    timestamp: typeof timestamp === 'number' ? timestamp : full.nowMs,
    tags: typeof tags === 'object' && tags !== null && !Array.isArray(tags) ? (tags as Record<string, string>) : {},
  };
  // The common case, a valid point, costs one allocation-free pass; the full list only when needed.
  if (problems.length > 0 || firstPointProblem(typed, full) !== null) {
    for (const p of pointProblems(typed, full, true)) {
      if (!problems.some((q) => q.field === p.field || (p.field.startsWith('tags') && q.field === 'tags'))) problems.push(p);
    }
  }
  if (problems.length > 0) {
    return { ok: false, errors: problems.map((p) => `${p.field}: ${p.message}`), reasons: problems.map((p) => p.reason) };
  }
  // A fresh object: callers never share structure with the request body.
  const cleanTags: Record<string, string> = {};
  for (const key of Object.keys(typed.tags)) cleanTags[key] = typed.tags[key];
  return { ok: true, point: { source: typed.source, metric: typed.metric, value: typed.value, timestamp: typed.timestamp, tags: cleanTags } };
}
