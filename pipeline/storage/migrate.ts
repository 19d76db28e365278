/**
 * Applies schemas/clickhouse/NNN_name.sql in version order, once each, recording them in
 * {db}.schema_migrations.
 *
 * File format: statements end at a line ending with `;`; full-line `--` comments are dropped;
 * `{db}` is replaced by the (identifier-validated) database name. ClickHouse has no
 * transactional DDL, so a file that fails halfway is re-run from its first statement next
 * time: DDL files must be idempotent (CREATE ... IF NOT EXISTS).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { createLogger, type Logger } from '../../core/logger.ts';
import { createClickHouse, isLoginRefused, loginRefusedError, plainIdentifier, type ClickHouseClient } from './clickhouse.ts';
import { clusterStatements, createDatabaseDdl } from './cluster-ddl.ts';

export const defaultMigrationsDir = fileURLToPath(new URL('../../schemas/clickhouse/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  file: string;
  statements: string[];
}

export interface MigrateOptions {
  /** Folder of NNN_name.sql files; defaults to schemas/clickhouse. */
  dir?: string;
  logger?: Logger;
}

export interface MigrateResult {
  database: string;
  applied: Migration[];
  alreadyApplied: number[];
}

/** Splits a migration file into statements (pure; exported for tests). */
export function splitStatements(sql: string, database: string): string[] {
  const db = plainIdentifier(database);
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of sql.split(/\r?\n/)) {
    if (/^\s*--/.test(line)) continue;
    current.push(line);
    if (/;\s*$/.test(line)) {
      const text = current.join('\n').replace(/;\s*$/, '').trim();
      if (text) statements.push(text.replaceAll('{db}', db));
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest) statements.push(rest.replaceAll('{db}', db));
  return statements;
}

/**
 * 18.16 knows no `ADD COLUMN IF NOT EXISTS`: an ADD COLUMN statement that ran before (the
 * process died before its schema_migrations row) fails with code 44 "already exists". A single
 * ALTER is applied whole or not at all, so that error means this statement is done.
 */
export function isAddColumnRerun(statement: string, cause: unknown): boolean {
  if (!/^\s*ALTER\s+TABLE\b/i.test(statement) || !/\bADD\s+COLUMN\b/i.test(statement) || /\b(DROP|MODIFY)\s+COLUMN\b/i.test(statement)) return false;
  const message = cause instanceof Error ? cause.message : String(cause);
  return /Code: 44\b|column with this name already exists/i.test(message) || (cause as { code?: unknown })?.code === '44';
}

const FILE_PATTERN = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/**
 * Reads and orders the migration files of `dir` (pure apart from reading the folder). With a
 * cluster, each statement is replaced by its cluster form (cluster-ddl.ts).
 */
export function loadMigrations(dir: string, database: string, cluster: string | null = null): Migration[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  } catch (cause) {
    throw new VigilError(`cannot read migrations folder ${dir}`, { cause, action: 'check the path' });
  }
  const migrations: Migration[] = [];
  const seen = new Map<number, string>();
  for (const file of files) {
    const m = FILE_PATTERN.exec(file);
    if (!m) {
      throw new VigilError(`migration file ${file} is not named NNN_name.sql`, { action: `rename it in ${dir}` });
    }
    const version = Number(m[1]);
    const clash = seen.get(version);
    if (clash) throw new VigilError(`migrations ${clash} and ${file} have the same version ${version}`, { action: 'renumber one of them' });
    seen.set(version, file);
    const single = splitStatements(readFileSync(path.join(dir, file), 'utf8'), database);
    let statements = single;
    try {
      if (cluster !== null) statements = single.flatMap((s) => clusterStatements(s, cluster, database));
    } catch (cause) {
      throw new VigilError(`migration ${file} has no cluster form`, { cause, action: (cause as VigilError).action ?? 'see pipeline/storage/cluster-ddl.ts' });
    }
    migrations.push({ version, name: m[2], file, statements });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

async function appliedVersions(client: ClickHouseClient, db: string): Promise<Set<number>> {
  const rs = await client.query({ query: `SELECT DISTINCT version FROM ${db}.schema_migrations`, format: 'JSONEachRow' });
  const rows = await rs.json<{ version: number | string }>();
  return new Set(rows.map((r) => Number(r.version)));
}

/**
 * Creates config.clickhouse.database if missing and applies the migrations not yet recorded.
 * Second argument: a logger, or { dir, logger }.
 */
export async function migrate(config: Pick<VigilConfig, 'clickhouse' | 'logLevel'>, loggerOrOptions?: Logger | MigrateOptions): Promise<MigrateResult> {
  const options: MigrateOptions =
    loggerOrOptions && typeof (loggerOrOptions as Logger).info === 'function' ? { logger: loggerOrOptions as Logger } : ((loggerOrOptions as MigrateOptions) ?? {});
  const logger = (options.logger ?? createLogger(config.logLevel)).child({ component: 'migrate' });
  const database = config.clickhouse.database;
  const db = plainIdentifier(database);
  const cluster = config.clickhouse.cluster;
  const migrations = loadMigrations(options.dir ?? defaultMigrationsDir, database, cluster);
  const client = createClickHouse(config, { database: null, logger });
  try {
    try {
      await client.command({ query: createDatabaseDdl(db, cluster) });
    } catch (cause) {
      if (isLoginRefused(cause)) throw loginRefusedError(config, false, cause);
      if (cluster !== null && /Code: 170\b|cluster .* not found|ZooKeeper|distributed_ddl/i.test(String((cause as Error)?.message ?? cause))) {
        throw new VigilError(`ClickHouse at ${config.clickhouse.url} cannot run ON CLUSTER ${cluster} (clickhouse.cluster)`, {
          cause,
          action: `define cluster ${cluster} in remote_servers of every server, with <zookeeper>, <distributed_ddl> and the {shard}/{replica} macros (docs/operations.md "Running on a ClickHouse cluster"), or unset clickhouse.cluster for one server`,
        });
      }
      throw new VigilError(`cannot create ClickHouse database ${database} at ${config.clickhouse.url}`, {
        cause,
        action: "start the local stack with 'npm run stack:up' or fix VIGIL_CLICKHOUSE_URL / credentials",
      });
    }
    const journal = `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime) ENGINE = ReplacingMergeTree ORDER BY version`;
    for (const query of cluster !== null ? clusterStatements(journal, cluster, db) : [journal]) await client.command({ query });
    const done = await appliedVersions(client, db);
    const applied: Migration[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const [i, statement] of migration.statements.entries()) {
        try {
          await client.command({ query: statement });
        } catch (cause) {
          if (isAddColumnRerun(statement, cause)) {
            logger.info({ database, version: migration.version, statement: i + 1 }, 'columns already there: statement counted as applied');
            continue;
          }
          throw new VigilError(`migration ${migration.file} failed at statement ${i + 1} of ${migration.statements.length}`, {
            cause,
            action: `fix ${migration.file}; statements before it ran, so they must be idempotent (IF NOT EXISTS)`,
          });
        }
      }
      await client.insert({
        table: `${db}.schema_migrations`,
        values: [{ version: migration.version, name: migration.name, applied_at: Math.floor(Date.now() / 1000) }],
        format: 'JSONEachRow',
      });
      logger.info({ database, version: migration.version, file: migration.file, statements: migration.statements.length }, 'applied migration');
      applied.push(migration);
    }
    return { database, applied, alreadyApplied: [...done].sort((a, b) => a - b) };
  } finally {
    await client.close();
  }
}
