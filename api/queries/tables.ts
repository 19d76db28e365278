/** Fully qualified table names from the configured database (an identifier, checked by ident()). */
import { ident, sql, type Sql } from '../sql.ts';

export interface Tables {
  points: Sql;
  /** Per-minute rollup of points (aggregate states). */
  points1m: Sql;
  anomalies: Sql;
  alertEvents: Sql;
  slaSnapshots: Sql;
  /** Latest state per incident (ReplacingMergeTree by version, fed by a view). */
  incidents: Sql;
  /** Every incident transition: the timelines. */
  incidentEvents: Sql;
  /** The notifier's log (migration 004). */
  notifications: Sql;
  /** Every delivery attempt (migration 007). */
  notificationAttempts: Sql;
}

export function tablesIn(database: string): Tables {
  const db = ident(database);
  return {
    points: sql`${db}.points`,
    points1m: sql`${db}.points_1m`,
    anomalies: sql`${db}.anomalies`,
    alertEvents: sql`${db}.alert_events`,
    slaSnapshots: sql`${db}.sla_snapshots`,
    incidents: sql`${db}.incidents`,
    incidentEvents: sql`${db}.incident_events`,
    notifications: sql`${db}.notifications`,
    notificationAttempts: sql`${db}.notification_attempts`,
  };
}

/** ClickHouse's JSON output quotes 64-bit integers; every numeric column goes through this. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
