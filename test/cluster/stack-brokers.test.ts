/**
 * `npm run stack:up -- --brokers 3` (issue #11 point 1): the stack script itself, run in a temp
 * stack folder on free ports (VIGIL_STACK_DIR / VIGIL_STACK_KAFKA_PORT), starts a three-node
 * KRaft cluster; its topics are replicated 3 with min.insync.replicas 2, so is a topic created
 * later with the brokers' defaults; status and down know the three nodes. The shared stack is
 * never touched: its Kafka is on other ports, its ClickHouse is reused (another checkout's, left
 * running by down) with a database of this test's own, dropped at the end.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_CLICKHOUSE_USERS } from '../../core/clickhouse-config.ts';
import { loadConfig } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';

const repoRoot = path.resolve(new URL('../..', import.meta.url).pathname);
const id = randomBytes(4).toString('hex');
const stackDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-stack3-'));
const database = `vigil_stack3_${id}`;
const prefix = `stack3${id}.`;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Six free ports in a row below the ephemeral range (where freePort() and client sockets live). */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 5000);
    const ports = Array.from({ length: 6 }, (_, i) => base + i);
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return base;
  }
  throw new Error('no six free ports in a row between 20000 and 30000');
}

let base = 0;
const stack = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_STACK_DIR: stackDir, VIGIL_STACK_KAFKA_PORT: String(base), VIGIL_TOPIC_PREFIX: prefix, VIGIL_CLICKHOUSE_DATABASE: database, VIGIL_LOG_LEVEL: 'warn' };
    delete env.VIGIL_KAFKA_BROKERS;
    execFile('bash', [path.join(repoRoot, 'deploy', 'stack.sh'), ...args], { cwd: repoRoot, env, timeout: 240_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });

afterAll(async () => {
  if (base) await stack(['down']);
  const user = LOCAL_CLICKHOUSE_USERS.writer;
  await fetch('http://127.0.0.1:18123/', { method: 'POST', headers: { 'X-ClickHouse-User': user.username, 'X-ClickHouse-Key': user.password }, body: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
  rmSync(stackDir, { recursive: true, force: true });
}, 120_000);

describe('stack:up -- --brokers 3', () => {
  it('starts a 3-node KRaft quorum whose topics have 3 replicas and min ISR 2; status and down know all three', async () => {
    base = await freeBase();
    const brokers = [0, 2, 4].map((d) => `127.0.0.1:${base + d}`);

    const up = await stack(['up', '--brokers', '3', '--json']);
    expect(up.code, `up failed:\n${up.stderr}\n${up.stdout}`).toBe(0);
    const r = JSON.parse(up.stdout) as { kafka: { healthy: boolean; brokers: string[]; nodes: { node: number; broker: string; healthy: boolean; pid: number }[] }; clickhouse: { external: boolean }; started: string[]; topics: string[] };
    expect(r.kafka.healthy).toBe(true);
    expect(r.kafka.nodes.map((n) => [n.node, n.broker, n.healthy])).toEqual(brokers.map((b, i) => [i + 1, b, true]));
    expect([...r.kafka.brokers].sort()).toEqual([...brokers].sort());
    expect(r.started).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
    expect(r.clickhouse.external, 'the shared ClickHouse is reused, not a second one started').toBe(true);

    // Every node is broker and controller, and all three are the quorum's voters.
    for (let n = 1; n <= 3; n++) {
      const props = readFileSync(path.join(stackDir, 'kafka-cluster', `node-${n}`, 'server.properties'), 'utf8');
      expect(props).toMatch(/^process\.roles=broker,controller$/m);
      expect(props).toMatch(new RegExp(`^node\\.id=${n}$`, 'm'));
      expect(props).toMatch(new RegExp(`^controller\\.quorum\\.voters=1@127\\.0\\.0\\.1:${base + 1},2@127\\.0\\.0\\.1:${base + 3},3@127\\.0\\.0\\.1:${base + 5}$`, 'm'));
    }

    // Again, as text: idempotent, and the env line carries the three brokers and the replication.
    const again = await stack(['up', '--brokers', '3']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Started +nothing \(already running\)$/m);
    expect(again.stdout).toContain(`export VIGIL_KAFKA_BROKERS=${brokers.join(',')} VIGIL_KAFKA_REPLICATION_FACTOR=3 VIGIL_KAFKA_MIN_INSYNC_REPLICAS=2 `);
    // The env line is a config the project reads as the cluster's.
    const printed = Object.fromEntries([...again.stdout.match(/^export (.*)$/m)![1]!.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    const config = loadConfig({ env: printed });
    expect([config.kafka.brokers, config.kafka.replicationFactor, config.kafka.minInsyncReplicas]).toEqual([brokers, 3, 2]);

    // A single broker cannot be asked of the folder that runs the cluster.
    const one = await stack(['up', '--brokers', '1']);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(new RegExp(`the stack's Kafka runs 3 brokers on 127\\.0\\.0\\.1:${base}, not 1 — stop it first`));

    const admin = createKafka(config, createLogger('silent')).admin();
    await admin.connect();
    try {
      expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      const created = `${prefix}defaults`;
      // No replication asked for: the brokers' own defaults must be the cluster's.
      await admin.createTopics({ topics: [{ topic: created, numPartitions: 2 }], waitForLeaders: true });
      const stackTopics = r.topics;
      expect(stackTopics.length).toBeGreaterThanOrEqual(5);
      const { topics } = await admin.fetchTopicMetadata({ topics: [...stackTopics, created] });
      for (const t of topics) for (const p of t.partitions) expect(p.replicas, `${t.name}/${p.partitionId}`).toHaveLength(3);
      const described = await admin.describeConfigs({ resources: [...stackTopics, created].map((name) => ({ type: 2, name, configNames: ['min.insync.replicas'] })), includeSynonyms: false });
      for (const res of described.resources) expect(res.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue, res.resourceName).toBe('2');
    } finally {
      await admin.disconnect();
    }

    const status = await stack(['status', '--json']);
    expect(status.code, status.stdout).toBe(0);
    const s = JSON.parse(status.stdout) as { kafka: { nodes: { healthy: boolean; pid: number }[] } };
    expect(s.kafka.nodes.map((n) => n.healthy)).toEqual([true, true, true]);
    const text = await stack(['status']);
    expect(text.stdout).toMatch(new RegExp(`^Kafka 3 +healthy +pid \\d+  127\\.0\\.0\\.1:${base + 4}$`, 'm'));

    const down = await stack(['down']);
    expect(down.code, down.stderr).toBe(0);
    for (let n = 1; n <= 3; n++) expect(down.stdout).toMatch(new RegExp(`^stopped kafka-${n} \\(pid \\d+`, 'm'));
    expect(down.stdout).toMatch(/^left clickhouse \(pid \d+\) running: it belongs to another checkout$/m);
    for (let p = base; p < base + 6; p++) expect(await canBind(p), `port ${p} free after down`).toBe(true);
    const after = await stack(['status']);
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/^Kafka +stopped/m);
    base = 0;
  });
});
