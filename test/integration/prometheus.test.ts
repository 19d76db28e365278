/**
 * Vigil as Prometheus sees it: the real pipeline, gateway, API and on-call process on the shared
 * stack, scraped every second by Debian's prometheus (deploy/prometheus/server.ts) with Vigil's
 * own alerting rules, and every figure read back through Prometheus' HTTP query API — ingest
 * rate, consumer lag (held, then drained), stalled partitions, the batch latency histogram,
 * worker-pool utilisation, WebSocket connections, notifications per receiver and result — and
 * rules that evaluate, go pending and (a dead notification) fire on real series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import WebSocket from 'ws';
import { createTestEnv, incidentPublisher, startHttpReceiver, testAlert, testIncident, waitFor, type HttpReceiver, type TestEnv } from '../support/index.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { startPipeline, type PipelineHandle } from '../../pipeline/runtime/pipeline.ts';
import { startMetricsServer, type MetricsServer } from '../../pipeline/runtime/metrics-server.ts';
import { startGateway } from '../../gateway/index.ts';
import { startApi } from '../../api/index.ts';
import { startOncall, type OncallProcess } from '../../oncall/runtime.ts';
import { rulesFile } from '../../deploy/prometheus/config.ts';
import { digestForm } from '../../core/secrets.ts';
import { startPrometheus, type PrometheusProcess } from '../../deploy/prometheus/server.ts';
import type { PromAlert } from '../../deploy/prometheus/api.ts';

let env: TestEnv;
let pipeline: PipelineHandle;
let metricsServer: MetricsServer;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: Awaited<ReturnType<typeof startApi>>;
let oncall: OncallProcess;
let oncallServer: MetricsServer;
let prometheus: PrometheusProcess;
let receiver: HttpReceiver;

/** While set, metrics batches wait before their offset commit: lag that stays put. */
let hold: Promise<void> | null = null;
let firstHeldAt: number | null = null;

