/**
 * The migrations and the documented queries on a real ClickHouse 18.16 cluster: two shards of
 * two replicas and a ZooKeeper, all private to this file (test/support/clickhouse-cluster.ts).
 * The same data set the docs/sql.md test uses goes in through the Distributed tables on the
 * cluster and into a database of the shared stack's single server; every documented query must
 * give the same answer on both. Then what the effectively-once guarantee rests on: a re-sent
 * identical block is dropped on either replica and does not reach the rollups again, while a
 * different block whose rollup rows happen to be identical is counted. Last, retention drops
 * partitions on every shard and replica.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VigilConfig } from '../../core/config.ts';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/storage/clickhouse.ts';
import { localTable, SHARDING_KEYS } from '../../pipeline/storage/cluster-ddl.ts';
import { migrate } from '../../pipeline/storage/migrate.ts';
import { applyRetention, defaultPolicy, listPartitions, MAX_MONTHS, type RetentionPolicy } from '../../pipeline/storage/retention.ts';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse-cluster.ts';
import { createTestEnv, testConfig, waitFor, type TestEnv } from '../support/index.ts';
import { buildDataset, type Dataset } from '../integration/sql-docs/dataset.ts';
import { differences } from '../integration/sql-docs/compare.ts';
import { loadDataset } from '../integration/sql-docs/load.ts';
import { extractSqlQueries, retargetDatabase } from '../integration/sql-docs/markdown.ts';

type Row = Record<string, unknown>;

const queries = extractSqlQueries(readFileSync(fileURLToPath(new URL('../../docs/sql.md', import.meta.url)), 'utf8'));
const TABLES = Object.keys(SHARDING_KEYS);

let cluster: ClickHouseCluster;
let single: TestEnv;
let config: VigilConfig;
let db: string;
let writer: ClickHouseClient;
let data: Dataset;
const perServer = new Map<string, ClickHouseClient>();

/** A writer client on one server of the cluster (queries its local tables). */
function on(url: string): ClickHouseClient {
  let c = perServer.get(url);
  if (!c) perServer.set(url, (c = createClickHouse({ ...config, clickhouse: { ...config.clickhouse, url } }, { database: null })));
  return c;
}

async function rows(client: ClickHouseClient, query: string): Promise<Row[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<Row>();
}

const count = async (client: ClickHouseClient, query: string) => Number((await rows(client, query))[0].n);

beforeAll(async () => {
  [cluster, single] = await Promise.all([startClickHouseCluster(), createTestEnv('ch-cluster-single', { topics: false })]);
  config = testConfig('ch-cluster', { overrides: { clickhouse: { url: cluster.server(1, 1).httpUrl, cluster: cluster.name } } });
  db = config.clickhouse.database;
  writer = createClickHouse(config, { database: null });
  data = buildDataset(Date.now());
}, 240_000);

afterAll(async () => {
  await Promise.all([...perServer.values(), writer].filter(Boolean).map((c) => c.close()));
  await cluster?.close();
  await single?.cleanup();
});

describe('migrations ON CLUSTER', () => {
  it('create every table as a replicated local table plus a Distributed table on all four servers, once', async () => {
    const first = await migrate(config);
    expect(first.applied.length).toBeGreaterThanOrEqual(7);
    for (const server of cluster.servers) {
      const tables = await rows(on(server.httpUrl), `SELECT name, engine FROM system.tables WHERE database = '${db}' ORDER BY name`);
      const engine = Object.fromEntries(tables.map((t) => [t.name, t.engine]));
      for (const table of TABLES) {
        expect(engine[localTable(table)], `${table} on shard ${server.shard} replica ${server.replica}`).toMatch(/^Replicated(Replacing|Aggregating)MergeTree$/);
        expect(engine[table], `${table} on shard ${server.shard} replica ${server.replica}`).toBe('Distributed');
      }
      expect(engine.points_1m_mv).toBe('MaterializedView');
      const replicas = await rows(on(server.httpUrl), `SELECT table, replica_name, total_replicas, active_replicas FROM system.replicas WHERE database = '${db}'`);
      expect(replicas).toHaveLength(TABLES.length);
      for (const r of replicas) expect(r, String(r.table)).toMatchObject({ replica_name: `r${server.replica}`, total_replicas: 2, active_replicas: 2 });
    }
    // The ALTER of migration 008 reached the local tables and the re-created Distributed one.
    const columns = await rows(writer, `SELECT table, name FROM system.columns WHERE database = '${db}' AND name = 'tag_keys' ORDER BY table`);
    expect(columns.map((c) => c.table)).toEqual(['alert_events', 'alert_events_local', 'points', 'points_local']);
    // A second run finds them all recorded (schema_migrations is itself replicated and distributed).
    const again = await migrate({ ...config, clickhouse: { ...config.clickhouse, url: cluster.server(2, 2).httpUrl } });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(first.applied.map((m) => m.version));
  });
});

