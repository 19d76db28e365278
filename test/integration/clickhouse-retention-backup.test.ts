/**
 * Retention and backup on the real ClickHouse 18.16 of the stack, each in a database of its own:
 * `vigil retention` (the CLI, as a timer runs it) drops exactly the monthly partitions older than
 * each table's retention and nothing else; deploy/production/clickhouse-backup.sh freezes every
 * table, copies the parts out, and restores them into a freshly migrated database with the same
 * rows, rollups included.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CLICKHOUSE_USERS } from '../../core/clickhouse-config.ts';
import { createClickHouse, plainIdentifier } from '../../pipeline/storage/clickhouse.ts';
import { migrate } from '../../pipeline/storage/migrate.ts';
import { RETENTION_TABLES, monthsBefore } from '../../pipeline/storage/retention.ts';
import { createTestEnv, type TestEnv } from '../support/index.ts';
import { pipelineChildEnv } from '../support/pipeline-process.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const backupScript = path.join(root, 'deploy/production/clickhouse-backup.sh');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-ch-ops-'));
const envs: TestEnv[] = [];
const clients: ClickHouseClient[] = [];
/** Months back from now that get one row in every time-partitioned table. */
const MONTHS_BACK = [0, 2, 4, 14, 40];
/** Filled by the materialized views from the tables written. */
const VIEW_TARGETS = new Set(['points_1m', 'points_1h', 'incidents']);

