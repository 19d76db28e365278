/**
 * The local stack really works for what Vigil needs: kafkajs 2.2.4 against the Kafka 4.x
 * broker (plain, group, idempotent, transactional), @clickhouse/client against ClickHouse
 * 18.16 (JSONEachRow, read-only user), topic layout and the migration runner.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes, type Consumer } from 'kafkajs';
import { createKafka, javaCompatiblePartitioner } from '../../pipeline/kafka/client.ts';
import { ensureTopics, topicSpecs, waitForLeaders } from '../../pipeline/kafka/topics.ts';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/storage/clickhouse.ts';
import { defaultMigrationsDir, loadMigrations, migrate } from '../../pipeline/storage/migrate.ts';
import { VigilError } from '../../core/errors.ts';
import { createTestEnv, consumeN, waitFor, type TestEnv } from '../support/index.ts';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('stack', { partitions: 4 });
});
afterAll(async () => {
  await env?.cleanup();
});

describe('Kafka topics', () => {
  it('creates every topic with the configured partitions, commands co-partitioned with metrics, config compacted', async () => {
    const admin = createKafka(env.config, env.logger).admin();
    await admin.connect();
    try {
      const specs = topicSpecs(env.config);
      const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
      const counts = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      expect(counts[env.topics.metrics]).toBe(4);
      expect(counts[env.topics.commands]).toBe(counts[env.topics.metrics]);
      for (const s of specs) expect(counts[s.name], s.name).toBe(s.partitions);
      expect(Object.keys(counts).sort()).toEqual(Object.values(env.topics).sort());

      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: env.topics.config, configNames: ['cleanup.policy'] },
          { type: ConfigResourceTypes.TOPIC, name: env.topics.metrics, configNames: ['cleanup.policy'] },
        ],
      });
      const policy = (name: string) =>
        described.resources.find((r) => r.resourceName === name)?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
      expect(policy(env.topics.config)).toBe('compact');
      expect(policy(env.topics.metrics)).toBe('delete');
    } finally {
      await admin.disconnect();
    }
  });

  it('ensureTopics is idempotent and refuses a commands topic that is not co-partitioned with metrics', async () => {
    await expect(ensureTopics(env.config, env.logger)).resolves.toEqual(env.topics);

    const other = await createTestEnv('stack-copart', { topics: false, migrations: false, partitions: 3 });
    try {
      const admin = createKafka(other.config, other.logger).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: other.topics.commands, numPartitions: 2 }], waitForLeaders: false });
      await waitForLeaders(admin, [other.topics.commands], 30_000);
      await admin.disconnect();
      const err = await ensureTopics(other.config, other.logger).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VigilError);
      expect((err as Error).message).toMatch(new RegExp(`${other.topics.commands.replaceAll('.', '\\.')} has 2 partitions but kafka.partitions is 3`));
    } finally {
      await other.cleanup();
    }
  });
});

describe('kafkajs 2.2.4 against the broker', () => {
  it('produces and consumes keyed messages; a key always lands on the same partition', async () => {
    const producer = createKafka(env.config, env.logger).producer({ createPartitioner: javaCompatiblePartitioner });
    await producer.connect();
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: `svc-${i % 5}/cpu`, value: JSON.stringify({ i, text: `héllo "${i}"` }) }));
    await producer.send({ topic: env.topics.metrics, acks: -1, messages });
    await producer.disconnect();

    const got = await consumeN(env.config, env.topics.metrics, 40, 30_000);
    const values = got.map((m) => JSON.parse(m.value!.toString()) as { i: number; text: string });
    expect(values.map((v) => v.i).sort((a, b) => a - b)).toEqual(messages.map((_, i) => i));
    expect(values.find((v) => v.i === 7)?.text).toBe('héllo "7"');
    const partitionsByKey = new Map<string, Set<number>>();
    for (const m of got) {
      const key = m.key!.toString();
      partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(m.partition));
    }
    expect(partitionsByKey.size).toBe(5);
    for (const [key, parts] of partitionsByKey) expect(parts.size, key).toBe(1);
  });

  it('splits partitions between two members of a consumer group and rebalances when one leaves', async () => {
    const topic = env.topics.anomalies; // 4 partitions
    const groupId = `${env.config.kafka.groupId}.two-members`;
    const kafka = createKafka(env.config, env.logger);
    const seen: { member: string; partition: number; value: string }[] = [];
    const assignments: Record<string, number[]> = {};
    const start = async (member: string): Promise<Consumer> => {
      const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      c.on(c.events.GROUP_JOIN, (e) => {
        assignments[member] = [...(e.payload.memberAssignment[topic] ?? [])].sort();
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async ({ partition, message }) => void seen.push({ member, partition, value: message.value!.toString() }) });
      return c;
    };
    const a = await start('a');
    await waitFor(() => assignments.a?.length === 4, 20_000, { message: 'a owns all 4 partitions' });
    const b = await start('b');
    await waitFor(() => assignments.a?.length === 2 && assignments.b?.length === 2, 30_000, { message: 'a and b own 2 partitions each' });
    expect([...assignments.a, ...assignments.b].sort()).toEqual([0, 1, 2, 3]);

    const producer = kafka.producer({ createPartitioner: javaCompatiblePartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [0, 1, 2, 3].map((p) => ({ partition: p, value: `p${p}` })) });
    await waitFor(() => seen.length >= 4, 20_000, { message: 'both members consumed' });
    for (const s of seen) expect(assignments[s.member]).toContain(s.partition);
    expect(new Set(seen.map((s) => s.member))).toEqual(new Set(['a', 'b']));

    await b.disconnect();
    await waitFor(() => assignments.a?.length === 4, 30_000, { message: 'a takes all partitions back after b left' });
    await producer.send({ topic, messages: [{ partition: 0, value: 'after' }, { partition: 3, value: 'after' }] });
    await waitFor(() => seen.filter((s) => s.value === 'after' && s.member === 'a').length === 2, 20_000, { message: 'a consumed after rebalance' });
    await producer.disconnect();
    await a.disconnect();
    expect(seen.length).toBe(6); // each message exactly once across the group
  });

  it('idempotent producer delivers each message exactly once', async () => {
    const producer = createKafka(env.config, env.logger).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: javaCompatiblePartitioner,
    });
    await producer.connect();
    for (let batch = 0; batch < 5; batch++) {
      await producer.send({ topic: env.topics.alerts, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `${batch}-${i}` })) });
    }
    await producer.disconnect();
    const got = await consumeN(env.config, env.topics.alerts, 50, 30_000);
    expect(new Set(got.map((m) => m.value!.toString())).size).toBe(50);
    // Nothing beyond the 50: a second full read finds the same count.
    await expect(consumeN(env.config, env.topics.alerts, 51, 3000)).rejects.toThrow(/50 of 51/);
  });

  it('transactions: commit with sendOffsets is visible to read_committed readers, abort is not', async () => {
    const kafka = createKafka(env.config, env.logger);
    const groupId = `${env.config.kafka.groupId}.tx`;
    const producer = kafka.producer({
      transactionalId: `${env.config.kafka.clientId}.tx`,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: javaCompatiblePartitioner,
    });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: env.topics.live, messages: [{ key: 'a', value: 'committed-1' }, { key: 'b', value: 'committed-2' }] });
    await committed.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: env.topics.metrics, partitions: [{ partition: 1, offset: '7' }] }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: env.topics.live, messages: [{ key: 'a', value: 'aborted' }] });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic: env.topics.live, messages: [{ key: 'c', value: 'committed-3' }] });
    await last.commit();
    await producer.disconnect();

    const got = await consumeN(env.config, env.topics.live, 3, 30_000);
    expect(got.map((m) => m.value!.toString()).sort()).toEqual(['committed-1', 'committed-2', 'committed-3']);
    await expect(consumeN(env.config, env.topics.live, 4, 3000)).rejects.toThrow(/3 of 4/);

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [env.topics.metrics] });
    await admin.disconnect();
    expect(offsets[0].partitions.find((p) => p.partition === 1)?.offset).toBe('7');
  });
});

describe('ClickHouse 18.16 via @clickhouse/client', () => {
  let ch: ClickHouseClient;
  let reader: ClickHouseClient;
  const table = () => `${env.config.clickhouse.database}.stack_probe`;

  beforeAll(async () => {
    ch = createClickHouse(env.config, { logger: env.logger });
    reader = createClickHouse(env.config, { reader: true, logger: env.logger });
    await ch.command({ query: `CREATE TABLE IF NOT EXISTS ${table()} (id UInt32, name String, value Float64, tags Array(String), at DateTime) ENGINE = MergeTree ORDER BY id` });
  });
  afterAll(async () => {
    await ch?.close();
    await reader?.close();
  });

  it('inserts and selects JSONEachRow rows, hostile strings intact', async () => {
    const rows = [
      { id: 1, name: "O'Brien; DROP TABLE x --", value: 1.5, tags: ['a', 'b'], at: 1_700_000_000 },
      { id: 2, name: 'back\\slash "quote" \n newline ✓ 🚀', value: -0.25, tags: [], at: 1_700_000_060 },
      { id: 3, name: '', value: 1e300, tags: ['\t'], at: 1_700_000_120 },
    ];
    await ch.insert({ table: table(), values: rows, format: 'JSONEachRow' });
    const rs = await ch.query({ query: `SELECT id, name, value, tags, toUnixTimestamp(at) AS at FROM ${table()} ORDER BY id`, format: 'JSONEachRow' });
    const got = await rs.json<{ id: number; name: string; value: number; tags: string[]; at: number | string }>();
    expect(got.map((r) => ({ ...r, at: Number(r.at) }))).toEqual(rows);
  });

  it('the reader user can SELECT but cannot INSERT, CREATE, DROP, ALTER or change settings', async () => {
    const rs = await reader.query({ query: `SELECT count() AS n FROM ${table()}`, format: 'JSONEachRow' });
    const [{ n }] = await rs.json<{ n: string }>();
    expect(Number(n)).toBeGreaterThanOrEqual(3);

    const refused: [string, () => Promise<unknown>][] = [
      ['insert', () => reader.insert({ table: table(), values: [{ id: 99, name: 'x', value: 0, tags: [], at: 0 }], format: 'JSONEachRow' })],
      ['insert select', () => reader.command({ query: `INSERT INTO ${table()} SELECT * FROM ${table()}` })],
      ['create', () => reader.command({ query: `CREATE TABLE ${env.config.clickhouse.database}.evil (a UInt8) ENGINE = Memory` })],
      ['create database', () => reader.command({ query: 'CREATE DATABASE evil_db' })],
      ['drop', () => reader.command({ query: `DROP TABLE ${table()}` })],
      ['truncate', () => reader.command({ query: `TRUNCATE TABLE ${table()}` })],
      ['alter', () => reader.command({ query: `ALTER TABLE ${table()} DELETE WHERE id = 1` })],
      ['set', () => reader.command({ query: 'SET readonly = 0' })],
      ['per-query setting', () => reader.query({ query: 'SELECT 1', format: 'JSONEachRow', clickhouse_settings: { readonly: '0' } })],
    ];
    for (const [what, attempt] of refused) {
      const err = await attempt().then(
        () => null,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(err, `${what} must be refused`).not.toBeNull();
      expect(err!.message, what).toMatch(/readonly mode/i);
    }
    const after = await ch.query({ query: `SELECT count() AS n FROM ${table()} WHERE id = 99`, format: 'JSONEachRow' });
    expect(Number((await after.json<{ n: string }>())[0].n)).toBe(0);
  });
});

describe('migrations', () => {
  it('applied every schemas/clickhouse file to the env database and recorded it', async () => {
    const expected = loadMigrations(defaultMigrationsDir, env.config.clickhouse.database).map((m) => m.version);
    const ch = createClickHouse(env.config, { logger: env.logger });
    try {
      const rs = await ch.query({ query: `SELECT version FROM ${env.config.clickhouse.database}.schema_migrations ORDER BY version`, format: 'JSONEachRow' });
      expect((await rs.json<{ version: number }>()).map((r) => Number(r.version))).toEqual(expected);
      const again = await migrate(env.config, env.logger);
      expect(again.applied).toEqual([]);
      expect(again.alreadyApplied).toEqual(expected);
    } finally {
      await ch.close();
    }
  });

  it('applies new files once, in version order, with {db} replaced; a broken file fails clearly and is not recorded', async () => {
    const scratch = await createTestEnv('stack-migrate', { topics: false, migrations: false });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-migrate-'));
    const ch = createClickHouse(scratch.config, { database: null, logger: scratch.logger });
    const db = scratch.config.clickhouse.database;
    try {
      writeFileSync(
        path.join(dir, '010_second.sql'),
        '-- depends on 002\nCREATE TABLE IF NOT EXISTS {db}.b (x UInt8) ENGINE = Memory;\nINSERT INTO {db}.b SELECT count() FROM {db}.a;\n',
      );
      writeFileSync(
        path.join(dir, '002_first.sql'),
        'CREATE TABLE IF NOT EXISTS {db}.a (\n  s String -- a comment\n) ENGINE = Memory;\n\nINSERT INTO {db}.a VALUES (\'x;y\');\n',
      );
      writeFileSync(path.join(dir, 'README.txt'), 'not a migration');

      const first = await migrate(scratch.config, { dir, logger: scratch.logger });
      expect(first.applied.map((m) => m.version)).toEqual([2, 10]);
      const b = await ch.query({ query: `SELECT x FROM ${db}.b`, format: 'JSONEachRow' });
      expect(await b.json()).toEqual([{ x: 1 }]); // 010 ran after 002 filled table a

      const second = await migrate(scratch.config, { dir, logger: scratch.logger });
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toEqual([2, 10]);
      const a = await ch.query({ query: `SELECT count() AS n FROM ${db}.a`, format: 'JSONEachRow' });
      expect(Number((await a.json<{ n: string }>())[0].n)).toBe(1); // INSERT not re-run

      writeFileSync(path.join(dir, '011_broken.sql'), 'CREATE TABLE IF NOT EXISTS {db}.c (x UInt8) ENGINE = Memory;\nCREATE TABLE nonsense here;\n');
      const err = await migrate(scratch.config, { dir, logger: scratch.logger }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VigilError);
      expect((err as Error).message).toMatch(/011_broken\.sql failed at statement 2 of 2/);
      const versions = await ch.query({ query: `SELECT name FROM ${db}.schema_migrations ORDER BY version`, format: 'JSONEachRow' });
      expect(await versions.json()).toEqual([{ name: 'first' }, { name: 'second' }]);

      // 18.16 has no ADD COLUMN IF NOT EXISTS: an ADD COLUMN that already ran (a crash before its
      // schema_migrations row, simulated by a second file with the same ALTER) counts as applied.
      rmSync(path.join(dir, '011_broken.sql'));
      const alter = 'ALTER TABLE {db}.t\n    ADD COLUMN k Array(String),\n    ADD COLUMN v Array(String);\n';
      writeFileSync(path.join(dir, '012_add.sql'), `CREATE TABLE IF NOT EXISTS {db}.t (s String) ENGINE = MergeTree ORDER BY s;\n${alter}`);
      writeFileSync(path.join(dir, '013_add_again.sql'), alter);
      const added = await migrate(scratch.config, { dir, logger: scratch.logger });
      expect(added.applied.map((m) => m.version)).toEqual([12, 13]);
      const cols = await ch.query({ query: `SELECT name FROM system.columns WHERE database = '${db}' AND table = 't' ORDER BY name`, format: 'JSONEachRow' });
      expect(await cols.json()).toEqual([{ name: 'k' }, { name: 's' }, { name: 'v' }]);

      writeFileSync(path.join(dir, 'bad name.sql'), 'SELECT 1;');
      await expect(migrate(scratch.config, { dir })).rejects.toThrow(/bad name\.sql is not named NNN_name\.sql/);
    } finally {
      await ch.close();
      await scratch.cleanup();
    }
  });
});
