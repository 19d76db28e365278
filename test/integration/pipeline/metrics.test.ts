/**
 * The pipeline's /metrics and /health on the real broker and server: the counters a scraper
 * reads equal what was sent (points, dead letters by reason, anomaly and alert events as they
 * appear on their topics), lag drains to 0, health follows the consumer, and the CLI serves the
 * same endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { createTestEnv, consumeN, waitFor, type TestEnv } from '../../support/index.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { startPipeline, type PipelineHandle } from '../../../pipeline/runtime/pipeline.ts';
import { startMetricsServer, type MetricsServer } from '../../../pipeline/runtime/metrics-server.ts';
import { decodeEvent, encodeEvent } from '../../../pipeline/codec/events.ts';
import type { AlertCommand, AlertEvent, AnomalyEvent, MetricPoint } from '../../../schemas/records.ts';
import { POINTS_PER_SERIES, SCENARIO, STEP_MS, producePoints, scenarioPoints, waitForCommitted } from './scenario.ts';
import { byLabel, parsePrometheus, sampleValue, type Sample } from '../../unit/pipeline/prom-text.ts';

const vigilBin = fileURLToPath(new URL('../../../bin/vigil', import.meta.url));

let env: TestEnv;
let pipeline: PipelineHandle;
let server: MetricsServer;
/** While set, metrics batches wait before their offset commit (lag that stays put). */
let hold: Promise<void> | null = null;

// A normal series, a spike and a sustained cpu breach: anomalies and alert events of several kinds.
const series = [SCENARIO[0], SCENARIO[1], SCENARIO[4]];
const start = Date.now() - POINTS_PER_SERIES * STEP_MS - 60_000;
const goodPoints = scenarioPoints(start, 7, series);

const now = Date.now();
const good = (i: number): MetricPoint => ({ source: 'svc-bad', metric: 'queue_size', value: i, timestamp: now - 10_000 + i, tags: {} });
const badRecords = [
  { key: 'svc-bad/queue_size', value: Buffer.from('not avro at all'), reason: 'bad-framing' },
  { key: 'svc-bad/queue_size', value: Buffer.from('still not avro'), reason: 'bad-framing' },
  { key: null, value: encodeEvent('metric', good(1)), reason: 'missing-key' },
  { key: 'svc-bad/queue_size', value: encodeEvent('metric', { ...good(2), value: Number.NaN }), reason: 'invalid-value' },
  { key: 'svc-bad/queue_size', value: encodeEvent('metric', good(3)).subarray(0, 14), reason: 'decode-error' },
  { key: 'svc-bad/queue_size', value: encodeEvent('metric', { ...good(4), source: 'svc-other' }), reason: 'key-mismatch' },
];
const badCommands = [Buffer.from('{"type":"resolve"}'), encodeEvent('metric', good(5))];
const unknownAlertCommand: AlertCommand = {
  commandId: 'cmd-unknown-alert', type: 'acknowledge', alertId: 'no-such-alert', source: 'svc-a', metric: 'cpu_usage', actor: 'test', comment: '', issuedAt: now,
};

