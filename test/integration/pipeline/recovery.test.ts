/**
 * Crash and rebalance recovery: the same input through (a) one uninterrupted pipeline,
 * (b) a pipeline process killed with SIGKILL twice — once right before a commit, once at an
 * arbitrary moment — and restarted, and (c) two instances with partitions moving between
 * them. (b) and (c) must store exactly what (a) stored: same points and scores, same
 * anomalies, same alert transitions, rollups counting each point once. (b) and (c) are also sent
 * about one record in nine twice (a producer retry): each copy is decided on the series state at
 * its offset — after a kill, a state rebuilt from snapshots or from `points` alone — and never
 * stored, so (b) and (c) still store exactly (a)'s points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestEnv, waitFor, type TestEnv } from '../../support/index.ts';
import { spawnPipeline } from '../../support/pipeline-process.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startPipeline } from '../../../pipeline/runtime/pipeline.ts';
import { POINTS_PER_SERIES, SCENARIO, STEP_MS, expectSameRows, outcome, referenceOutcome, pointCount, producePoints, scenarioPoints, waitForCommitted, withRetries, type Outcome } from './scenario.ts';

const start = Date.now() - POINTS_PER_SERIES * STEP_MS - 60_000;
const points = scenarioPoints(start, 11);
const sent = withRetries(points);
const half = Math.floor(sent.length / 2);
const overrides = { pipeline: { windowSize: 200, workerThreads: 1, snapshotIntervalMs: 500 } };
const envs: TestEnv[] = [];
const clients: ClickHouseClient[] = [];
let reference: Outcome;

/** Point rows without their Kafka offset: the copies sent in between move the offsets on. */
const withoutOffsets = (rows: string[]) =>
  rows.map((row) => {
    const { kafka_offset: _offset, ...rest } = JSON.parse(row) as Record<string, unknown>;
    return JSON.stringify(rest);
  });

async function newEnv(name: string) {
  const env = await createTestEnv(name, { overrides });
  envs.push(env);
  const ch = createClickHouse(env.config);
  clients.push(ch);
  return { env, ch };
}

beforeAll(async () => {
  const { env, ch } = await newEnv('recovery-ref');
  reference = await referenceOutcome(env, ch, points, 120_000);
}, 180_000);

afterAll(async () => {
  for (const ch of clients) await ch.close();
  for (const env of envs) await env.cleanup().catch(() => undefined);
});

describe('recovery', () => {
  it('the reference run is not trivial', () => {
    expect(reference.points).toHaveLength(points.length);
    expect(reference.rawPoints).toBe(points.length);
    expect(reference.rollupCount).toBe(points.length);
    expect(reference.anomalies.length).toBeGreaterThan(2);
    expect(reference.alertEvents.length).toBeGreaterThan(2);
    expect(SCENARIO.length * POINTS_PER_SERIES).toBe(points.length);
    expect(sent.length - points.length).toBe(Math.floor((points.length - 1 - 5) / 9) + 1);
  });

  it('kill -9 before a commit and at a random moment, then restart: same results as an uninterrupted run', async () => {
    const { env, ch } = await newEnv('recovery-kill');
    const db = env.config.clickhouse.database;
    await producePoints(env.config, env.topics.metrics, sent.slice(0, half));

    // 1. Dies right after writing its 3rd batch's outputs, before committing it.
    const first = spawnPipeline(env.config, { VIGIL_FAULT_KILL_BEFORE_COMMIT: '3' });
    expect(await first.exited).toBe('SIGKILL');
    // The next owner rebuilds from `points` alone (no snapshot): copies are decided on that state.
    await ch.command({ query: `TRUNCATE TABLE ${db}.series_state` });

    // 2. Restarted; killed at an arbitrary moment once some progress is stored.
    const second = spawnPipeline(env.config);
    const before = (await pointCount(ch, db)).raw;
    await producePoints(env.config, env.topics.metrics, sent.slice(half));
    await waitFor(async () => (await pointCount(ch, db)).raw > before + 200, 60_000, { message: 'progress after restart' });
    await new Promise((r) => setTimeout(r, 150));
    second.child.kill('SIGKILL');
    expect(await second.exited).toBe('SIGKILL');

    // 3. Restarted again and left to finish.
    const third = spawnPipeline(env.config);
    try {
      await waitForCommitted(env.config, env.topics.metrics, 120_000);
    } finally {
      third.child.kill('SIGTERM');
      await third.exited;
    }
    const got = await outcome(ch, db);
    expect(got.rawPoints).toBe(points.length);
    expect(got.rollupCount).toBe(points.length);
    expectSameRows(withoutOffsets(got.points), withoutOffsets(reference.points), 'points');
    expectSameRows(got.anomalies, reference.anomalies, 'anomalies');
    expectSameRows(got.alertEvents, reference.alertEvents, 'alert events');
  }, 240_000);

  it('two instances sharing the partitions through rebalances: same results as one instance', async () => {
    const { env, ch } = await newEnv('recovery-rebalance');
    const a = await startPipeline(env.config, env.logger, { instanceId: 'a' });
    let b: Awaited<ReturnType<typeof startPipeline>> | undefined;
    try {
      await producePoints(env.config, env.topics.metrics, sent.slice(0, half));
      await waitFor(async () => (await pointCount(ch, env.config.clickhouse.database)).raw > 500, 60_000, { message: 'instance a made progress' });
      b = await startPipeline(env.config, env.logger, { instanceId: 'b' }); // rebalance: a gives up half its partitions
      await producePoints(env.config, env.topics.metrics, sent.slice(half));
      await waitFor(() => b!.stats().ownedPartitions.length > 0 && b!.stats().points > 0, 60_000, { message: 'instance b took partitions' });
      await a.stop(); // rebalance again: b takes everything
      await waitForCommitted(env.config, env.topics.metrics, 120_000);
    } finally {
      await a.stop().catch(() => undefined);
      await b?.stop();
    }
    const got = await outcome(ch, env.config.clickhouse.database);
    expect(got.rawPoints).toBe(points.length);
    expect(got.rollupCount).toBe(points.length);
    expectSameRows(withoutOffsets(got.points), withoutOffsets(reference.points), 'points');
    expectSameRows(got.anomalies, reference.anomalies, 'anomalies');
    expectSameRows(got.alertEvents, reference.alertEvents, 'alert events');
  }, 240_000);
});
