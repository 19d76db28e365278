/**
 * The cluster variant of the migrations (clickhouse.cluster set): every table of a migration file
 * becomes a replicated local table `<name>_local` on each server plus a Distributed table under
 * the name the code and docs/sql.md use, so every reader and writer is unchanged. Pure: the
 * runner (migrate.ts) sends what this returns.
 *
 * - `CREATE TABLE db.t (...) ENGINE = XMergeTree[(args)] ...` →
 *   `CREATE TABLE db.t_local ON CLUSTER c (...) ENGINE = ReplicatedXMergeTree('/clickhouse/tables/{shard}/db/t_local', '{replica}'[, args]) ...`
 *   and `CREATE TABLE db.t ON CLUSTER c AS db.t_local ENGINE = Distributed(c, db, t_local, <sharding key>)`.
 * - `CREATE MATERIALIZED VIEW db.v TO db.target AS SELECT ... FROM db.source` reads and writes
 *   the local tables: the view fires on the replica that took the insert, its output is a
 *   replicated part, so the other replica gets the rows by replication and not by running the
 *   view again (no double count).
 * - `ALTER TABLE db.t ...` alters `t_local` ON CLUSTER (replicated: once per shard) and then
 *   re-creates the Distributed table over the new columns: 18.16 refuses an ALTER ON CLUSTER on a
 *   table that is not replicated in a cluster whose shards are, and a Distributed table holds no
 *   data (the writers insert synchronously, insert_distributed_sync=1).
 * Anything else is refused: a new kind of statement needs its cluster form decided here.
 */
import { VigilError } from '../../core/errors.ts';
import { plainIdentifier } from './clickhouse.ts';

/**
 * How each table's rows are spread over the shards. Every version of a ReplacingMergeTree key
 * must land on one shard (FINAL and merges work per shard), and a Kafka partition's points all on
 * one shard so that one batch's points stay one atomic insert and its stored offsets a prefix
 * (the re-delivery skip asks the max offset of a partition). The rollups are only filled by their
 * views on the points' shard; their key is never used for an insert.
 */
export const SHARDING_KEYS: Readonly<Record<string, string>> = {
  schema_migrations: 'version',
  points: 'kafka_partition',
  series_state: 'kafka_partition',
  points_1m: 'cityHash64(source, metric)',
  points_1h: 'cityHash64(source, metric)',
  anomalies: 'cityHash64(source, metric)',
  alert_events: 'cityHash64(source, metric)',
  sla_snapshots: 'cityHash64(source, metric)',
  incident_events: 'cityHash64(incident_id)',
  incidents: 'cityHash64(incident_id)',
  notifications: 'cityHash64(notification_id)',
  notification_attempts: 'cityHash64(notification_id)',
  silences: 'cityHash64(id)',
};

export const localTable = (table: string) => `${table}_local`;

/** ZooKeeper path of a local table's replicas; `{shard}` / `{replica}` are each server's macros. */
export const replicaPath = (database: string, table: string) => `/clickhouse/tables/{shard}/${database}/${localTable(table)}`;

function shardingKey(table: string): string {
  const key = SHARDING_KEYS[table];
  if (!key) throw new VigilError(`table ${table} has no sharding key for the cluster`, { action: 'add it to SHARDING_KEYS in pipeline/storage/cluster-ddl.ts (all versions of a row key on one shard)' });
  return key;
}

