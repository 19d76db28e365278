/**
 * SLA status: the latest snapshot per (sla_id, source, metric) — argMax over timestamp_ms —
 * plus how many snapshots of the last 24 h were in violation.
 */
import { sql, where, type Sql } from '../sql.ts';
import { num, type Tables } from './tables.ts';
import type { SlaStatus } from '../../schemas/http/status.ts';

export interface SlaFilter {
  source?: string;
  metric?: string;
  sla?: string;
  violated?: boolean;
}

/** Snapshots older than the longest SLA window (31 days) describe nothing current. */
export const SLA_LOOKBACK_MS = 31 * 86_400_000;
const DAY_MS = 86_400_000;

export interface SlaStatusRow {
  sla_id: string;
  source: string;
  metric: string;
  s_objective: number;
  s_window_ms: number | string;
  s_compliance: number;
  s_good: number | string;
  s_total: number | string;
  s_budget: number;
  s_burn_fast: number;
  s_burn_slow: number;
  s_violated: number | string;
  s_violations_24h: number | string;
  s_updated_ms: number | string;
}

export function slaStatusQuery(tables: Tables, f: SlaFilter, nowMs: number, limit = 10_000): Sql {
  const pre: Sql[] = [sql`timestamp_ms >= ${nowMs - SLA_LOOKBACK_MS}`];
  if (f.sla !== undefined) pre.push(sql`sla_id = ${f.sla}`);
  if (f.source !== undefined) pre.push(sql`source = ${f.source}`);
  if (f.metric !== undefined) pre.push(sql`metric = ${f.metric}`);
  const post: Sql[] = [];
  if (f.violated !== undefined) post.push(sql`s_violated = ${f.violated ? 1 : 0}`);
  return sql`
    SELECT
      sla_id, source, metric,
      argMax(objective, timestamp_ms) AS s_objective,
      argMax(window_ms, timestamp_ms) AS s_window_ms,
      argMax(compliance, timestamp_ms) AS s_compliance,
      argMax(good, timestamp_ms) AS s_good,
      argMax(total, timestamp_ms) AS s_total,
      argMax(error_budget_remaining, timestamp_ms) AS s_budget,
      argMax(burn_rate_fast, timestamp_ms) AS s_burn_fast,
      argMax(burn_rate_slow, timestamp_ms) AS s_burn_slow,
      argMax(violated, timestamp_ms) AS s_violated,
      countIf(violated = 1 AND timestamp_ms >= ${nowMs - DAY_MS}) AS s_violations_24h,
      max(timestamp_ms) AS s_updated_ms
    FROM ${tables.slaSnapshots}
    ${where(pre)}
    GROUP BY sla_id, source, metric
    ${where(post, 'HAVING')}
    ORDER BY sla_id, source, metric
    LIMIT ${limit}`;
}

/** The HTTP SlaStatus without the definition's name (added by the route from the config view). */
export type SlaStatusFields = Omit<SlaStatus, 'name'>;

export function slaStatusFromRow(r: SlaStatusRow): SlaStatusFields {
  return {
    slaId: r.sla_id,
    source: r.source,
    metric: r.metric,
    objective: num(r.s_objective),
    windowMs: num(r.s_window_ms),
    compliance: num(r.s_compliance),
    good: num(r.s_good),
    total: num(r.s_total),
    errorBudgetRemaining: num(r.s_budget),
    burnRateFast: num(r.s_burn_fast),
    burnRateSlow: num(r.s_burn_slow),
    violated: num(r.s_violated) === 1,
    violations24h: num(r.s_violations_24h),
    updatedAt: num(r.s_updated_ms),
  };
}