async function get(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${server.url}${path}`, init);
}

async function scrape(): Promise<Sample[]> {
  const res = await get('/metrics');
  expect(res.status).toBe(200);
  return parsePrometheus(await res.text());
}

const total = (samples: Sample[], name: string) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);

beforeAll(async () => {
  env = await createTestEnv('pipeline-metrics', { overrides: { pipeline: { windowSize: 200, workerThreads: 1, httpPort: 0 } } });
  pipeline = await startPipeline(env.config, env.logger, {
    snapshotIntervalMs: 1000,
    beforeCommit: async () => {
      if (hold) await hold;
    },
  });
  server = await startMetricsServer({ host: env.config.pipeline.httpHost, port: env.config.pipeline.httpPort, logger: env.logger, pipeline });

  await producePoints(env.config, env.topics.metrics, goodPoints);
  const kafka = createKafka(env.config, env.logger);
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic: env.topics.metrics, acks: -1, messages: badRecords.map((b) => ({ key: b.key, value: b.value, partition: 0 })) });
    await producer.send({
      topic: env.topics.commands,
      acks: -1,
      messages: [
        ...badCommands.map((value) => ({ key: 'svc-a/cpu_usage', value })),
        { key: 'svc-a/cpu_usage', value: encodeEvent('command', unknownAlertCommand) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  await waitForCommitted(env.config, env.topics.metrics, 120_000);
  await waitForCommitted(env.config, env.topics.commands, 60_000);
  await pipeline.idle(); // counters move right after the commit: let the lanes finish
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
  await server?.close();
  await env?.cleanup();
});

describe('GET /metrics', () => {
  it('counts every point and every dead letter by reason', async () => {
    const s = await scrape();
    expect(sampleValue(s, 'vigil_pipeline_points_total')).toBe(goodPoints.length);
    expect(sampleValue(s, 'vigil_pipeline_points_total')).toBe(pipeline.stats().points);
    const expected: Record<string, number> = { 'invalid-command': badCommands.length };
    for (const b of badRecords) expected[b.reason] = (expected[b.reason] ?? 0) + 1;
    const dlq = Object.fromEntries(Object.entries(byLabel(s, 'vigil_pipeline_dlq_total', 'reason')).filter(([, n]) => n > 0));
    expect(dlq).toEqual(expected);
    // The dead-letter topic holds exactly as many records as the counters say.
    const letters = await consumeN(env.config, env.topics.dlq, badRecords.length + badCommands.length, 30_000);
    const reasons: Record<string, number> = {};
    for (const m of letters) {
      const r = String(m.headers?.['vigil-dlq-reason']);
      reasons[r] = (reasons[r] ?? 0) + 1;
    }
    expect(reasons).toEqual(expected);
  });

  it('counts anomaly and alert events as they appear on their topics', async () => {
    const s = await scrape();
    const anomalyCount = total(s, 'vigil_pipeline_anomalies_total');
    const alertCount = total(s, 'vigil_pipeline_alert_events_total');
    expect(anomalyCount).toBeGreaterThan(0);
    expect(alertCount).toBeGreaterThan(0);
    const anomalies = await consumeN(env.config, env.topics.anomalies, anomalyCount, 30_000);
    const byType: Record<string, number> = {};
    for (const m of anomalies) {
      const { type } = decodeEvent(m.value!).record as AnomalyEvent;
      byType[type] = (byType[type] ?? 0) + 1;
    }
    expect(Object.fromEntries(Object.entries(byLabel(s, 'vigil_pipeline_anomalies_total', 'type')).filter(([, n]) => n > 0))).toEqual(byType);
    expect(byType.spike).toBeGreaterThanOrEqual(1);

    const alerts = await consumeN(env.config, env.topics.alerts, alertCount, 30_000);
    const counted: Record<string, number> = {};
    for (const m of alerts) {
      const e = decodeEvent(m.value!).record as AlertEvent;
      counted[`${e.status}/${e.severity}`] = (counted[`${e.status}/${e.severity}`] ?? 0) + 1;
    }
    const exposed: Record<string, number> = {};
    for (const x of s) if (x.name === 'vigil_pipeline_alert_events_total' && x.value > 0) exposed[`${x.labels.status}/${x.labels.severity}`] = x.value;
    expect(exposed).toEqual(counted);
    expect(counted['firing/critical']).toBeGreaterThanOrEqual(1); // svc-e's cpu breach
    // Nothing beyond what the counters say (a short wait for a stray extra message).
    await expect(consumeN(env.config, env.topics.alerts, alertCount + 1, 10_000)).rejects.toThrow(`${alertCount} of ${alertCount + 1}`);
  });

  it('counts operator commands by result', async () => {
    const s = await scrape();
    expect(byLabel(s, 'vigil_pipeline_commands_total', 'result')).toEqual({ applied: 0, rejected: 1, invalid: badCommands.length });
  });

  it('times every committed batch and shows the state it holds', async () => {
    const s = await scrape();
    const batches = sampleValue(s, 'vigil_pipeline_batches_total')!;
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBe(pipeline.stats().batches);
    expect(sampleValue(s, 'vigil_pipeline_batch_seconds_count')).toBe(batches);
    expect(sampleValue(s, 'vigil_pipeline_scoring_seconds_count')).toBe(batches);
    expect(sampleValue(s, 'vigil_pipeline_batch_seconds_sum')).toBeGreaterThan(0);
    expect(sampleValue(s, 'vigil_pipeline_batch_seconds_sum')!).toBeGreaterThanOrEqual(sampleValue(s, 'vigil_pipeline_scoring_seconds_sum')!);
    // The alert path's share: decode → outputs acknowledged, within decode → commit; the produce within that.
    expect(sampleValue(s, 'vigil_pipeline_outputs_produced_seconds_count')).toBe(batches);
    expect(sampleValue(s, 'vigil_pipeline_outputs_produced_seconds_sum')!).toBeGreaterThan(0);
    expect(sampleValue(s, 'vigil_pipeline_outputs_produced_seconds_sum')!).toBeLessThanOrEqual(sampleValue(s, 'vigil_pipeline_batch_seconds_sum')!);
    expect(sampleValue(s, 'vigil_pipeline_produce_seconds_sum')!).toBeLessThanOrEqual(sampleValue(s, 'vigil_pipeline_outputs_produced_seconds_sum')!);
    expect(sampleValue(s, 'vigil_pipeline_fetch_round_seconds_count')!).toBeGreaterThanOrEqual(1);
    // Scoring's worker round trips are part of the batches' scoring time.
    expect(sampleValue(s, 'vigil_pipeline_worker_pool_task_seconds')!).toBeGreaterThan(0);
    expect(sampleValue(s, 'vigil_pipeline_worker_pool_task_seconds')! + sampleValue(s, 'vigil_pipeline_worker_pool_wait_seconds')!).toBeLessThanOrEqual(sampleValue(s, 'vigil_pipeline_scoring_seconds_sum')! + 1e-6);
    expect(sampleValue(s, 'vigil_pipeline_owned_partitions')).toBe(env.config.kafka.partitions);
    const seriesByPartition = byLabel(s, 'vigil_pipeline_series', 'partition');
    expect(Object.values(seriesByPartition).reduce((a, b) => a + b, 0)).toBe(series.length); // svc-bad sent no valid point
    expect(seriesByPartition).toEqual(Object.fromEntries(pipeline.stats().seriesByPartition.map((x) => [String(x.partition), x.series])));
    expect(sampleValue(s, 'vigil_pipeline_series_limit')).toBe(pipeline.stats().seriesLimit);
    expect(sampleValue(s, 'vigil_pipeline_window_state_bytes')).toBe(pipeline.stats().windowBytes);
    expect(sampleValue(s, 'vigil_pipeline_window_state_bytes')).toBeGreaterThan(0);
    const utilization = sampleValue(s, 'vigil_pipeline_worker_pool_utilization')!;
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThanOrEqual(1);
    expect(sampleValue(s, 'vigil_pipeline_worker_threads')).toBe(1);
    expect(sampleValue(s, 'vigil_pipeline_last_batch_timestamp_seconds')! * 1000).toBe(pipeline.stats().lastBatchAt);
    expect(sampleValue(s, 'vigil_pipeline_consumer_running')).toBe(1);
    expect(s.some((x) => x.name === 'process_resident_memory_bytes' && x.value > 0)).toBe(true);
  });

  it('reports lag per owned partition, drained to 0 once everything is committed', async () => {
    const lag = await waitFor(
      async () => {
        const l = byLabel(await scrape(), 'vigil_pipeline_consumer_lag', 'partition');
        return Object.keys(l).length === env.config.kafka.partitions && Object.values(l).every((n) => n === 0) ? l : false;
      },
      15_000,
      { intervalMs: 500, message: 'lag 0 on every partition' },
    );
    expect(Object.keys(lag).sort()).toEqual(Array.from({ length: env.config.kafka.partitions }, (_, p) => String(p)));
  });

  it('shows the records a held-up partition has not committed, and 0 again once it commits', async () => {
    let release!: () => void;
    hold = new Promise<void>((r) => (release = r));
    const burst = Array.from({ length: 300 }, (_, i) => ({ ...good(i), source: 'svc-burst' }));
    try {
      await producePoints(env.config, env.topics.metrics, burst); // one key: one partition
      const lag = await waitFor(
        async () => {
          const l = byLabel(await scrape(), 'vigil_pipeline_consumer_lag', 'partition');
          return Object.values(l).reduce((a, b) => a + b, 0) === burst.length ? l : false;
        },
        20_000,
        { intervalMs: 500, message: `lag of ${burst.length} while the batch is held before its commit` },
      );
      expect(Object.values(lag).filter((n) => n > 0)).toEqual([burst.length]);
    } finally {
      release();
      hold = null;
    }
    await waitForCommitted(env.config, env.topics.metrics, 60_000);
    await waitFor(
      async () => {
        const s = await scrape();
        return sampleValue(s, 'vigil_pipeline_points_total') === goodPoints.length + burst.length && total(s, 'vigil_pipeline_consumer_lag') === 0;
      },
      15_000,
      { intervalMs: 500, message: 'burst counted and lag back to 0' },
    );
  });
});

describe('GET /health and hostile requests', () => {
  it('is 200 with the instance and its partitions while consuming', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const h = await res.json();
    expect(h).toMatchObject({ status: 'running', healthy: true, instanceId: pipeline.instanceId, groupId: env.config.kafka.groupId, lastError: null });
    expect(h.ownedPartitions).toEqual(Array.from({ length: env.config.kafka.partitions }, (_, p) => p));
    expect(h.lastBatchAt).toBe(pipeline.stats().lastBatchAt);
    expect(h.pool.threads).toBe(1);
  });

  it('refuses unknown paths, other methods and huge targets, and keeps consuming', async () => {
    expect((await get('/')).status).toBe(404);
    expect((await get('/metrics/../../etc/passwd')).status).toBe(404);
    expect((await get("/health?x=' OR 1=1 --")).status).toBe(200);
    expect((await get('/metrics', { method: 'POST', body: 'vigil_pipeline_points_total 0' })).status).toBe(405);
    expect((await get('/health', { method: 'PUT', body: '{}' })).status).toBe(405);
    expect((await get(`/metrics?${'x'.repeat(8000)}`)).status).toBe(414);
    const before = sampleValue(await scrape(), 'vigil_pipeline_points_total')!;
    await producePoints(env.config, env.topics.metrics, [{ ...good(9), source: 'svc-after' }]);
    await waitFor(async () => sampleValue(await scrape(), 'vigil_pipeline_points_total') === before + 1, 30_000, { message: 'a point after the hostile requests' });
  });

  it('is 503 once the pipeline stopped; /metrics keeps the final figures', async () => {
    const points = pipeline.stats().points;
    await pipeline.stop();
    const res = await get('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'stopped', healthy: false });
    const s = await scrape();
    expect(sampleValue(s, 'vigil_pipeline_consumer_running')).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_points_total')).toBe(points);
    expect(byLabel(s, 'vigil_pipeline_consumer_lag', 'partition')).toEqual({});
  });
});

describe('vigil pipeline (CLI)', () => {
  function spawnPipeline(port: string) {
    const child = spawn(vigilBin, ['pipeline', '--stats-every', '0'], {
      env: {
        ...process.env,
        VIGIL_CONFIG: '',
        VIGIL_LOG_LEVEL: 'info',
        VIGIL_KAFKA_BROKERS: env.config.kafka.brokers.join(','),
        VIGIL_TOPIC_PREFIX: env.config.kafka.topicPrefix,
        VIGIL_KAFKA_GROUP_ID: env.config.kafka.groupId,
        VIGIL_KAFKA_PARTITIONS: String(env.config.kafka.partitions),
        VIGIL_CLICKHOUSE_URL: env.config.clickhouse.url,
        VIGIL_CLICKHOUSE_DATABASE: env.config.clickhouse.database,
        VIGIL_WORKER_THREADS: '1',
        VIGIL_PIPELINE_HTTP_HOST: '127.0.0.1',
        VIGIL_PIPELINE_HTTP_PORT: port,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    return { child, exited, out: () => stdout, err: () => stderr };
  }

  it('serves /health and /metrics on the configured port and exits cleanly on SIGTERM', async () => {
    const p = spawnPipeline('0');
    try {
      const url = await waitFor(
        () => {
          const line = p.out().split('\n').find((l) => l.includes('serving /metrics and /health'));
          return line ? (JSON.parse(line) as { url: string }).url : undefined;
        },
        30_000,
        { message: `the child to log its URL (stderr: ${p.err()})` },
      );
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const h = await waitFor(async () => {
        const res = await fetch(`${url}/health`);
        return res.status === 200 ? res.json() : false;
      }, 60_000, { intervalMs: 250, message: 'child /health 200' });
      expect(h).toMatchObject({ status: 'running', groupId: env.config.kafka.groupId });
      const s = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
      expect(sampleValue(s, 'vigil_pipeline_owned_partitions')).toBe(env.config.kafka.partitions);
      expect(sampleValue(s, 'vigil_pipeline_consumer_running')).toBe(1);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 90_000);

  it('a taken port stops it before it joins the group, naming the port', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    try {
      const p = spawnPipeline(String(port));
      const code = await p.exited;
      expect(code).not.toBe(0);
      expect(p.err() + p.out()).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(p.out()).not.toContain('partitions assigned');
    } finally {
      holder.close();
    }
  }, 60_000);
});