describe('a cluster the servers do not know', () => {
  it('stops the migrations with what to configure, creating nothing', async () => {
    const wrong = { ...config, clickhouse: { ...config.clickhouse, cluster: 'no_such_cluster', database: `${db}_wrong` } };
    const err = await migrate(wrong).then(() => null, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/cannot run ON CLUSTER no_such_cluster \(clickhouse\.cluster\)/);
    expect(err?.message).toMatch(/remote_servers of every server/);
    expect(String((err?.cause as Error)?.message)).toMatch(/Code: 170/);
    expect(await count(writer, `SELECT count() AS n FROM system.databases WHERE name = '${db}_wrong'`)).toBe(0);
  });
});

describe('docs/sql.md through the Distributed tables', () => {
  beforeAll(async () => {
    const singleWriter = createClickHouse(single.config);
    try {
      await Promise.all([loadDataset(writer, db, data), loadDataset(singleWriter, single.config.clickhouse.database, data)]);
    } finally {
      await singleWriter.close();
    }
  }, 120_000);

  it('stores the data set spread over both shards, each row once per shard and copied to its other replica', async () => {
    const want = data.points.length;
    const local = await Promise.all(cluster.servers.map((s) => count(on(s.httpUrl), `SELECT count() AS n FROM ${db}.points_local`)));
    // Replication is asynchronous: wait (bounded) until each shard's replicas agree.
    for (let i = 0; i < 60 && (local[0] !== local[1] || local[2] !== local[3]); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      local.splice(0, 4, ...(await Promise.all(cluster.servers.map((s) => count(on(s.httpUrl), `SELECT count() AS n FROM ${db}.points_local`)))));
    }
    expect(local[0]).toBe(local[1]);
    expect(local[2]).toBe(local[3]);
    expect(local[0]).toBeGreaterThan(0);
    expect(local[2]).toBeGreaterThan(0);
    expect(local[0] + local[2]).toBe(want);
    expect(await count(writer, `SELECT count() AS n FROM ${db}.points`)).toBe(want);
  });

  for (const q of queries) {
    it(`${q.number}. ${q.title}: the single server's answer`, async () => {
      const reader = createClickHouse(config, { reader: true });
      const singleReader = createClickHouse(single.config, { reader: true });
      try {
        const [got, want] = await Promise.all([rows(reader, retargetDatabase(q.sql, db)), rows(singleReader, retargetDatabase(q.sql, single.config.clickhouse.database))]);
        expect(want.length, 'the single server answers rows (else there is nothing to compare)').toBeGreaterThan(0);
        const context = `\ncluster: ${JSON.stringify(got)}\nsingle:  ${JSON.stringify(want)}`;
        expect(got.length, context).toBe(want.length);
        const diffs = want.flatMap((w, i) => Object.entries(w).flatMap(([k, v]) => differences(got[i][k], v, `row ${i} ${k}`)));
        expect(diffs, context).toEqual([]);
      } finally {
        await Promise.all([reader.close(), singleReader.close()]);
      }
    });
  }
});

describe('the read-only user on the cluster', () => {
  it('cannot write through a Distributed table', async () => {
    const reader = createClickHouse(config, { reader: true, database: null });
    try {
      await expect(reader.insert({ table: `${db}.silences`, values: [{ id: 'x', version: 1 }], format: 'JSONEachRow' })).rejects.toThrow(/readonly|Code: 164/i);
      await expect(reader.command({ query: `DROP TABLE ${db}.silences` })).rejects.toThrow(/readonly|Code: 164/i);
    } finally {
      await reader.close();
    }
    expect(await count(writer, `SELECT count() AS n FROM ${db}.silences`)).toBe(0);
  });
});