afterAll(async () => {
  for (const c of clients) await c.close();
  for (const e of envs) await e.cleanup().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

async function newEnv(name: string): Promise<{ env: TestEnv; ch: ClickHouseClient; db: string }> {
  const env = await createTestEnv(name, { topics: false });
  envs.push(env);
  const ch = createClickHouse(env.config);
  clients.push(ch);
  return { env, ch, db: plainIdentifier(env.config.clickhouse.database) };
}

async function rows<T>(ch: ClickHouseClient, query: string): Promise<T[]> {
  return (await ch.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** The 15th of the month `back` months before now, noon UTC: far from any month edge in any zone. */
function monthDate(back: number): string {
  const yyyymm = monthsBefore(new Date(), back);
  return `${Math.floor(yyyymm / 100)}-${String(yyyymm % 100).padStart(2, '0')}-15 12:00:00`;
}

/** One row per month in every written table (one per partition: no merge can fold two). */
async function fill(ch: ClickHouseClient, db: string): Promise<void> {
  for (const [table, spec] of Object.entries(RETENTION_TABLES)) {
    if (VIEW_TARGETS.has(table)) continue;
    // Only the partition column (the others take their defaults), and a source for the points.
    const source = table === 'points';
    const values = MONTHS_BACK.map((back) => `('${monthDate(back)}'${source ? `, 'src-${back}'` : ''})`).join(', ');
    await ch.command({ query: `INSERT INTO ${db}.${table} (${spec.partitionColumn}${source ? ', source' : ''}) VALUES ${values}` });
  }
  await ch.command({ query: `INSERT INTO ${db}.series_state (kafka_partition, series_id, kafka_offset) VALUES (3, 'svc/cpu', 42)` });
}

async function partitions(ch: ClickHouseClient, db: string): Promise<Record<string, string[]>> {
  const got = await rows<{ table: string; partition: string }>(ch, `SELECT DISTINCT table, partition FROM system.parts WHERE database = '${db}' AND active ORDER BY table, partition`);
  const out: Record<string, string[]> = {};
  for (const r of got) (out[r.table] ??= []).push(r.partition);
  return out;
}

function vigil(args: string[], env: TestEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(path.join(root, 'bin/vigil'), args, { env: pipelineChildEnv(env.config), encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vigil retention on the real ClickHouse', () => {
  let ch: ClickHouseClient;
  let db: string;
  let env: TestEnv;
  let before: Record<string, string[]>;
  const month = (back: number) => String(monthsBefore(new Date(), back));

  beforeAll(async () => {
    ({ env, ch, db } = await newEnv('ops-retention'));
    await fill(ch, db);
    before = await partitions(ch, db);
    for (const table of Object.keys(RETENTION_TABLES)) expect(before[table], table).toEqual(MONTHS_BACK.map(month).sort());
  }, 120_000);

  /** What the default policy keeps of MONTHS_BACK: months back <= the table's months. */
  const keptByDefault = (table: keyof typeof RETENTION_TABLES) => MONTHS_BACK.filter((b) => b <= RETENTION_TABLES[table].months).map(month).sort();

  it('--dry-run lists the old partitions and drops nothing', async () => {
    const r = vigil(['retention', '--dry-run', '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { dryRun: boolean; dropped: { table: string; partition: string }[] };
    expect(out.dryRun).toBe(true);
    const expected = Object.keys(RETENTION_TABLES).flatMap((t) => before[t].filter((p) => !keptByDefault(t as keyof typeof RETENTION_TABLES).includes(p)).map((p) => `${t}/${p}`));
    expect(out.dropped.map((p) => `${p.table}/${p.partition}`).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(10);
    expect(await partitions(ch, db)).toEqual(before);
  });

  it('drops exactly those partitions, leaves the rest and the unpartitioned tables, and a rerun drops nothing', async () => {
    const r = vigil(['retention'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dropped \d+ partitions, kept \d+/);
    const after = await partitions(ch, db);
    for (const table of Object.keys(RETENTION_TABLES)) expect(after[table], table).toEqual(keptByDefault(table as keyof typeof RETENTION_TABLES));
    expect(after.series_state).toEqual(['tuple()']);
    expect(after.schema_migrations).toEqual(['tuple()']);
    // points keeps 3 months: this month's and two months ago's rows are still there.
    expect((await rows<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.points`))[0].n).toBe('2');
    const again = vigil(['retention', '--json'], env);
    expect(JSON.parse(again.stdout).dropped).toEqual([]);
  });

  it('--keep overrides one table', async () => {
    const r = vigil(['retention', '--keep', 'points=1', '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).dropped.map((p: { table: string; partition: string }) => `${p.table}/${p.partition}`)).toEqual([`points/${month(2)}`]);
    expect((await partitions(ch, db)).points).toEqual([month(0)]);
  });

  it('refuses a bad --keep and a database that does not exist, saying what to do', () => {
    const bad = vigil(['retention', '--keep', 'points=3;DROP TABLE x'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('is not <table>=<months>');
    const missing = spawnSync(path.join(root, 'bin/vigil'), ['retention'], { env: { ...pipelineChildEnv(env.config), VIGIL_CLICKHOUSE_DATABASE: 'no_such_db_here' }, encoding: 'utf8', timeout: 120_000 });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('ClickHouse has no database no_such_db_here — set VIGIL_CLICKHOUSE_DATABASE');
  });
});

describe('deploy/production/clickhouse-backup.sh on the real ClickHouse', () => {
  const passwordFile = path.join(tmp, 'writer-password');

  function script(args: string[], env: TestEnv): { status: number | null; stdout: string; stderr: string } {
    writeFileSync(passwordFile, `${LOCAL_CLICKHOUSE_USERS.writer.password}\n`, { mode: 0o600 });
    const r = spawnSync(backupScript, args, {
      env: { PATH: process.env.PATH, VIGIL_CLICKHOUSE_URL: env.config.clickhouse.url, VIGIL_CLICKHOUSE_USER: env.config.clickhouse.username, VIGIL_CLICKHOUSE_PASSWORD_FILE: passwordFile },
      encoding: 'utf8',
      timeout: 300_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Every backed-up table's row count, and the content of the raw points and their rollup. */
  async function snapshot(ch: ClickHouseClient, db: string) {
    const tables = (await rows<{ name: string }>(ch, `SELECT name FROM system.tables WHERE database = '${db}' AND engine LIKE '%MergeTree' AND name != 'schema_migrations' ORDER BY name`)).map((t) => t.name);
    const counts: Record<string, string> = {};
    for (const t of tables) counts[t] = (await rows<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.${t}`))[0].n;
    return {
      counts,
      points: await rows(ch, `SELECT source, timestamp FROM ${db}.points ORDER BY timestamp`),
      rollup: await rows(ch, `SELECT source, minute, countMerge(value_count) AS n FROM ${db}.points_1m GROUP BY source, minute ORDER BY minute`),
      state: await rows(ch, `SELECT kafka_partition, series_id, kafka_offset FROM ${db}.series_state`),
    };
  }

  it('backs up every table, restores it into a freshly migrated database with the same rows, and cleans the shadow folder', async () => {
    const { env, ch, db } = await newEnv('ops-backup');
    await fill(ch, db);
    const want = await snapshot(ch, db);
    expect(Object.keys(want.counts).length).toBeGreaterThanOrEqual(12);
    expect(want.counts.points).toBe(String(MONTHS_BACK.length));
    expect(want.rollup.length).toBe(MONTHS_BACK.length);

    const folder = path.join(tmp, 'backup-1');
    const b = script(['backup', db, folder], env);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain(`backed up ${Object.keys(want.counts).length} tables of ${db}`);
    // FREEZE's hard links are removed once copied: nothing of this database stays in shadow/.
    const dataPath = (await rows<{ data_path: string }>(ch, `SELECT data_path FROM system.tables WHERE database = '${db}' AND name = 'points'`))[0].data_path;
    const shadow = path.join(dataPath, '..', '..', '..', 'shadow');
    for (const n of readdirSync(shadow)) expect(existsSync(path.join(shadow, n, 'data', db)), `shadow/${n}`).toBe(false);
    expect(script(['backup', db, folder], env).stderr).toContain('exists: name a new folder for each backup');

    // The disaster: the database is gone. Recreate the schema, then restore.
    await ch.command({ query: `DROP DATABASE ${db}` });
    await migrate(env.config, env.logger);
    const r = script(['restore', db, folder], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`restored ${db}.points: ${MONTHS_BACK.length} rows`);
    expect(await snapshot(ch, db)).toEqual(want);

    // A second restore would count every row twice in the rollups: refused.
    const twice = script(['restore', db, folder], env);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(new RegExp(`${db}\\.\\w+ already holds \\d+ rows: restore into empty tables`));
  }, 300_000);

  it('refuses a bad database name, a missing database, a missing schema and a wrong password', async () => {
    const { env, ch, db } = await newEnv('ops-backup-bad');
    expect(script(['backup', "x'; DROP", path.join(tmp, 'b2')], env).stderr).toContain('database must be a plain identifier');
    expect(script(['backup', 'no_such_db_here', path.join(tmp, 'b3')], env).stderr).toContain('has no database no_such_db_here');
    expect(script(['restore', db, path.join(tmp, 'nothing')], env).stderr).toContain('holds no backup');
    const folder = path.join(tmp, 'b4');
    expect(script(['backup', db, folder], env).status).toBe(0);
    await ch.command({ query: `DROP TABLE ${db}.points` });
    const r = script(['restore', db, folder], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${db}.points does not exist: create the schema first`);
    const wrong = spawnSync(backupScript, ['backup', db, path.join(tmp, 'b5')], {
      env: { PATH: process.env.PATH, VIGIL_CLICKHOUSE_URL: env.config.clickhouse.url, VIGIL_CLICKHOUSE_PASSWORD: 'wrong' },
      encoding: 'utf8',
    });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('Wrong password for user vigil_writer');
  }, 300_000);
});