const PARTITIONS = 4;
const SOURCES = 6;
const PER_SOURCE = 100;
const HOSTILE = [
  { source: '', metric: 'queue_size', value: 1 },
  { source: 'svc-prom-0', metric: 'queue_size', value: 'NaN' },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The API's /metrics needs a `metrics` key once keys are set; the config holds only its digest. */
const SCRAPE_KEY = 'prometheus-scrape-key-0123456789';
const INGEST_KEY = 'prometheus-ingest-key-0123456789';

beforeAll(async () => {
  receiver = await startHttpReceiver();
  receiver.always('/broken', 500);
  env = await createTestEnv('prometheus', {
    partitions: PARTITIONS,
    overrides: {
      api: {
        port: 0,
        apiKeys: [
          { key: digestForm(SCRAPE_KEY), roles: ['metrics'], name: 'prometheus' },
          { key: INGEST_KEY, roles: ['ingest'], name: 'loader' },
        ],
      },
      gateway: { port: 0 },
      pipeline: { httpPort: 0, windowSize: 50, workerThreads: 1, stallAfterMs: 2000 },
      // The notifier of the on-call process: one receiver that works, one that always answers 500.
      notify: {
        receivers: [
          { type: 'webhook', name: 'ops-hook', url: `${receiver.url}/ok`, secret: 'prometheus-test-secret-1', timeoutMs: 1000 },
          { type: 'webhook', name: 'broken-hook', url: `${receiver.url}/broken`, secret: 'prometheus-test-secret-2', timeoutMs: 1000 },
        ],
        route: { receiver: 'ops-hook', routes: [{ matchers: ['source="svc-broken"'], receiver: 'broken-hook' }] },
        groupWaitMs: 200,
        groupIntervalMs: 1000,
        tickMs: 50,
        // Attempts 1.5 s apart: each failure is scraped (1 s) before the next count moves.
        retries: { maxAttempts: 3, initialDelayMs: 1500, maxDelayMs: 1500, jitter: 0 },
      },
    },
  });
  pipeline = await startPipeline(env.config, env.logger, {
    beforeCommit: async () => {
      if (!hold) return;
      firstHeldAt ??= Date.now();
      await hold;
    },
  });
  [metricsServer, gateway, api, oncall, oncallServer] = await Promise.all([
    startMetricsServer({ host: '127.0.0.1', port: 0, logger: env.logger, pipeline }),
    startGateway(env.config, env.logger),
    startApi(env.config, env.logger),
    startOncall(env.config, env.logger, { skipSetup: true }),
    startMetricsServer({ host: '127.0.0.1', port: 0, logger: env.logger }),
  ]);
  oncallServer.attach(oncall);
  prometheus = await startPrometheus({
    logger: env.logger,
    scrapeIntervalSec: 1,
    evaluationIntervalSec: 1,
    apiKey: SCRAPE_KEY,
    targets: {
      'vigil-pipeline': [`127.0.0.1:${metricsServer.port}`],
      'vigil-gateway': [`127.0.0.1:${gateway.port}`],
      'vigil-api': [new URL(api.url).host],
      'vigil-oncall': [`127.0.0.1:${oncallServer.port}`],
    },
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.close();
  await oncall?.close();
  await oncallServer?.close();
  await api?.close();
  await gateway?.close();
  await pipeline?.stop();
  await metricsServer?.close();
  await env?.cleanup();
  await receiver?.close();
});

/** The single value of an instant query (fails on none or several series). */
async function value(expr: string): Promise<number> {
  const samples = await prometheus.api.query(expr);
  if (samples.length !== 1) throw new Error(`${expr}: expected one series, got ${samples.length}`);
  return samples[0].value;
}

/** Waits until `expr` has one series whose value passes `ok`; returns it. */
async function until(expr: string, ok: (v: number) => boolean, timeoutMs = 15_000): Promise<number> {
  let last: number | undefined;
  await waitFor(
    async () => {
      last = await value(expr);
      return ok(last);
    },
    timeoutMs,
    { intervalMs: 250, message: `${expr} (last value ${last}); Prometheus log:\n${prometheus.logTail(5)}` },
  );
  return last!;
}

async function alertsNamed(name: string): Promise<PromAlert[]> {
  return (await prometheus.api.alerts()).filter((a) => a.labels.alertname === name);
}

async function post(points: unknown[]): Promise<{ status: number; body: { accepted: number; rejected: number } }> {
  const res = await fetch(`${api.url}/api/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': INGEST_KEY }, body: JSON.stringify({ points }) });
  return { status: res.status, body: (await res.json()) as { accepted: number; rejected: number } };
}

describe('Prometheus scraping Vigil', () => {
  it('scrapes the pipeline, the gateway, the API and the on-call process', async () => {
    await waitFor(async () => (await prometheus.api.targets()).filter((t) => t.health === 'up').length === 4, 20_000, { message: 'four targets up' });
    const targets = await prometheus.api.targets();
    expect(targets.map((t) => t.labels.job).sort()).toEqual(['vigil-api', 'vigil-gateway', 'vigil-oncall', 'vigil-pipeline']);
    expect(targets.every((t) => t.lastError === '')).toBe(true);
    const up = await prometheus.api.query('up');
    expect(up.map((s) => [s.labels.job, s.value]).sort()).toEqual([['vigil-api', 1], ['vigil-gateway', 1], ['vigil-oncall', 1], ['vigil-pipeline', 1]]);
    await until('vigil_pipeline_owned_partitions', (v) => v === PARTITIONS, 30_000);
    expect(await until('count(vigil_pipeline_partition_stalled == 0)', (v) => v === PARTITIONS)).toBe(PARTITIONS);
  });

  it("loads Vigil's alerting rules, each with a severity, a summary and a description, and evaluates them without error", async () => {
    const alertNames = [...readFileSync(rulesFile, 'utf8').matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]);
    const groups = await waitFor(
      async () => {
        const g = await prometheus.api.rules();
        const rules = g.flatMap((x) => x.rules);
        return rules.length === alertNames.length && rules.every((r) => r.health === 'ok') ? g : false;
      },
      15_000,
      { message: 'every rule evaluated with health ok' },
    );
    expect(groups.map((g) => g.name).sort()).toEqual(['vigil-notifications', 'vigil-pipeline', 'vigil-serving', 'vigil-targets']);
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual([...alertNames].sort());
    for (const r of rules) {
      expect(r.type, r.name).toBe('alerting');
      expect(['critical', 'warning'], r.name).toContain(r.labels?.severity);
      expect(r.annotations?.summary?.length ?? 0, r.name).toBeGreaterThan(10);
      expect(r.annotations?.description?.length ?? 0, r.name).toBeGreaterThan(40);
    }
  });

  it('sees ingest through the API, consumer lag and stalled partitions while commits are held, and both clear once they run', async () => {
    let release!: () => void;
    hold = new Promise<void>((r) => (release = r));
    const now = Date.now();
    const points = Array.from({ length: SOURCES * PER_SOURCE }, (_, i) => ({
      source: `svc-prom-${i % SOURCES}`,
      metric: 'queue_size',
      value: 50 + (i % 7),
      timestamp: now - 120_000 + Math.floor(i / SOURCES) * 1000,
    }));
    try {
      // Both results are exposed from the start, so rate() sees the first burst.
      expect(await until('vigil_api_ingest_points_total{result="accepted"}', (v) => v === 0)).toBe(0);
      // Hostile points ride along: refused one by one, counted as rejected, the rest accepted.
      const first = await post([...HOSTILE, ...points.slice(0, 200)]);
      expect(first).toEqual({ status: 202, body: expect.objectContaining({ accepted: 200, rejected: HOSTILE.length }) });
      for (let i = 200; i < points.length; i += 200) expect((await post(points.slice(i, i + 200))).status).toBe(202);

      expect(await until('vigil_api_ingest_points_total{result="accepted"}', (v) => v === points.length)).toBe(points.length);
      expect(await value('vigil_api_ingest_points_total{result="rejected"}')).toBe(HOSTILE.length);
      expect(await until('rate(vigil_api_ingest_points_total{result="accepted"}[20s])', (v) => v > 0)).toBeGreaterThan(0);

      // Nothing is committed: every point produced is lag, spread over the owned partitions.
      expect(await until('sum(vigil_pipeline_consumer_lag)', (v) => v === points.length)).toBe(points.length);
      const perPartition = await prometheus.api.query('vigil_pipeline_consumer_lag');
      expect(perPartition.map((s) => s.labels.partition).sort()).toEqual(['0', '1', '2', '3']);
      expect(perPartition.filter((s) => s.value > 0).length).toBeGreaterThan(1);
      expect(await value('vigil_pipeline_points_total')).toBe(0);

      // Records wait and no batch was ever committed: the no-commit rule is pending (its `for` is 1 m).
      await waitFor(async () => (await alertsNamed('VigilNoCommits')).some((a) => a.state === 'pending'), 15_000, { message: 'VigilNoCommits pending' });
      // No progress for longer than pipeline.stallAfterMs (2 s): the partitions with lag are stalled.
      const stalled = await until('sum(vigil_pipeline_partition_stalled)', (v) => v >= 1);
      expect(stalled).toBeLessThanOrEqual(perPartition.filter((x) => x.value > 0).length);
      const stallAlert = await waitFor(async () => (await alertsNamed('VigilPartitionStalled')).find((a) => a.state === 'pending'), 15_000, { message: 'VigilPartitionStalled pending' });
      expect(perPartition.find((x) => x.labels.partition === stallAlert.labels.partition)?.value).toBeGreaterThan(0);

      // Hold at least 1.5 s so the held batches land above the histogram's 1 s bucket.
      await waitFor(() => firstHeldAt !== null, 10_000, { message: 'a batch reached its commit' });
      await sleep(Math.max(0, firstHeldAt! + 1500 - Date.now()));
    } finally {
      hold = null;
      release();
    }

    expect(await until('sum(vigil_pipeline_consumer_lag)', (v) => v === 0, 30_000)).toBe(0);
    expect(await until('vigil_pipeline_points_total', (v) => v === points.length, 15_000)).toBe(points.length);
    const rate = await until('rate(vigil_pipeline_points_total[20s])', (v) => v > 0);
    // All points were committed within the window: the rate cannot exceed them per second of it.
    expect(rate).toBeLessThanOrEqual(points.length);
    await waitFor(async () => (await alertsNamed('VigilNoCommits')).length === 0, 15_000, { message: 'VigilNoCommits cleared after the commits' });
    expect(await until('sum(vigil_pipeline_partition_stalled)', (v) => v === 0)).toBe(0);
    await waitFor(async () => (await alertsNamed('VigilPartitionStalled')).length === 0, 15_000, { message: 'VigilPartitionStalled cleared' });
  });

  it('has a batch latency histogram that saw the held batches take more than a second', async () => {
    const count = await until('vigil_pipeline_batch_seconds_count', (v) => v >= 1);
    expect(await value('vigil_pipeline_batch_seconds_bucket{le="+Inf"}')).toBe(count);
    const slow = await value('vigil_pipeline_batch_seconds_count - ignoring(le) vigil_pipeline_batch_seconds_bucket{le="1"}');
    expect(slow).toBeGreaterThanOrEqual(1);
    expect(slow).toBeLessThanOrEqual(count);
    expect(await value('vigil_pipeline_batch_seconds_sum')).toBeGreaterThanOrEqual(1.5);
    // What a dashboard plots: a finite p99 above the 1 s bucket.
    const p99 = await value('histogram_quantile(0.99, sum by (le) (rate(vigil_pipeline_batch_seconds_bucket[1m])))');
    expect(Number.isFinite(p99)).toBe(true);
    expect(p99).toBeGreaterThan(1);
    expect(await value('vigil_pipeline_scoring_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  it('reports worker-pool utilisation between 0 and 1 after scoring, and its thread count', async () => {
    const utilisation = await until('vigil_pipeline_worker_pool_utilization', (v) => v > 0);
    expect(utilisation).toBeLessThanOrEqual(1);
    expect(await value('vigil_pipeline_worker_threads')).toBe(1);
    expect(await value('vigil_pipeline_worker_pool_queued')).toBeGreaterThanOrEqual(0);
  });

  it('counts open WebSocket connections as clients come and go', async () => {
    const before = await value('vigil_gateway_connections_total');
    const sockets = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws?channels=alerts`);
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    try {
      expect(await until('vigil_gateway_connections', (v) => v === 3)).toBe(3);
      sockets[0].close();
      expect(await until('vigil_gateway_connections', (v) => v === 2)).toBe(2);
      expect(await value('vigil_gateway_connections_total')).toBe(before + 3);
      expect(await value('vigil_gateway_healthy')).toBe(1);
    } finally {
      for (const ws of sockets) ws.close();
    }
  });

  it('turns a dead-lettered record into a pending VigilDeadLetters alert with its reason, and nothing fires', async () => {
    const producer = createKafka(env.config, env.logger).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic: env.topics.metrics, acks: -1, messages: [{ key: 'svc-prom-0/queue_size', value: Buffer.from('not avro at all'), partition: 0 }] });
    } finally {
      await producer.disconnect();
    }
    expect(await until('vigil_pipeline_dlq_total{reason="bad-framing"}', (v) => v === 1, 20_000)).toBe(1);
    const pending = await waitFor(async () => (await alertsNamed('VigilDeadLetters')).find((a) => a.state === 'pending'), 15_000, { message: 'VigilDeadLetters pending' });
    expect(pending.labels).toMatchObject({ job: 'vigil-pipeline', reason: 'bad-framing', severity: 'warning' });
    expect(pending.annotations.summary).toContain('bad-framing');
    // A healthy Vigil under this load must not page anyone.
    expect((await prometheus.api.alerts()).filter((a) => a.state === 'firing')).toEqual([]);
  });

  it('counts notifications per receiver and result, and a dead notification fires VigilNotificationsDead', async () => {
    // Exposed at 0 before anything is sent, so increase() sees the first dead notification.
    expect(await until('vigil_notifications_total{receiver="broken-hook", result="dead"}', (v) => v === 0)).toBe(0);
    const kafka = createKafka(env.config, env.logger);
    const publisher = await incidentPublisher(kafka, env.topics.incidents, `${env.config.kafka.topicPrefix}prom-incidents`);
    try {
      await publisher.publish(testIncident('svc-ok', 1, [testAlert('svc-ok')]), testIncident('svc-broken', 1, [testAlert('svc-broken')]));
    } finally {
      await publisher.close();
    }
    expect(await until('vigil_notifications_total{receiver="ops-hook", result="sent"}', (v) => v >= 1, 20_000)).toBeGreaterThanOrEqual(1);
    expect(await until('vigil_notification_latency_seconds_count{receiver="ops-hook"}', (v) => v >= 1)).toBeGreaterThanOrEqual(1);
    expect(await until('vigil_notifications_total{receiver="broken-hook", result="dead"}', (v) => v === 1, 20_000)).toBe(1);
    // Three attempts: two failed and retried, the last one dead.
    expect(await value('vigil_notifications_total{receiver="broken-hook", result="failed"}')).toBe(2);
    expect(receiver.on('/broken').length).toBe(3);
    expect(await value('vigil_notifications_total{receiver="broken-hook", result="sent"}')).toBe(0);
    expect(await until('sum(rate(vigil_notifications_total{result="failed"}[30s]))', (v) => v > 0)).toBeGreaterThan(0);

    const firing = await waitFor(async () => (await alertsNamed('VigilNotificationsDead')).find((a) => a.state === 'firing'), 15_000, {
      message: 'VigilNotificationsDead firing',
    });
    expect(firing.labels).toMatchObject({ job: 'vigil-oncall', receiver: 'broken-hook', severity: 'critical' });
    expect(firing.annotations.summary).toBe('notifications to broken-hook were given up');
    // The receiver that works raises nothing.
    expect((await alertsNamed('VigilNotificationsDead')).filter((a) => a.labels.receiver === 'ops-hook')).toEqual([]);
  });
});
