/**
 * Worker faults (issue #12, fault 5) on the real broker and server: a scoring worker thread that
 * exits inside a task, and one that hangs. The pool replaces the thread, the batch is retried
 * a bounded number of times on rebuilt state, then its points are dead-lettered as
 * `scoring-failed` with the reason; valid points behind it on the same partition and on the
 * other partition are stored exactly once, and the instance ends healthy.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestEnv, consumeN, waitFor, type TestEnv } from '../../support/index.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startPipeline, type PipelineHandle } from '../../../pipeline/runtime/pipeline.ts';
import { DLQ_HEADERS } from '../../../pipeline/ingest/dlq.ts';
import { SCORING_FAILED_REASON } from '../../../pipeline/runtime/pipeline-metrics.ts';
import type { MetricPoint } from '../../../schemas/records.ts';
import { CRASH_VALUE, HANG_VALUE } from '../../fixtures/workers/faulty-score-batch.ts';
import { pointCount, producePoints, query, waitForCommitted } from './scenario.ts';

const ATTEMPTS = 3;
let env: TestEnv;
let ch: ClickHouseClient;
let pipeline: PipelineHandle;
let dlqSeen = 0;

beforeAll(async () => {
  env = await createTestEnv('worker-fault', {
    partitions: 2,
    overrides: { pipeline: { windowSize: 50, workerThreads: 1, scoreTimeoutMs: 4000, scoreAttempts: ATTEMPTS } },
  });
  ch = createClickHouse(env.config);
  pipeline = await startPipeline(env.config, env.logger, {
    snapshotIntervalMs: 500,
    scoringModule: fileURLToPath(new URL('../../fixtures/workers/faulty-score-batch.ts', import.meta.url)),
  });
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
  await ch?.close();
  await env?.cleanup();
});

const series = (source: string, n: number, from: number, value = (i: number) => 10 + (i % 7)): MetricPoint[] =>
  Array.from({ length: n }, (_, i) => ({ source, metric: 'queue_size', value: value(i), timestamp: from + i * 1000, tags: {} }));

async function stored(source: string): Promise<number> {
  const [r] = await query<{ n: string }>(ch, `SELECT count() AS n FROM ${env.config.clickhouse.database}.points WHERE source = '${source}'`);
  return Number(r.n);
}

/** The poison point of `source` alone, then (once it is dead-lettered) valid points of the same series. */
async function poisonThenValid(source: string, poisonValue: number) {
  const t0 = Date.now() - 200_000;
  // Same series key ⇒ same partition: warm up the window, then the poison in a batch of its own.
  await producePoints(env.config, env.topics.metrics, series(source, 30, t0));
  await waitFor(async () => (await stored(source)) === 30, 60_000, { message: `warm-up of ${source} stored` });
  await producePoints(env.config, env.topics.metrics, [{ source, metric: 'queue_size', value: poisonValue, timestamp: t0 + 30_000, tags: {} }]);
  const letters = await consumeN(env.config, env.topics.dlq, (dlqSeen += 1), 60_000);
  const letter = letters.find((m) => m.key?.toString() === `${source}/queue_size`);
  expect(letter, `dead letter of ${source}`).toBeDefined();
  // Valid points behind the poison, on the same partition, and on the other series meanwhile.
  await producePoints(env.config, env.topics.metrics, [...series(source, 20, t0 + 31_000), ...series(`${source}-other`, 20, t0)]);
  await waitFor(async () => (await stored(source)) === 50 && (await stored(`${source}-other`)) === 20, 60_000, { message: `points after the poison of ${source} stored` });
  await waitForCommitted(env.config, env.topics.metrics, 30_000);
  return letter!;
}

describe('scoring worker faults', () => {
  it('a worker that exits inside a task: replaced, retried on rebuilt state, then the batch is dead-lettered with the reason', async () => {
    const letter = await poisonThenValid('svc-crash', CRASH_VALUE);
    expect(letter.headers?.[DLQ_HEADERS.reason]?.toString()).toBe(SCORING_FAILED_REASON);
    const detail = letter.headers?.[DLQ_HEADERS.detail]?.toString() ?? '';
    expect(detail).toContain(`scoring failed ${ATTEMPTS} times`);
    expect(detail).toMatch(/worker exited with code: 3/);
    expect(pipeline.stats().pool.threads).toBe(1);
    expect(pipeline.health().healthy).toBe(true);
  }, 180_000);

  it('a worker that hangs: terminated after scoreTimeoutMs, replaced, the batch dead-lettered with the reason', async () => {
    const letter = await poisonThenValid('svc-hang', HANG_VALUE);
    expect(letter.headers?.[DLQ_HEADERS.reason]?.toString()).toBe(SCORING_FAILED_REASON);
    expect(letter.headers?.[DLQ_HEADERS.detail]?.toString()).toContain('did not finish within 4000 ms');
  }, 180_000);

  it('stores every valid point exactly once and counts the dead letters and the scoring retries', async () => {
    const db = env.config.clickhouse.database;
    expect(await pointCount(ch, db)).toEqual({ final: 140, raw: 140 });
    const [poisoned] = await query<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.points WHERE value IN (${CRASH_VALUE}, ${HANG_VALUE})`);
    expect(Number(poisoned.n)).toBe(0);
    await waitFor(() => (pipeline.stats().dlqByReason[SCORING_FAILED_REASON] ?? 0) === 2, 10_000, { message: 'two scoring-failed dead letters counted' });
    const metrics = await pipeline.registry.metrics();
    expect(metrics).toMatch(new RegExp(`vigil_pipeline_retries_total\\{what="scoring"\\} ${2 * ATTEMPTS}\\b`));
    expect(pipeline.health().healthy).toBe(true);
  }, 60_000);
});
