/**
 * Fault 2 (issue #12): under the steady load a second and a third pipeline instance join the
 * group, then leave again (rebalances both ways, partitions handed over with their state).
 * Every point must be stored once and the anomalies and alert transitions be those of the
 * uninterrupted reference run, each once; the instance left alone ends healthy and owning all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createLogger } from '../../core/logger.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { startPipeline, type PipelineHandle } from '../../pipeline/runtime/pipeline.ts';
import { createTestEnv, waitFor, type TestEnv } from '../support/index.ts';
import { faultLoad, startPacedLoad } from './support/load.ts';
import { PARTITIONS, PIPELINE_OVERRIDES, catchUpMs, conclude, referenceRun, type Reference } from './support/run.ts';
import { waitForCommitted } from '../integration/pipeline/scenario.ts';

const load = faultLoad();
let reference: Reference;
let env: TestEnv;
let ch: ClickHouseClient;

beforeAll(async () => {
  reference = await referenceRun('f-rebalance', load);
  env = await createTestEnv('f-rebalance', { partitions: PARTITIONS, overrides: PIPELINE_OVERRIDES });
  ch = createClickHouse(env.config);
});

afterAll(async () => {
  await ch?.close();
  await env?.cleanup().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault 2: instances join and leave under load', () => {
  it('a second and a third instance join, then leave: every point once, every anomaly and transition once', async () => {
    const logger = createLogger('error');
    const a = await startPipeline(env.config, logger, { instanceId: 'a' });
    const others: PipelineHandle[] = [];
    try {
      await waitFor(() => a.health().status === 'running', 60_000, { message: 'instance a joined' });
      const paced = startPacedLoad(env.config, env.topics.metrics, load);
      const t0 = Date.now();
      await sleep(5000);
      others.push(await startPipeline(env.config, logger, { instanceId: 'b' }));
      await waitFor(() => others[0].stats().ownedPartitions.length > 0, 60_000, { message: 'instance b took partitions' });
      others.push(await startPipeline(env.config, logger, { instanceId: 'c' }));
      await waitFor(() => others[1].stats().ownedPartitions.length > 0 && a.stats().ownedPartitions.length > 0, 60_000, { message: 'instance c took partitions' });
      const owners = [a, ...others].map((p) => p.stats().ownedPartitions.length);
      const joinedAt = Date.now() - t0;
      await sleep(3000);
      await others.pop()!.stop(); // c leaves
      await waitFor(() => a.stats().ownedPartitions.length + others[0].stats().ownedPartitions.length === PARTITIONS, 60_000, { message: 'a and b own all after c left' });
      await sleep(3000);
      await others.pop()!.stop(); // b leaves
      const leftAt = Date.now();
      await waitFor(() => a.stats().ownedPartitions.length === PARTITIONS, 60_000, { message: 'a owns all again' });
      const recoveryMs = await catchUpMs(env.config, env.topics.metrics, 120_000, leftAt);
      const sent = await paced.done;
      await waitForCommitted(env.config, env.topics.metrics, 120_000);
      expect(owners.every((n) => n > 0)).toBe(true);
      await waitFor(() => a.health().healthy, 30_000, { message: 'instance a healthy' });
      await conclude({
        id: 'rebalance',
        order: 2,
        fault: 'a 2nd and a 3rd pipeline instance join, then leave (4 rebalances)',
        duration: `${Math.round((leftAt - t0 - 5000) / 1000)} s from first join to last leave`,
        notes: `partitions a/b/c ${owners.join('/')} with three members (${Math.round(joinedAt / 1000)} s in)`,
        load,
        produced: sent.produced,
        sentInMs: sent.elapsedMs,
        recoveryMs,
        reference,
        ch,
        db: env.config.clickhouse.database,
      });
    } finally {
      for (const p of others) await p.stop().catch(() => undefined);
      await a.stop();
    }
  });
});
