/**
 * Retention by dropping whole monthly partitions. ClickHouse 18.16 has no TTL, and a DELETE
 * mutation rewrites every part it touches; `ALTER TABLE … DROP PARTITION` removes a month's
 * files at once. Every time-partitioned table of schemas/clickhouse is listed here with its
 * partition key (a test holds the list to the migrations); the pure part decides which
 * partitions are old enough, the adapter lists them from system.parts and drops them.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ident, sql } from '../../api/sql.ts';
import { VigilError } from '../../core/errors.ts';
import { localTable } from './cluster-ddl.ts';

export interface RetentionTable {
  /** The DateTime column of `PARTITION BY toYYYYMM(<column>)`. */
  partitionColumn: string;
  /** Months kept by default (see `partitionsToDrop` for what "kept" means). */
  months: number;
  why: string;
}

/**
 * Defaults: raw points are the bulk (one row per point) and are needed only for recent charts
 * and re-scoring; the rollups answer long ranges; alert, incident and notification history is
 * kept a year and a month so that "same month last year" still exists.
 */
export const RETENTION_TABLES = {
  points: { partitionColumn: 'timestamp', months: 3, why: 'one row per point: the bulk of the data' },
  points_1m: { partitionColumn: 'minute', months: 13, why: 'per-minute rollup: charts of days to months' },
  points_1h: { partitionColumn: 'hour', months: 37, why: 'per-hour rollup: charts of months to years' },
  sla_snapshots: { partitionColumn: 'timestamp', months: 13, why: 'SLA history' },
  anomalies: { partitionColumn: 'start_timestamp', months: 13, why: 'anomaly history' },
  alert_events: { partitionColumn: 'opened_at', months: 13, why: 'alert transitions, by the month the alert opened' },
  incident_events: { partitionColumn: 'opened_at', months: 13, why: 'incident transitions, by the month the incident opened' },
  incidents: { partitionColumn: 'opened_at', months: 13, why: 'latest incident state, by the month it opened' },
  notifications: { partitionColumn: 'created_at', months: 13, why: 'notification history' },
  notification_attempts: { partitionColumn: 'at', months: 13, why: 'delivery attempts' },
} as const satisfies Record<string, RetentionTable>;

export type RetentionTableName = keyof typeof RETENTION_TABLES;
export type RetentionPolicy = Record<RetentionTableName, number>;

export const MAX_MONTHS = 1200;

export function defaultPolicy(): RetentionPolicy {
  return Object.fromEntries(Object.entries(RETENTION_TABLES).map(([t, s]) => [t, s.months])) as RetentionPolicy;
}

/**
 * `points=3,alert_events=24` over the defaults. Unknown tables, non-integers and values
 * outside 1..1200 are refused with the allowed names.
 */
export function parsePolicy(spec: string, base: RetentionPolicy = defaultPolicy()): RetentionPolicy {
  const policy = { ...base };
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9_]+)=(\d{1,4})$/.exec(item);
    if (!m) throw new VigilError(`retention entry ${JSON.stringify(item.slice(0, 60))} is not <table>=<months>`, { action: 'write e.g. points=3,alert_events=24' });
    const [, table, months] = m;
    if (!Object.hasOwn(RETENTION_TABLES, table)) {
      throw new VigilError(`no time-partitioned table ${JSON.stringify(table)}`, { action: `use one of ${Object.keys(RETENTION_TABLES).join(', ')}` });
    }
    const n = Number(months);
    if (n < 1 || n > MAX_MONTHS) throw new VigilError(`${table}=${months}: months must be 1..${MAX_MONTHS}`, { action: 'give a whole number of months from 1 to 1200' });
    policy[table as RetentionTableName] = n;
  }
  return policy;
}

/** YYYYMM as a number, months counted back from `now` (UTC). */
export function monthsBefore(now: Date, months: number): number {
  const index = now.getUTCFullYear() * 12 + now.getUTCMonth() - months;
  return Math.floor(index / 12) * 100 + (index % 12) + 1;
}

export interface PartitionInfo {
  table: string;
  /** system.parts `partition`: the toYYYYMM value, e.g. '202611'. */
  partition: string;
  rows: number;
  bytes: number;
}

/**
 * The partitions to drop: those of a listed table whose month is before (now − months), so
 * `months` full months before the current one are always kept (now = 2026-12-07, points=3:
 * 202609–202612 stay, 202608 and older go). Tables not in the policy and partitions that are
 * not a YYYYMM value (e.g. `tuple()`) are never dropped.
 */
