/**
 * A partition that cannot make progress turns /health unhealthy with the reason, sets the
 * stalled gauge and raises an alert on the alerts topic; all of it clears once it moves again.
 * The stall is real: the live topic's max.message.bytes is lowered under the running pipeline,
 * so every batch's live snapshots are refused by the broker (an output that is not a dead
 * letter, so it is retried — with the reason climbing in /health — never dropped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { createTestEnv, consumeN, waitFor, type TestEnv } from '../../support/index.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { startPipeline, type PipelineHandle } from '../../../pipeline/runtime/pipeline.ts';
import { startMetricsServer, type MetricsServer } from '../../../pipeline/runtime/metrics-server.ts';
import { decodeEvent } from '../../../pipeline/codec/events.ts';
import { STALL_ALERT_METRIC, STALL_ALERT_SOURCE } from '../../../pipeline/runtime/stall-monitor.ts';
import type { AlertEvent, MetricPoint } from '../../../schemas/records.ts';
import { producePoints, waitForCommitted } from './scenario.ts';
import { parsePrometheus, sampleValue } from '../../unit/pipeline/prom-text.ts';
import { startApi, type RunningApi } from '../../../api/index.ts';

let env: TestEnv;
let pipeline: PipelineHandle;
let server: MetricsServer;
let api: RunningApi;

beforeAll(async () => {
  env = await createTestEnv('stall', { partitions: 2, overrides: { pipeline: { windowSize: 50, workerThreads: 1, httpPort: 0, stallAfterMs: 2000, liveThrottleMs: 0 }, api: { port: 0 } } });
  pipeline = await startPipeline(env.config, env.logger, { stallCheckMs: 250 });
  server = await startMetricsServer({ host: env.config.pipeline.httpHost, port: env.config.pipeline.httpPort, logger: env.logger, pipeline });
  api = await startApi(env.config, env.logger);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await pipeline?.stop();
  await server?.close();
  await env?.cleanup();
});

async function setLiveTopicLimit(value: string) {
  const admin = createKafka(env.config, env.logger).admin();
  await admin.connect();
  try {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: env.topics.live, configEntries: [{ name: 'max.message.bytes', value }] }] });
  } finally {
    await admin.disconnect();
  }
}

const points = (source: string, n: number, from: number): MetricPoint[] =>
  Array.from({ length: n }, (_, i) => ({ source, metric: 'queue_size', value: 10 + (i % 5), timestamp: from + i * 1000, tags: {} }));

async function health(): Promise<{ status: number; body: Record<string, unknown> & { stalledPartitions: Array<{ partition: number; reason: string; lag: number }> } }> {
  const res = await fetch(`${server.url}/health`);
  return { status: res.status, body: await res.json() };
}

type ApiHealth = { status: string; checks: Record<string, { status: string; message?: string; details?: Record<string, unknown> }> };
async function apiHealth(): Promise<{ status: number; body: ApiHealth }> {
  const res = await fetch(`${api.url}/api/v1/health`);
  return { status: res.status, body: (await res.json()) as ApiHealth };
}

/** Every stall alert event on the alerts topic so far. */
async function stallAlerts(): Promise<AlertEvent[]> {
  const admin = createKafka(env.config, env.logger).admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(env.topics.alerts).finally(() => admin.disconnect());
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const msgs = await consumeN(env.config, env.topics.alerts, total, 30_000);
  return msgs.map((m) => decodeEvent(m.value!).record as AlertEvent).filter((e) => e.source === STALL_ALERT_SOURCE && e.metric === STALL_ALERT_METRIC);
}

describe('stall detection', () => {
  it('healthy while partitions make progress', async () => {
    await producePoints(env.config, env.topics.metrics, points('svc-ok', 20, Date.now() - 100_000));
    await waitForCommitted(env.config, env.topics.metrics, 30_000);
    // Longer than stallAfterMs with nothing to do: idle is not stalled.
    await new Promise((r) => setTimeout(r, 2500));
    const h = await health();
    expect(h.status, JSON.stringify(h.body)).toBe(200);
    expect(h.body.stalledPartitions).toEqual([]);
  }, 60_000);

  it('a partition that cannot commit: 503 with the partition and the reason, gauge 1, alert raised; all clear once it moves', async () => {
    await setLiveTopicLimit('10');
    const start = Date.now() - 50_000;
    await producePoints(env.config, env.topics.metrics, [...points('svc-a', 20, start), ...points('svc-b', 20, start), ...points('svc-c', 20, start)]);

    const stalled = await waitFor(async () => {
      const h = await health();
      return h.status === 503 && h.body.stalledPartitions.length > 0 ? h : undefined;
    }, 30_000, { message: '/health 503 with a stalled partition' });
    const s = stalled.body.stalledPartitions[0];
    expect(s.lag).toBeGreaterThan(0);
    expect(s.reason).toMatch(/Kafka produce failed \d+ times?/);
    expect(s.reason).toContain('max.message.bytes');
    expect(String(stalled.body.lastError)).toMatch(/Kafka produce failed \d+ times?/);
    expect(stalled.body.healthy).toBe(false);

    const samples = parsePrometheus(await pipeline.registry.metrics());
    expect(sampleValue(samples, 'vigil_pipeline_partition_stalled', { partition: String(s.partition) })).toBe(1);
    expect(sampleValue(samples, 'vigil_pipeline_retries_total', { what: 'Kafka produce' })).toBeGreaterThan(0);

    const firing = await waitFor(async () => (await stallAlerts()).find((e) => e.status === 'firing' && e.ruleId.endsWith(`:${s.partition}`)), 30_000, { message: 'stall alert on the alerts topic' });
    expect(firing.severity).toBe('critical');
    expect(firing.reason).toContain('Kafka produce');

    // The API knows it too (from the stored stall alert): its /health fails the pipeline check.
    const apiDuring = await waitFor(async () => {
      const h = await apiHealth();
      return h.status === 503 ? h : undefined;
    }, 30_000, { message: 'API /health 503 while a partition is stalled' });
    expect(apiDuring.body.checks.pipeline.status).toBe('fail');
    expect(apiDuring.body.checks.pipeline.message).toContain(`partition ${s.partition}`);
    expect(apiDuring.body.checks.pipeline.message).toContain('stalled');

    await setLiveTopicLimit('1048588');
    await waitForCommitted(env.config, env.topics.metrics, 60_000);
    const recovered = await waitFor(async () => {
      const h = await health();
      return h.status === 200 ? h : undefined;
    }, 30_000, { message: '/health back to 200' });
    expect(recovered.body.stalledPartitions).toEqual([]);
    expect(recovered.body.lastError).toBeNull();
    const after = parsePrometheus(await pipeline.registry.metrics());
    expect(sampleValue(after, 'vigil_pipeline_partition_stalled', { partition: String(s.partition) })).toBe(0);
    const events = await waitFor(async () => {
      const all = await stallAlerts();
      return all.some((e) => e.alertId === firing.alertId && e.status === 'resolved') ? all : undefined;
    }, 30_000, { message: 'stall alert resolved' });
    expect(events.filter((e) => e.alertId === firing.alertId).map((e) => `${e.version}:${e.status}`)).toEqual(['1:firing', '2:resolved']);
    const apiAfter = await waitFor(async () => {
      const h = await apiHealth();
      return h.status === 200 ? h : undefined;
    }, 30_000, { message: 'API /health 200 once the stall is resolved' });
    expect(apiAfter.body.checks.pipeline.status).not.toBe('fail');
  }, 180_000);
});
