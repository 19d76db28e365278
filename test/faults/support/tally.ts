/**
 * What a fault run stored, compared with what was produced and with the uninterrupted reference
 * run of the same load: the figures of one row of the fault table. Points are counted as the
 * docs/sql.md queries read them (FINAL); a point is identified by series and timestamp (each is
 * unique in the load), so a copy stored under another Kafka offset counts as a duplicate.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { query } from '../../integration/pipeline/scenario.ts';
import { STALL_ALERT_SOURCE } from '../../../pipeline/runtime/stall-monitor.ts';

export interface Derived {
  /** One JSON row per anomaly (highest version), in id order. */
  anomalies: string[];
  /** One JSON row per alert transition of the load's series (the pipeline's own stall alerts apart). */
  transitions: string[];
  /** The pipeline's stall alerts (source "vigil"): transitions the fault itself caused. */
  stallTransitions: number;
}

export async function derived(ch: ClickHouseClient, db: string): Promise<Derived> {
  const anomalies = await query<Record<string, unknown>>(
    ch,
    `SELECT id, source, metric, type, version, start_timestamp_ms, detected_timestamp_ms, confidence, score FROM ${db}.anomalies FINAL ORDER BY id`,
  );
  const transitions = await query<Record<string, unknown>>(
    ch,
    `SELECT event_id, alert_id, source, metric, rule_id, severity, status, version, timestamp_ms, reason FROM ${db}.alert_events FINAL WHERE source != '${STALL_ALERT_SOURCE}' ORDER BY alert_id, version`,
  );
  const [stall] = await query<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.alert_events FINAL WHERE source = '${STALL_ALERT_SOURCE}'`);
  return { anomalies: anomalies.map((r) => JSON.stringify(r)), transitions: transitions.map((r) => JSON.stringify(r)), stallTransitions: Number(stall.n) };
}

export interface PointTally {
  produced: number;
  /** Distinct produced points found. */
  stored: number;
  /** Rows beyond one per point. */
  duplicated: number;
  lost: number;
}

export async function pointTally(ch: ClickHouseClient, db: string, produced: number): Promise<PointTally> {
  const [r] = await query<{ rows: string; distinct: string }>(
    ch,
    `SELECT count() AS rows, uniqExact(source, metric, timestamp_ms) AS distinct FROM ${db}.points FINAL`,
  );
  const rows = Number(r.rows);
  const distinct = Number(r.distinct);
  return { produced, stored: distinct, duplicated: rows - distinct, lost: produced - distinct };
}

/** How many of `expected` rows appear in `seen` exactly once, and how many seen rows are extra (a second copy, or not expected). */
export function matchRows(expected: string[], seen: string[]): { seen: number; extra: number } {
  const counts = new Map<string, number>();
  for (const row of seen) counts.set(row, (counts.get(row) ?? 0) + 1);
  let matched = 0;
  for (const row of expected) {
    if ((counts.get(row) ?? 0) >= 1) {
      matched++;
      counts.set(row, counts.get(row)! - 1);
    }
  }
  let extra = 0;
  for (const n of counts.values()) extra += n;
  return { seen: matched, extra };
}
