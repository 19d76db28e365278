/**
 * Fault 5 (issue #12) under the steady load: a scoring worker thread exits inside a task
 * (process.exit), and later one hangs on a batch. The pool replaces the thread (the hung one
 * after pipeline.scoreTimeoutMs), the batch is retried on rebuilt state within
 * pipeline.scoreAttempts, and everything ends as in the uninterrupted run: every point once,
 * every anomaly and transition once, nothing dead-lettered, the instance healthy.
 * (A batch that fails every attempt is dead-lettered: test/integration/pipeline/worker-fault.test.ts.)
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createLogger } from '../../core/logger.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { startPipeline } from '../../pipeline/runtime/pipeline.ts';
import { createTestEnv, waitFor, type TestEnv } from '../support/index.ts';
import { CRASH_ONCE_VALUE, HANG_ONCE_VALUE } from '../fixtures/workers/flaky-score-batch.ts';
import { faultLoad, startPacedLoad } from './support/load.ts';
import { PARTITIONS, PIPELINE_OVERRIDES, catchUpMs, conclude, referenceRun, type Reference } from './support/run.ts';
import { waitForCommitted } from '../integration/pipeline/scenario.ts';

const SCORE_TIMEOUT_MS = 1500;
const load = faultLoad({
  mark: [
    { index: 700, series: 'source-2/cpu_usage', value: CRASH_ONCE_VALUE },
    { index: 1500, series: 'source-1/memory_usage', value: HANG_ONCE_VALUE },
  ],
});
const markerDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-flaky-'));
let reference: Reference;
let env: TestEnv;
let ch: ClickHouseClient;

beforeAll(async () => {
  reference = await referenceRun('f-worker', load);
  env = await createTestEnv('f-worker', { partitions: PARTITIONS, overrides: { pipeline: { ...PIPELINE_OVERRIDES.pipeline, scoreTimeoutMs: SCORE_TIMEOUT_MS, scoreAttempts: 3 } } });
  ch = createClickHouse(env.config);
});

afterAll(async () => {
  await ch?.close();
  await env?.cleanup().catch(() => undefined);
  rmSync(markerDir, { recursive: true, force: true });
});

describe('fault 5: scoring worker crash and hang under load', () => {
  it('the thread is replaced and the batch retried: every point once, every anomaly and transition once, nothing dead-lettered', async () => {
    // Worker threads copy process.env when they start: set before the pool exists.
    process.env.VIGIL_TEST_FLAKY_DIR = markerDir;
    const pipeline = await startPipeline(env.config, createLogger('error'), {
      instanceId: 'f-worker',
      scoringModule: fileURLToPath(new URL('../fixtures/workers/flaky-score-batch.ts', import.meta.url)),
    });
    try {
      await waitFor(() => pipeline.health().status === 'running', 60_000, { message: 'pipeline joined' });
      const paced = startPacedLoad(env.config, env.topics.metrics, load);
      await waitFor(() => readdirSync(markerDir).includes('crashed'), 120_000, { message: 'a worker crashed on the marked point' });
      const crashedAt = Date.now();
      await waitFor(() => readdirSync(markerDir).includes('hung'), 120_000, { message: 'a worker hung on the marked point' });
      const hungAt = Date.now();
      const recoveryMs = await catchUpMs(env.config, env.topics.metrics, 120_000, hungAt);
      const sent = await paced.done;
      await waitForCommitted(env.config, env.topics.metrics, 120_000);
      const stats = pipeline.stats();
      const metrics = await pipeline.registry.metrics();
      const scoringRetries = Number(/vigil_pipeline_retries_total\{what="scoring"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      // One per fault: the retry runs on a new thread, whose start-up its clock does not count.
      expect(scoringRetries).toBe(2);
      expect(stats.dlq).toBe(0);
      expect(stats.pool.threads).toBe(1);
      await waitFor(() => pipeline.health().healthy, 30_000, { message: 'pipeline healthy' });
      await conclude({
        id: 'worker',
        order: 5,
        fault: 'a scoring worker exits inside a task; later one hangs on a batch (scoreTimeoutMs 1.5 s)',
        duration: `crash, then hang ${Math.round((hungAt - crashedAt) / 1000)} s later`,
        notes: `${scoringRetries} scoring retries, 0 dead letters; recovery from the hang`,
        load,
        produced: sent.produced,
        sentInMs: sent.elapsedMs,
        recoveryMs,
        reference,
        ch,
        db: env.config.clickhouse.database,
      });
    } finally {
      await pipeline.stop();
    }
  });
});
