/**
 * No-data alerts on the real stack: a series that stops reporting gets a `nodata` alert once it
 * has been silent for noDataMs (wall clock), and the alert resolves when points arrive again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestEnv, waitFor, type TestEnv } from '../../support/index.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startPipeline, type PipelineHandle } from '../../../pipeline/runtime/pipeline.ts';
import type { MetricPoint } from '../../../schemas/records.ts';
import { alertEvents, latestByAlert, producePoints, waitForCommitted } from './scenario.ts';

let env: TestEnv;
let ch: ClickHouseClient;
let pipeline: PipelineHandle;

beforeAll(async () => {
  env = await createTestEnv('nodata', { overrides: { pipeline: { windowSize: 50, workerThreads: 1, noDataMs: 3000 } } });
  ch = createClickHouse(env.config);
  pipeline = await startPipeline(env.config, env.logger, { silenceCheckMs: 500 });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await ch?.close();
  await env?.cleanup();
});

const points = (source: string, n: number, from: number): MetricPoint[] =>
  Array.from({ length: n }, (_, i) => ({ source, metric: 'throughput', value: 1000 + (i % 3), timestamp: from + i * 100, tags: {} }));

describe('no-data alerts', () => {
  it('fire for a silent series only, and resolve when it reports again', async () => {
    const db = env.config.clickhouse.database;
    const start = Date.now() - 5000;
    await producePoints(env.config, env.topics.metrics, [...points('quiet', 20, start), ...points('chatty', 20, start)]);

    // Keep "chatty" reporting while "quiet" stays silent past noDataMs.
    const until = Date.now() + 6000;
    let t = Date.now();
    while (Date.now() < until) {
      await producePoints(env.config, env.topics.metrics, points('chatty', 1, t));
      t += 500;
      await new Promise((r) => setTimeout(r, 500));
    }
    const firing = await waitFor(async () => {
      const latest = [...latestByAlert(await alertEvents(ch, db)).values()];
      return latest.find((e) => e.source === 'quiet' && e.kind === 'nodata' && e.status === 'firing');
    }, 20_000, { message: 'nodata alert for the silent series' });
    expect(firing.rule_id).toBe('nodata');
    const all = await alertEvents(ch, db);
    expect(all.filter((e) => e.source === 'chatty' && e.kind === 'nodata')).toEqual([]);

    await producePoints(env.config, env.topics.metrics, points('quiet', 3, Date.now()));
    const resolved = await waitFor(async () => {
      const latest = latestByAlert(await alertEvents(ch, db)).get(firing.alert_id);
      return latest?.status === 'resolved' ? latest : undefined;
    }, 20_000, { message: 'nodata alert resolved after data resumed' });
    expect(resolved.version).toBe(firing.version + 1);
  }, 60_000);

  it('fire for a series that was already silent when its partition moved to a new instance', async () => {
    const db = env.config.clickhouse.database;
    await producePoints(env.config, env.topics.metrics, points('gone', 20, Date.now() - 3000));
    await waitForCommitted(env.config, env.topics.metrics, 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // a silence check has seen its data
    await pipeline.stop(); // hand-over: a new instance restores the series from its snapshot
    pipeline = await startPipeline(env.config, env.logger, { silenceCheckMs: 500 });
    const firing = await waitFor(async () => {
      const latest = [...latestByAlert(await alertEvents(ch, db)).values()];
      return latest.find((e) => e.source === 'gone' && e.kind === 'nodata' && e.status === 'firing');
    }, 30_000, { message: 'nodata alert raised by the new owner' });
    expect(firing.version).toBe(1);
  }, 60_000);
});
