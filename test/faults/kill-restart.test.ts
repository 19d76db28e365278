/**
 * Fault 1 (issue #12): a `vigil pipeline` process SIGKILLs itself mid-batch — its outputs
 * written, its offsets not committed — under the steady load, and is restarted at once. Every
 * point must be stored once, every anomaly and alert transition of the uninterrupted reference
 * run seen once, and the restarted process healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { freePort } from '../../core/free-port.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { createTestEnv, spawnPipeline, waitFor, type TestEnv } from '../support/index.ts';
import { faultLoad, startPacedLoad } from './support/load.ts';
import { PARTITIONS, PIPELINE_OVERRIDES, catchUpMs, conclude, referenceRun, type Reference } from './support/run.ts';
import { waitForCommitted } from '../integration/pipeline/scenario.ts';

const load = faultLoad();
let reference: Reference;
let env: TestEnv;
let ch: ClickHouseClient;

beforeAll(async () => {
  reference = await referenceRun('f-kill', load);
  env = await createTestEnv('f-kill', { partitions: PARTITIONS, overrides: PIPELINE_OVERRIDES });
  ch = createClickHouse(env.config);
});

afterAll(async () => {
  await ch?.close();
  await env?.cleanup().catch(() => undefined);
});

async function health(port: number): Promise<{ status: number; body: { healthy?: boolean; status?: string } }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: (await res.json()) as { healthy?: boolean } };
}

describe('fault 1: kill -9 of a pipeline instance mid-batch under load', () => {
  it('restarted at once: every point once, every anomaly and transition once, healthy again', async () => {
    const port = await freePort();
    // The 12th metrics batch: a few seconds into the load, with state in every partition.
    const first = spawnPipeline(env.config, { VIGIL_FAULT_KILL_BEFORE_COMMIT: '12', VIGIL_PIPELINE_HTTP_PORT: String(port) });
    // Joined before the load starts, so the kill lands early in the load, not after it.
    await waitFor(async () => (await health(port).catch(() => null))?.body.status === 'running', 60_000, { message: 'first pipeline joined' });
    const paced = startPacedLoad(env.config, env.topics.metrics, load);
    const how = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r('no kill within 60 s'), 60_000))]);
    if (how !== 'SIGKILL') first.child.kill('SIGKILL');
    expect(how).toBe('SIGKILL');
    const killedAt = Date.now();
    const producedAtKill = paced.produced();
    console.info(`[faults] kill-restart: killed after ${producedAtKill} points produced`);
    const second = spawnPipeline(env.config, { VIGIL_PIPELINE_HTTP_PORT: String(port) });
    try {
      const recoveryMs = await catchUpMs(env.config, env.topics.metrics, 120_000, killedAt);
      console.info(`[faults] kill-restart: caught up ${recoveryMs} ms after the kill`);
      const sent = await paced.done;
      await waitForCommitted(env.config, env.topics.metrics, 120_000);
      const h = await waitFor(async () => {
        const r = await health(port);
        return r.status === 200 && r.body.healthy === true ? r : null;
      }, 30_000, { message: 'restarted pipeline healthy' });
      expect(h.body.status).toBe('running');
      await conclude({
        id: 'kill-restart',
        order: 1,
        fault: 'kill -9 of the only pipeline process mid-batch (outputs written, offsets not), restarted at once',
        duration: `killed at point ${producedAtKill.toLocaleString('en-US')}, restarted at once`,
                load,
        produced: sent.produced,
        sentInMs: sent.elapsedMs,
        recoveryMs,
        reference,
        ch,
        db: env.config.clickhouse.database,
      });
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
