/**
 * Kafka fails mid-stream (docs/architecture.md, "Back-pressure"): the pipeline talks to a
 * private single-node broker the test kills while batches are in flight, keeps down ~10 s and
 * restarts on the same ports and data. The same pipeline handle must carry on by itself and
 * store exactly what an uninterrupted run against the same broker stores, each point once.
 * ClickHouse stays the shared one; the shared broker on 19092 is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ClickHouseClient } from '@clickhouse/client';
import { createLogger, type Logger } from '../../../core/logger.ts';
import { ensureTopics } from '../../../pipeline/kafka/topics.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startPipeline, type PipelineHealth } from '../../../pipeline/runtime/pipeline.ts';
import { createTestEnv, startSecondBroker, waitFor, type SecondBroker, type TestEnv } from '../../support/index.ts';
import { POINTS_PER_SERIES, STEP_MS, expectSameRows, outcome, referenceOutcome, pointCount, producePoints, scenarioPoints, waitForCommitted, type Outcome } from './scenario.ts';

const start = Date.now() - POINTS_PER_SERIES * STEP_MS - 60_000;
const points = scenarioPoints(start, 17);
const firstHalf = points.slice(0, points.length / 2);
const secondHalf = points.slice(points.length / 2);
const PARTITIONS = 4;
const OUTAGE_MS = 10_000;
const overrides = { pipeline: { windowSize: 200, workerThreads: 1, snapshotIntervalMs: 500 } };

let broker: SecondBroker;
const envs: TestEnv[] = [];
const clients: ClickHouseClient[] = [];
let reference: Outcome;

/** Pipeline logs kept in memory (bounded) so the test can count retries, crashes and rejoins. */
function captureLogs(name: string): { logger: Logger; lines: Array<Record<string, unknown> & { time: number; msg: string }> } {
  const lines: Array<Record<string, unknown> & { time: number; msg: string }> = [];
  const echo = process.env.VIGIL_TEST_FAULT_LOG === '1';
  const stream = {
    write(line: string) {
      if (lines.length < 50_000) lines.push(JSON.parse(line));
      if (echo) process.stderr.write(line);
    },
  };
  return { logger: pino({ level: 'info', base: { test: name } }, stream), lines };
}

/** An env whose topics live on the private broker and whose database is on the shared ClickHouse. */
async function newEnv(name: string) {
  const env = await createTestEnv(name, { overrides: { ...overrides, kafka: { brokers: broker.brokers } }, partitions: PARTITIONS, topics: false });
  envs.push(env);
  await ensureTopics(env.config, env.logger);
  const ch = createClickHouse(env.config);
  clients.push(ch);
  return { env, ch };
}

beforeAll(async () => {
  const t0 = Date.now();
  broker = await startSecondBroker({ heap: '384m' });
  const brokerUpMs = Date.now() - t0;
  const { env, ch } = await newEnv('kfault-ref');
  reference = await referenceOutcome(env, ch, points, 60_000);
  console.info(`[kafka-fault] private broker ${broker.brokers[0]} up in ${brokerUpMs} ms, reference run done ${Date.now() - t0} ms after start`);
}, 100_000);

afterAll(async () => {
  for (const ch of clients) await ch.close();
  // Topics die with the private broker; only the databases need dropping (cleanup's topic
  // deletion may fail if the broker is down, which changes nothing).
  for (const env of envs) await env.cleanup().catch(() => undefined);
  await broker?.close();
}, 60_000);