describe('replicated deduplication, as the writer relies on it', () => {
  const point = (offset: number, value: number) => ({
    source: 'dedup',
    metric: 'm',
    timestamp: 1_700_000_000,
    timestamp_ms: 1_700_000_000_000 + offset,
    value,
    mean: 0,
    std: 0,
    zscore: 0,
    anomaly_score: 0,
    tag_keys: [],
    tag_values: [],
    kafka_partition: 3,
    kafka_offset: offset,
    ingested_at: 1_700_000_000,
  });
  const rollup = async (client: ClickHouseClient, table: string) =>
    (await rows(client, `SELECT countMerge(value_count) AS n, sumMerge(value_sum) AS s FROM ${db}.${table} WHERE source = 'dedup'`))[0];

  it('drops a re-sent identical block (on either replica) without counting it in the rollups again, and counts a different block with identical rollup rows', async () => {
    const block = [point(1, 1), point(2, 1)];
    const insert = (client: ClickHouseClient, values: object[]) => client.insert({ table: `${db}.points`, values, format: 'JSONEachRow' });
    await insert(writer, block);
    // The same block again: through the same server (to s2r1, partition 3's shard's first
    // replica, load_balancing in_order) and through s2r2, which inserts into its own replica.
    await insert(writer, block);
    await insert(on(cluster.server(2, 2).httpUrl), block);
    // Other offsets, the same values: the points differ, the minute's rollup rows are the same.
    await insert(writer, [point(3, 1), point(4, 1)]);
    expect(await count(writer, `SELECT count() AS n FROM ${db}.points WHERE source = 'dedup'`)).toBe(4);
    expect(await rollup(writer, 'points_1m')).toEqual({ n: '4', s: 4 });
    expect(await rollup(writer, 'points_1h')).toEqual({ n: '4', s: 4 });
    // Both replicas of the shard end with the same rows, the rollups copied and not recomputed.
    const holders = [];
    for (const s of cluster.servers) holders.push(await count(on(s.httpUrl), `SELECT count() AS n FROM ${db}.points_local WHERE source = 'dedup'`));
    for (let i = 0; i < 60 && holders.filter((n) => n === 4).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      for (const [j, s] of cluster.servers.entries()) holders[j] = await count(on(s.httpUrl), `SELECT count() AS n FROM ${db}.points_local WHERE source = 'dedup'`);
    }
    // servers are s1r1, s1r2, s2r1, s2r2: the two replicas of one shard hold all four, the other none.
    expect([holders[0] === holders[1], holders[2] === holders[3], [...holders].sort()]).toEqual([true, true, [0, 0, 4, 4]]);
    for (const [j, s] of cluster.servers.entries()) {
      if (holders[j] === 4) expect(await rollup(on(s.httpUrl), 'points_1m_local')).toEqual({ n: '4', s: 4 });
    }
  });
});

describe('retention on the cluster', () => {
  it('lists the partitions of every shard under the tables\' names and drops them ON CLUSTER, on both replicas', async () => {
    const parts = await listPartitions(writer, db, cluster.name);
    const points = parts.filter((p) => p.table === 'points');
    expect(points.length).toBeGreaterThan(0);
    expect(parts.some((p) => p.table.endsWith('_local'))).toBe(false);
    // One replica per shard: the cluster's rows, each counted once.
    expect(points.reduce((n, p) => n + p.rows, 0)).toBe(await count(writer, `SELECT count() AS n FROM ${db}.points`));
    const anomaliesBefore = await count(writer, `SELECT count() AS n FROM ${db}.anomalies`);
    // Far in the future with points kept one month: every points partition goes, nothing else.
    const policy = { ...Object.fromEntries(Object.keys(defaultPolicy()).map((t) => [t, MAX_MONTHS])), points: 1 } as RetentionPolicy;
    const result = await applyRetention(writer, db, policy, new Date(Date.UTC(2100, 0, 1)), { cluster: cluster.name });
    expect(result.dropped.map((p) => `${p.table} ${p.partition}`)).toEqual(points.map((p) => `points ${p.partition}`));
    const left = await waitFor(async () => {
      const counts = await Promise.all(cluster.servers.map((s) => count(on(s.httpUrl), `SELECT count() AS n FROM ${db}.points_local`)));
      return counts.every((n) => n === 0) ? counts : null;
    }, 60_000, { intervalMs: 500, message: 'points dropped on all four servers' });
    expect(left).toEqual([0, 0, 0, 0]);
    expect(await count(writer, `SELECT count() AS n FROM ${db}.anomalies`)).toBe(anomaliesBefore);
  });
});