export function partitionsToDrop(parts: readonly PartitionInfo[], policy: RetentionPolicy, now: Date): PartitionInfo[] {
  return parts
    .filter((p) => Object.hasOwn(policy, p.table) && /^\d{6}$/.test(p.partition))
    .filter((p) => Number(p.partition) < monthsBefore(now, policy[p.table as RetentionTableName]))
    .sort((a, b) => a.table.localeCompare(b.table) || a.partition.localeCompare(b.partition));
}

/**
 * Active parts of the retention tables, summed per partition. On a cluster (clickhouse.cluster)
 * the parts are those of the `<table>_local` tables on one replica of every shard (the `cluster`
 * table function), reported under the table's own name: rows and bytes are the cluster's.
 */
export async function listPartitions(client: ClickHouseClient, database: string, cluster: string | null = null): Promise<PartitionInfo[]> {
  const names = Object.keys(RETENTION_TABLES);
  const query =
    cluster === null
      ? sql`SELECT table, partition, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts
    WHERE database = ${database} AND active AND table IN ${names}
    GROUP BY table, partition ORDER BY table, partition`
      : sql`SELECT table, partition, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM cluster(${ident(cluster)}, system, parts)
    WHERE database = ${database} AND active AND table IN ${names.map(localTable)}
    GROUP BY table, partition ORDER BY table, partition`;
  const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
  const rows = await rs.json<{ table: string; partition: string; rows: string | number; bytes: string | number }>();
  const name = (table: string) => (cluster === null ? table : table.replace(/_local$/, ''));
  return rows.map((r) => ({ table: name(r.table), partition: r.partition, rows: Number(r.rows), bytes: Number(r.bytes) }));
}

/**
 * `ALTER TABLE db.table DROP PARTITION YYYYMM`: identifiers from the code, the value checked
 * digits. On a cluster the local table's, ON CLUSTER (replicated: once per shard, the other
 * replica follows).
 */
export function dropStatement(database: string, p: Pick<PartitionInfo, 'table' | 'partition'>, cluster: string | null = null): string {
  if (!Object.hasOwn(RETENTION_TABLES, p.table) || !/^\d{6}$/.test(p.partition)) throw new VigilError(`refusing to drop ${p.table} partition ${p.partition}`, { action: 'only YYYYMM partitions of the retention tables are dropped' });
  if (cluster !== null) return sql`ALTER TABLE ${ident(database)}.${ident(localTable(p.table))} ON CLUSTER ${ident(cluster)} DROP PARTITION ${Number(p.partition)}`.text;
  return sql`ALTER TABLE ${ident(database)}.${ident(p.table)} DROP PARTITION ${Number(p.partition)}`.text;
}

export interface RetentionResult {
  dropped: PartitionInfo[];
  kept: number;
}

/**
 * Drops what `partitionsToDrop` selects (nothing with dryRun). A refusal by the server (18.16
 * refuses partitions above max_partition_size_to_drop, 50 GB by default) stops the run with the
 * partition named and the way around it.
 */
export async function applyRetention(
  client: ClickHouseClient,
  database: string,
  policy: RetentionPolicy,
  now: Date,
  options: { dryRun?: boolean; cluster?: string | null } = {},
): Promise<RetentionResult> {
  const cluster = options.cluster ?? null;
  // A misspelt database would otherwise be a run that finds nothing to drop, every day.
  const exists = await client.query({ query: sql`SELECT name FROM system.databases WHERE name = ${database}`.text, format: 'JSONEachRow' });
  if ((await exists.json()).length === 0) {
    throw new VigilError(`ClickHouse has no database ${database}`, { action: 'set VIGIL_CLICKHOUSE_DATABASE (clickhouse.database) to the database Vigil writes' });
  }
  const parts = await listPartitions(client, database, cluster);
  const drop = partitionsToDrop(parts, policy, now);
  if (!options.dryRun) {
    for (const p of drop) {
      try {
        await client.command({ query: dropStatement(database, p, cluster) });
      } catch (cause) {
        throw new VigilError(`ClickHouse refused to drop ${database}.${p.table} partition ${p.partition} (${p.bytes} bytes)`, {
          cause,
          action:
            'if the message names max_partition_size_to_drop, create the flag file <clickhouse data path>/flags/force_drop_table (writable by the server user) and rerun; it is removed after one drop',
        });
      }
    }
  }
  return { dropped: drop, kept: parts.filter((p) => Object.hasOwn(RETENTION_TABLES, p.table)).length - drop.length };
}
