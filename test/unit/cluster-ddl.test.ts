/** The cluster form of the migrations (pipeline/storage/cluster-ddl.ts) and the config option that turns it on. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { clusterStatements, createDatabaseDdl, SHARDING_KEYS } from '../../pipeline/storage/cluster-ddl.ts';
import { defaultMigrationsDir, isAddColumnRerun, loadMigrations } from '../../pipeline/storage/migrate.ts';
import { clusterServerXml } from '../support/clickhouse-cluster.ts';
import { zooCfg } from '../support/zookeeper.ts';

const C = 'vigil_cluster';

describe('clusterStatements', () => {
  it('turns a ReplacingMergeTree(version) table into a replicated local table and a Distributed table', () => {
    const sql = 'CREATE TABLE IF NOT EXISTS d.anomalies (\n  id String, version UInt32\n) ENGINE = ReplacingMergeTree(version)\nPARTITION BY toYYYYMM(x)\nORDER BY (source, metric, id)';
    expect(clusterStatements(sql, C, 'd')).toEqual([
      "CREATE TABLE IF NOT EXISTS d.anomalies_local ON CLUSTER vigil_cluster (\n  id String, version UInt32\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/d/anomalies_local', '{replica}', version)\nPARTITION BY toYYYYMM(x)\nORDER BY (source, metric, id)",
      'CREATE TABLE IF NOT EXISTS d.anomalies ON CLUSTER vigil_cluster AS d.anomalies_local ENGINE = Distributed(vigil_cluster, d, anomalies_local, cityHash64(source, metric))',
    ]);
  });

  it('keeps an engine without parameters parameterless apart from the path and replica', () => {
    const [local, dist] = clusterStatements('CREATE TABLE IF NOT EXISTS d.points (a UInt32) ENGINE = ReplacingMergeTree ORDER BY a', C, 'd');
    expect(local).toBe("CREATE TABLE IF NOT EXISTS d.points_local ON CLUSTER vigil_cluster (a UInt32) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/d/points_local', '{replica}') ORDER BY a");
    expect(dist).toContain('Distributed(vigil_cluster, d, points_local, kafka_partition)');
    const [agg] = clusterStatements('CREATE TABLE IF NOT EXISTS d.points_1m (a UInt32) ENGINE = AggregatingMergeTree ORDER BY a', C, 'd');
    expect(agg).toContain("ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/d/points_1m_local', '{replica}') ORDER BY a");
  });

  it('points a materialized view from local source to local target, once, on the cluster', () => {
    const sql = 'CREATE MATERIALIZED VIEW IF NOT EXISTS d.points_1m_mv TO d.points_1m AS\nSELECT source, countState() AS c\nFROM d.points\nGROUP BY source';
    expect(clusterStatements(sql, C, 'd')).toEqual(['CREATE MATERIALIZED VIEW IF NOT EXISTS d.points_1m_mv ON CLUSTER vigil_cluster TO d.points_1m_local AS SELECT source, countState() AS c\nFROM d.points_local\nGROUP BY source']);
  });

  it('alters the local tables on the cluster, then re-creates the Distributed table over the new columns', () => {
    const sql = 'ALTER TABLE d.alert_events\n    ADD COLUMN tag_keys Array(String),\n    ADD COLUMN tag_values Array(String)';
    const out = clusterStatements(sql, C, 'd');
    expect(out).toEqual([
      'ALTER TABLE d.alert_events_local ON CLUSTER vigil_cluster ADD COLUMN tag_keys Array(String),\n    ADD COLUMN tag_values Array(String)',
      'DROP TABLE IF EXISTS d.alert_events ON CLUSTER vigil_cluster',
      'CREATE TABLE IF NOT EXISTS d.alert_events ON CLUSTER vigil_cluster AS d.alert_events_local ENGINE = Distributed(vigil_cluster, d, alert_events_local, cityHash64(source, metric))',
    ]);
    // The runner's "already applied" rule still recognises the re-run of the cluster ALTER.
    expect(isAddColumnRerun(out[0], new Error('Code: 44, e.displayText() = DB::Exception: There was an error on [127.0.0.1:9000]: Code: 44, ... column with this name already exists'))).toBe(true);
  });

  it.each([
    ['a table with no sharding key', 'CREATE TABLE IF NOT EXISTS d.mystery (a UInt8) ENGINE = ReplacingMergeTree ORDER BY a', /no sharding key/],
    ['an engine it does not know', 'CREATE TABLE IF NOT EXISTS d.points (a UInt8) ENGINE = Memory', /no \*MergeTree engine/],
    ['an already replicated engine', "CREATE TABLE IF NOT EXISTS d.points (a UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a", /no \*MergeTree engine/],
    ['a view over two tables', 'CREATE MATERIALIZED VIEW IF NOT EXISTS d.v TO d.points AS SELECT * FROM d.a, (SELECT 1 FROM d.b)', /one FROM/],
    ['an ALTER other than columns', 'ALTER TABLE d.points DELETE WHERE 1', /COLUMN have a cluster form/],
    ['another statement', 'OPTIMIZE TABLE d.points FINAL', /no cluster form/],
    ['another database', 'CREATE TABLE IF NOT EXISTS other.points (a UInt8) ENGINE = MergeTree ORDER BY a', /names database other/],
  ])('refuses %s, naming what to do', (_what, sql, message) => {
    expect(() => clusterStatements(sql, C, 'd')).toThrow(message);
    expect(() => clusterStatements(sql, C, 'd')).toThrow(/cluster-ddl\.ts|\{db\}/);
  });

  it.each(['x; DROP DATABASE system', 'a.b', '', '1c'])('refuses the cluster name %j', (cluster) => {
    expect(() => clusterStatements('CREATE TABLE IF NOT EXISTS d.points (a UInt8) ENGINE = MergeTree ORDER BY a', cluster, 'd')).toThrow(VigilError);
    expect(() => createDatabaseDdl('d', cluster)).toThrow(VigilError);
  });

  it('renders every shipped migration, every table with a sharding key, nothing left on a plain engine', () => {
    const single = loadMigrations(defaultMigrationsDir, 'vigil');
    const cluster = loadMigrations(defaultMigrationsDir, 'vigil', C);
    expect(cluster.map((m) => m.version)).toEqual(single.map((m) => m.version));
    const all = cluster.flatMap((m) => m.statements);
    for (const s of all) {
      expect(s, s.slice(0, 80)).toContain(' ON CLUSTER vigil_cluster');
      expect(s, s.slice(0, 80)).not.toMatch(/ENGINE = (Replacing|Aggregating)?MergeTree\b/);
    }
    const distributed = all.filter((s) => s.includes('ENGINE = Distributed')).map((s) => /vigil\.(\w+) ON CLUSTER/.exec(s)![1]);
    expect(new Set(distributed)).toEqual(new Set(Object.keys(SHARDING_KEYS).filter((t) => t !== 'schema_migrations')));
    // Views never read or write a Distributed table (that would insert every row again through it).
    for (const s of all.filter((x) => x.startsWith('CREATE MATERIALIZED VIEW'))) expect(s).toMatch(/TO vigil\.\w+_local AS [\s\S]*FROM vigil\.\w+_local\b/);
  });
});

describe('clickhouse.cluster config', () => {
  it('is null by default (one server, plain tables) and takes an identifier', () => {
    expect(loadConfig({ env: {} }).clickhouse.cluster).toBeNull();
    expect(loadConfig({ env: { VIGIL_CLICKHOUSE_CLUSTER: 'vigil_cluster' } }).clickhouse.cluster).toBe('vigil_cluster');
  });

  it.each(['', 'my-cluster', "c' OR 1", 'a b'])('refuses %j with the reason', (name) => {
    expect(() => loadConfig({ env: { VIGIL_CLICKHOUSE_CLUSTER: name } })).toThrow(/cluster/);
  });
});

describe('the private cluster configs', () => {
  it('give each server its macros and every server the same cluster with internal replication', () => {
    const xml = clusterServerXml({ shard: 2, replica: 1, interserverPort: 30001, zookeeperPort: 30000, shards: [[1, 2], [3, 4]] });
    expect(xml).toContain('<macros><shard>02</shard><replica>r1</replica></macros>');
    expect(xml).toContain('<interserver_http_port>30001</interserver_http_port>');
    expect(xml).toContain('<port>30000</port>');
    expect(xml.match(/<shard><internal_replication>true<\/internal_replication>/g)).toHaveLength(2);
    expect([...xml.matchAll(/<replica><host>127\.0\.0\.1<\/host><port>(\d+)<\/port>/g)].map((m) => Number(m[1]))).toEqual([1, 2, 3, 4]);
    expect(zooCfg(30000, '/tmp/z')).toMatch(/^clientPort=30000$/m);
    expect(zooCfg(30000, '/tmp/z')).toMatch(/^clientPortAddress=127\.0\.0\.1$/m);
  });
});