export function distributedDdl(cluster: string, database: string, table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${database}.${table} ON CLUSTER ${cluster} AS ${database}.${localTable(table)} ENGINE = Distributed(${cluster}, ${database}, ${localTable(table)}, ${shardingKey(table)})`;
}

const CREATE_TABLE = /^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\.(\w+)\s*\(/i;
const CREATE_VIEW = /^CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+(\w+)\.(\w+)\s+TO\s+(\w+)\.(\w+)\s+AS\s/i;
const ALTER_TABLE = /^ALTER\s+TABLE\s+(\w+)\.(\w+)\s+/i;
// The engine clause of our files: `ENGINE = ReplacingMergeTree`, `... MergeTree(version)`.
const ENGINE = /\bENGINE\s*=\s*(Replacing|Aggregating|Summing|Collapsing)?MergeTree\b(\s*\(([^)]*)\))?/i;

function renderCreateTable(statement: string, cluster: string, database: string, table: string): string[] {
  const engine = ENGINE.exec(statement);
  if (!engine) throw new VigilError(`CREATE TABLE ${table}: no *MergeTree engine the cluster form knows`, { action: 'use a MergeTree-family engine, or teach pipeline/storage/cluster-ddl.ts the new one' });
  const args = [`'${replicaPath(database, table)}'`, `'{replica}'`, ...(engine[3]?.trim() ? [engine[3].trim()] : [])];
  const local = statement
    .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS ${database}.${localTable(table)} ON CLUSTER ${cluster} (`)
    .replace(ENGINE, `ENGINE = Replicated${engine[1] ?? ''}MergeTree(${args.join(', ')})`);
  return [local, distributedDdl(cluster, database, table)];
}

function renderView(statement: string, cluster: string, database: string, view: string, target: string): string[] {
  const from = new RegExp(`\\bFROM\\s+${database}\\.(\\w+)`, 'gi');
  const sources = [...statement.matchAll(from)];
  if (sources.length !== 1) throw new VigilError(`materialized view ${view}: expected one FROM ${database}.<table>, found ${sources.length}`, { action: 'keep a view to one source table, or extend pipeline/storage/cluster-ddl.ts' });
  return [
    statement
      .replace(CREATE_VIEW, `CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.${view} ON CLUSTER ${cluster} TO ${database}.${localTable(target)} AS `)
      .replace(from, (_m, source: string) => `FROM ${database}.${localTable(source)}`),
  ];
}

function renderAlter(statement: string, cluster: string, database: string, table: string): string[] {
  if (!/^\s*ALTER\s+TABLE\s+\w+\.\w+\s+(ADD|DROP|MODIFY)\s+COLUMN\b/i.test(statement)) {
    throw new VigilError(`ALTER TABLE ${table}: only ADD / DROP / MODIFY COLUMN have a cluster form`, { action: 'extend pipeline/storage/cluster-ddl.ts for this ALTER' });
  }
  return [
    statement.replace(ALTER_TABLE, `ALTER TABLE ${database}.${localTable(table)} ON CLUSTER ${cluster} `),
    `DROP TABLE IF EXISTS ${database}.${table} ON CLUSTER ${cluster}`,
    distributedDdl(cluster, database, table),
  ];
}

/** The cluster statements for one single-server migration statement (in order). */
export function clusterStatements(statement: string, cluster: string, database: string): string[] {
  plainIdentifier(cluster);
  plainIdentifier(database);
  const text = statement.trim();
  const named = /^(?:CREATE\s+(?:TABLE|MATERIALIZED\s+VIEW)\s+IF\s+NOT\s+EXISTS|ALTER\s+TABLE)\s+(\w+)\./i.exec(text);
  if (named && named[1] !== database) throw new VigilError(`migration statement names database ${named[1]}, not ${database}: ${text.slice(0, 120)}`, { action: 'write {db}. before every table name' });
  const view = CREATE_VIEW.exec(text);
  if (view) return renderView(text, cluster, database, view[2], view[4]);
  const create = CREATE_TABLE.exec(text);
  if (create) return renderCreateTable(text, cluster, database, create[2]);
  const alter = ALTER_TABLE.exec(text);
  if (alter) return renderAlter(text, cluster, database, alter[2]);
  throw new VigilError(`migration statement has no cluster form: ${text.slice(0, 120)}`, { action: 'write it as CREATE TABLE / CREATE MATERIALIZED VIEW / ALTER TABLE ... COLUMN, or extend pipeline/storage/cluster-ddl.ts' });
}

/** A statement of the database itself, run before any table. */
export const createDatabaseDdl = (database: string, cluster: string | null) =>
  `CREATE DATABASE IF NOT EXISTS ${plainIdentifier(database)}${cluster === null ? '' : ` ON CLUSTER ${plainIdentifier(cluster)}`}`;