describe('the pipeline when its Kafka broker dies mid-stream', () => {
  it('the reference run is not trivial', () => {
    expect(reference.rawPoints).toBe(points.length);
    expect(reference.rollupCount).toBe(points.length);
    expect(reference.anomalies.length).toBeGreaterThan(2);
    expect(reference.alertEvents.length).toBeGreaterThan(2);
  });

  it('broker killed while batches are in flight, down 10 s, restarted: same handle resumes by itself, each point stored once, same results', async () => {
    const { env, ch } = await newEnv('kfault-run');
    const db = env.config.clickhouse.database;
    const logs = captureLogs('kfault-run');
    // The broker dies inside a batch: after its outputs are written, before its offsets are
    // committed (the third batch, so partitions already hold state). Its commit, and every
    // other lane's work, must wait for the broker rather than be lost or done twice.
    let batchesSeen = 0;
    let killedAt = 0;
    let storedAtKill = -1;
    let killed: () => void = () => undefined;
    const killDone = new Promise<void>((resolve) => (killed = resolve));
    const pipeline = await startPipeline(env.config, logs.logger, {
      instanceId: 'kfault-run',
      beforeCommit: async () => {
        if (++batchesSeen !== 3) return;
        storedAtKill = (await pointCount(ch, db)).raw;
        killedAt = Date.now();
        await broker.stop('SIGKILL');
        killed();
      },
    });
    try {
      // One request: the kill cannot land between chunks of this send.
      await producePoints(env.config, env.topics.metrics, firstHalf, firstHalf.length);
      await Promise.race([killDone, new Promise((_, reject) => setTimeout(() => reject(new Error('fewer than 3 batches within 30 s')), 30_000))]);
      const retriesAtKill = pipeline.stats().retries;
      const healthDuring: PipelineHealth[] = [];
      while (Date.now() - killedAt < OUTAGE_MS) {
        healthDuring.push(pipeline.health());
        await new Promise((r) => setTimeout(r, 500));
      }
      const storedDuringOutage = (await pointCount(ch, db)).raw;
      const restartAt = Date.now();
      await broker.start();
      const brokerBackMs = Date.now() - restartAt;
      await producePoints(env.config, env.topics.metrics, secondHalf);
      await waitForCommitted(env.config, env.topics.metrics, 60_000);
      const caughtUpMs = Date.now() - restartAt;
      const stats = pipeline.stats();
      // health() reports the newest stall check (every ≤ 5 s), and the broker check needs two
      // answered checks: on a loaded machine it may still say "stalled" just after the catch-up.
      let healthAfter = pipeline.health();
      for (const settleBy = Date.now() + 20_000; !healthAfter.healthy && Date.now() < settleBy; healthAfter = pipeline.health()) {
        await new Promise((r) => setTimeout(r, 250));
      }
      const got = await outcome(ch, db);

      const retryLines = logs.lines.filter((l) => typeof l.retryInMs === 'number' && l.time >= killedAt);
      const retriesByWhat: Record<string, number> = {};
      for (const l of retryLines) retriesByWhat[String(l.what)] = (retriesByWhat[String(l.what)] ?? 0) + 1;
      const crashes = logs.lines.filter((l) => l.msg === 'consumer crashed' && l.time >= killedAt);
      const firstCrashMs = crashes.length > 0 ? crashes[0].time - killedAt : null;
      const firstRetryMs = retryLines.length > 0 ? retryLines[0].time - killedAt : null;
      const joins = logs.lines.filter((l) => l.msg === 'partitions assigned');
      const statusesDuring = [...new Set(healthDuring.map((h) => h.status))];
      console.info(
        `[kafka-fault] stored at kill ${storedAtKill}/${points.length}, during outage ${storedDuringOutage}; outage ${restartAt - killedAt} ms; broker back in ${brokerBackMs} ms; ` +
          `caught up ${caughtUpMs} ms after restart; retries ${retriesAtKill} -> ${stats.retries} ${JSON.stringify(retriesByWhat)}; ` +
          `first retry +${firstRetryMs} ms, first crash +${firstCrashMs} ms; consumer crashes ${crashes.length} (restart: ${crashes.map((c) => String(c.restart)).join(',')}) [${crashes.map((c) => String((c.err as { message?: unknown })?.message ?? '')).join(' | ')}]; ` +
          `joins ${joins.length}; status during ${statusesDuring.join(',')}, after ${healthAfter.status} healthy ${healthAfter.healthy} ${JSON.stringify({ stalled: healthAfter.stalledPartitions, kafka: healthAfter.kafka })}; ` +
          `raw ${got.rawPoints} rollup ${got.rollupCount} anomalies ${got.anomalies.length} alert events ${got.alertEvents.length}`,
      );

      // The kill landed inside a batch whose points were stored and whose offsets were not yet
      // committed; nothing beyond the first half existed to store while the broker was down.
      expect(storedAtKill).toBeGreaterThan(0);
      expect(storedDuringOutage).toBeLessThanOrEqual(firstHalf.length);
      // The pipeline noticed and recovered without a restart of the handle: its lanes retried
      // or its consumer restarted itself, and it is healthy in its group again.
      expect(stats.retries - retriesAtKill + crashes.filter((c) => c.restart === true).length).toBeGreaterThan(0);
      expect(crashes.filter((c) => c.restart === false)).toEqual([]);
      expect(healthAfter.healthy).toBe(true);
      expect(healthAfter.ownedPartitions).toEqual([...Array(PARTITIONS).keys()]);
      // Exactly once and the same results as the uninterrupted run.
      expect(got.rawPoints).toBe(points.length);
      expect(got.rollupCount).toBe(points.length);
      expectSameRows(got.points, reference.points, 'points');
      expectSameRows(got.anomalies, reference.anomalies, 'anomalies');
      expectSameRows(got.alertEvents, reference.alertEvents, 'alert events');
    } finally {
      await pipeline.stop();
    }
  }, 120_000);
});
