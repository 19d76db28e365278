import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import pino from 'pino';
import { toDlqMessage } from '../../../pipeline/ingest/dlq.ts';
import {
  cachedAsync,
  consumerLag,
  createPipelineMetrics,
  nextConsumerStatus,
  type ConsumerEvent,
  type ConsumerStatus,
  type GaugeSource,
  type PartitionLag,
} from '../../../pipeline/runtime/pipeline-metrics.ts';
import { MAX_TARGET_LENGTH, route, startMetricsServer, type MetricsServer, type ObservedPipeline } from '../../../pipeline/runtime/metrics-server.ts';
import type { PipelineHealth } from '../../../pipeline/runtime/pipeline.ts';
import type { AlertEvent, AnomalyEvent, CommandResult } from '../../../schemas/records.ts';
import { byLabel, parsePrometheus, sampleValue } from './prom-text.ts';

const logger = pino({ level: 'silent' });

function anomaly(type: AnomalyEvent['type'], version = 1): AnomalyEvent {
  return { id: `a-${type}-${version}`, source: 's', metric: 'm', type, version, startTimestamp: 1, detectedTimestamp: 2, value: 9, expected: 1, zscore: 8, score: 0.9, confidence: 0.9, pointCount: 1 };
}

function alert(status: AlertEvent['status'], severity: AlertEvent['severity']): AlertEvent {
  return {
    eventId: `e-${status}-${severity}`, alertId: 'x', fingerprint: 's|m|r', source: 's', metric: 'm', ruleId: 'r', kind: 'threshold', severity, status, version: 1,
    timestamp: 1, openedAt: 1, value: 1, threshold: 1, message: '', actor: 'pipeline', reason: '', tags: {},
  };
}

const dlqMessage = (reason: string) => toDlqMessage({ key: 'k', value: Buffer.from('x') }, reason, 'detail', { topic: 't', partition: 0, offset: '1' });

type FakeSource = GaugeSource & { lagCalls: number; lag: PartitionLag[]; status: ConsumerStatus };

function fakeSource(over: Partial<GaugeSource> = {}): FakeSource {
  const src: FakeSource = {
    lagCalls: 0,
    lag: [] as PartitionLag[],
    status: 'running' as ConsumerStatus,
    snapshot: () => ({ ownedPartitions: [0, 2, 3], series: 17, seriesByPartition: [{ partition: 0, series: 10 }, { partition: 2, series: 7 }, { partition: 3, series: 0 }], seriesLimit: 8334, windowBytes: 123_456, lastBatchAt: 1_700_000_000_000, pool: { threads: 2, queued: 5, utilization: 0.25 } }),
    consumerStatus: (): ConsumerStatus => src.status,
    consumerLag: async () => {
      src.lagCalls++;
      return src.lag;
    },
    ...over,
  };
  return src;
}

async function scrape(metrics: { registry: { metrics(): Promise<string> } }) {
  return parsePrometheus(await metrics.registry.metrics());
}

describe('consumer status for /health', () => {
  const run = (events: ConsumerEvent[], from: ConsumerStatus = 'starting') => events.reduce(nextConsumerStatus, from);

  it('is running only after joining the group', () => {
    expect(run([])).toBe('starting');
    expect(run(['join'])).toBe('running');
  });

  it("follows kafkajs's crash sequence (its own STOP, then CRASH, then a new join if it restarts)", () => {
    expect(run(['join', 'stop'])).toBe('crashed');
    expect(run(['join', 'stop', 'crash-restart'])).toBe('restarting');
    expect(run(['join', 'stop', 'crash-restart', 'join'])).toBe('running');
    expect(run(['join', 'stop', 'crash'])).toBe('crashed');
  });

  it('a requested stop is final: a late join or crash does not bring it back', () => {
    expect(run(['join', 'stop-requested'])).toBe('stopping');
    expect(run(['join', 'stop-requested', 'join', 'crash-restart'])).toBe('stopping');
    expect(run(['join', 'stop-requested', 'stop'])).toBe('stopped');
    expect(run(['join', 'stop-requested', 'stop', 'join', 'stop-requested', 'crash-restart'])).toBe('stopped');
  });
});

describe('consumerLag', () => {
  const ends = [
    { partition: 0, high: '100', low: '0' },
    { partition: 1, high: '50', low: '10' },
    { partition: 2, high: '7', low: '7' },
    { partition: 3, high: '9007199254740993', low: '0' },
  ];

  it('is end minus committed for owned partitions only, sorted by partition', () => {
    const committed = [
      { partition: 0, offset: '60' },
      { partition: 1, offset: '50' },
      { partition: 2, offset: '-1' },
      { partition: 3, offset: '9007199254740990' },
    ];
    expect(consumerLag(ends, committed, [3, 0, 2])).toEqual([
      { partition: 0, lag: 40 },
      { partition: 2, lag: 0 },
      { partition: 3, lag: 3 }, // computed in bigint: no float rounding of 64-bit offsets
    ]);
  });

  it('counts every retained record of a partition the group never committed', () => {
    expect(consumerLag(ends, [], [1])).toEqual([{ partition: 1, lag: 40 }]);
  });

  it('never goes negative (committed ahead of a stale end offset)', () => {
    expect(consumerLag(ends, [{ partition: 0, offset: '120' }], [0])).toEqual([{ partition: 0, lag: 0 }]);
  });
});

describe('cachedAsync', () => {
  it('shares one in-flight call, reuses the result for ttl, then asks again', async () => {
    let t = 0;
    let calls = 0;
    const get = cachedAsync(async () => ++calls, { ttlMs: 1000, timeoutMs: 1000, now: () => t });
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    t = 999;
    expect(await get()).toBe(1);
    t = 1000;
    expect(await get()).toBe(2);
    expect(calls).toBe(2);
  });

  it('does not cache a failure, and fails a call slower than the timeout', async () => {
    let calls = 0;
    const get = cachedAsync(
      async () => {
        calls++;
        if (calls === 1) throw new Error('broker down');
        return 'ok';
      },
      { ttlMs: 60_000, timeoutMs: 1000 },
    );
    await expect(get()).rejects.toThrow('broker down');
    expect(await get()).toBe('ok');
    const slow = cachedAsync(() => new Promise<string>(() => {}), { ttlMs: 1000, timeoutMs: 20 });
    await expect(slow()).rejects.toThrow('no answer within 20 ms');
  });
});

describe('pipeline metrics', () => {
  it('counts batches by their totals and labels, with every known label set present from the start', async () => {
    const m = createPipelineMetrics(fakeSource());
    let s = await scrape(m);
    expect(sampleValue(s, 'vigil_pipeline_points_total')).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_dlq_total', { reason: 'bad-framing' })).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_dlq_total', { reason: 'invalid-command' })).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_dlq_total', { reason: 'series-limit' })).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_series_refused_total')).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_dlq_total', { reason: 'duplicate-timestamp' })).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_duplicates_total')).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_anomalies_total', { type: 'trend_change' })).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_alert_events_total', { status: 'acknowledged', severity: 'info' })).toBe(0);
    expect(sampleValue(s, 'vigil_pipeline_commands_total', { result: 'invalid' })).toBe(0);

    m.metricsBatch({
      points: 500,
      seriesRefused: 0,
      duplicates: 4,
      dlq: [dlqMessage('bad-framing'), dlqMessage('invalid-value'), dlqMessage('invalid-value')],
      anomalies: [anomaly('spike'), anomaly('spike', 2), anomaly('drop')],
      alerts: [alert('firing', 'critical'), alert('resolved', 'critical')],
      seconds: 0.02,
      scoringSeconds: 0.004,
    });
    m.metricsBatch({ points: 250, seriesRefused: 2, duplicates: 3, dlq: [dlqMessage('series-limit'), dlqMessage('series-limit'), dlqMessage('duplicate-timestamp')], anomalies: [], alerts: [alert('firing', 'critical')], seconds: 3, scoringSeconds: 0.5 });
    const results: CommandResult[] = [
      { commandId: 'c1', alertId: 'x', applied: true, status: 'acknowledged', reason: '', event: alert('acknowledged', 'critical') },
      { commandId: 'c2', alertId: 'x', applied: false, status: 'acknowledged', reason: 'already', event: null },
    ];
    m.commandsBatch(results, 2);
    m.alertEvents([alert('acknowledged', 'critical')]);
    m.alertEvents([alert('firing', 'low')]); // e.g. a no-data transition
    m.retry('ClickHouse insert');
    m.retry('ClickHouse insert');
    m.retry('offset commit');

    s = await scrape(m);
    expect(sampleValue(s, 'vigil_pipeline_points_total')).toBe(750);
    expect(sampleValue(s, 'vigil_pipeline_batches_total')).toBe(2);
    const dlq = byLabel(s, 'vigil_pipeline_dlq_total', 'reason');
    expect(dlq['bad-framing']).toBe(1);
    expect(dlq['invalid-value']).toBe(2);
    expect(dlq['invalid-command']).toBe(2);
    expect(dlq['series-limit']).toBe(2);
    expect(sampleValue(s, 'vigil_pipeline_series_refused_total')).toBe(2);
    expect(dlq['duplicate-timestamp']).toBe(1);
    expect(sampleValue(s, 'vigil_pipeline_duplicates_total')).toBe(7);
    expect(Object.values(dlq).reduce((a, b) => a + b, 0)).toBe(8);
    expect(byLabel(s, 'vigil_pipeline_anomalies_total', 'type')).toEqual({ outlier: 0, spike: 2, drop: 1, trend_change: 0, pattern_change: 0 });
    expect(sampleValue(s, 'vigil_pipeline_alert_events_total', { status: 'firing', severity: 'critical' })).toBe(2);
    expect(sampleValue(s, 'vigil_pipeline_alert_events_total', { status: 'resolved', severity: 'critical' })).toBe(1);
    expect(sampleValue(s, 'vigil_pipeline_alert_events_total', { status: 'acknowledged', severity: 'critical' })).toBe(1);
    expect(sampleValue(s, 'vigil_pipeline_alert_events_total', { status: 'firing', severity: 'low' })).toBe(1);
    expect(byLabel(s, 'vigil_pipeline_commands_total', 'result')).toEqual({ applied: 1, rejected: 1, invalid: 2 });
    expect(byLabel(s, 'vigil_pipeline_retries_total', 'what')).toEqual({ 'ClickHouse insert': 2, 'offset commit': 1 });
    expect(sampleValue(s, 'vigil_pipeline_batch_seconds_count')).toBe(2);
    expect(sampleValue(s, 'vigil_pipeline_batch_seconds_sum')).toBeCloseTo(3.02, 9);
    expect(sampleValue(s, 'vigil_pipeline_batch_seconds_bucket', { le: '0.025' })).toBe(1);
    expect(sampleValue(s, 'vigil_pipeline_batch_seconds_bucket', { le: '2.5' })).toBe(1);
    expect(sampleValue(s, 'vigil_pipeline_batch_seconds_bucket', { le: '5' })).toBe(2);
    expect(sampleValue(s, 'vigil_pipeline_scoring_seconds_sum')).toBeCloseTo(0.504, 9);
  });

  it('reads the gauges from the pipeline at scrape time, and lag per owned partition', async () => {
    const src = fakeSource();
    src.lag = [
      { partition: 0, lag: 12 },
      { partition: 2, lag: 0 },
    ];
    const m = createPipelineMetrics(src, { lagCacheMs: 0 });
    let s = await scrape(m);
    expect(sampleValue(s, 'vigil_pipeline_owned_partitions')).toBe(3);
    expect(byLabel(s, 'vigil_pipeline_series', 'partition')).toEqual({ '0': 10, '2': 7, '3': 0 });
    expect(sampleValue(s, 'vigil_pipeline_series_limit')).toBe(8334);
    expect(sampleValue(s, 'vigil_pipeline_window_state_bytes')).toBe(123_456);
    expect(sampleValue(s, 'vigil_pipeline_worker_pool_utilization')).toBe(0.25);
    expect(sampleValue(s, 'vigil_pipeline_worker_pool_queued')).toBe(5);
    expect(sampleValue(s, 'vigil_pipeline_worker_threads')).toBe(2);
    expect(sampleValue(s, 'vigil_pipeline_last_batch_timestamp_seconds')).toBe(1_700_000_000);
    expect(sampleValue(s, 'vigil_pipeline_consumer_running')).toBe(1);
    expect(byLabel(s, 'vigil_pipeline_consumer_lag', 'partition')).toEqual({ '0': 12, '2': 0 });

    // A revoked partition disappears; a stopped consumer reads 0.
    src.lag = [{ partition: 2, lag: 4 }];
    src.status = 'stopped';
    s = await scrape(m);
    expect(byLabel(s, 'vigil_pipeline_consumer_lag', 'partition')).toEqual({ '2': 4 });
    expect(sampleValue(s, 'vigil_pipeline_consumer_running')).toBe(0);
  });

  it('asks the broker for lag at most once per cache period, and a failed fetch leaves no stale figures', async () => {
    const errors: unknown[] = [];
    let fail = false;
    const src = fakeSource({ onLagError: (e) => errors.push(e) });
    src.lag = [{ partition: 0, lag: 3 }];
    const inner = src.consumerLag;
    src.consumerLag = async () => {
      if (fail) throw new Error('broker unreachable');
      return inner();
    };
    const cached = createPipelineMetrics(src);
    await Promise.all([scrape(cached), scrape(cached), scrape(cached)]);
    await scrape(cached);
    expect(src.lagCalls).toBe(1);

    const uncached = createPipelineMetrics(src, { lagCacheMs: 0 });
    expect(byLabel(await scrape(uncached), 'vigil_pipeline_consumer_lag', 'partition')).toEqual({ '0': 3 });
    fail = true;
    const s = await scrape(uncached);
    expect(byLabel(s, 'vigil_pipeline_consumer_lag', 'partition')).toEqual({});
    expect(sampleValue(s, 'vigil_pipeline_points_total')).toBe(0); // the rest of the scrape still answers
    expect(errors).toHaveLength(1);
  });

  it('gives each pipeline its own counters, plus the process metrics', async () => {
    const a = createPipelineMetrics(fakeSource());
    const b = createPipelineMetrics(fakeSource());
    a.metricsBatch({ points: 10, seriesRefused: 0, duplicates: 0, dlq: [], anomalies: [], alerts: [], seconds: 0.01, scoringSeconds: 0.001 });
    const sa = await scrape(a);
    const sb = await scrape(b);
    expect(sampleValue(sa, 'vigil_pipeline_points_total')).toBe(10);
    expect(sampleValue(sb, 'vigil_pipeline_points_total')).toBe(0);
    for (const s of [sa, sb]) {
      expect(s.some((x) => x.name === 'process_cpu_user_seconds_total')).toBe(true);
      expect(s.some((x) => x.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    }
  });
});

describe('route', () => {
  it('serves GET and HEAD of /metrics and /health, with or without a query string', () => {
    expect(route('GET', '/metrics')).toEqual({ kind: 'metrics' });
    expect(route('HEAD', '/metrics?x=1')).toEqual({ kind: 'metrics' });
    expect(route('GET', '/health?')).toEqual({ kind: 'health' });
  });

  it.each([
    ['GET', '/', 404],
    ['GET', '/METRICS', 404],
    ['GET', '//metrics', 404],
    ['GET', '/metrics/', 404],
    ['GET', '/metrics/../health', 404],
    ['GET', '/health%00', 404],
    ['GET', "/metrics'; DROP TABLE points; --", 404],
    ['POST', '/nope', 404],
    ['POST', '/metrics', 405],
    ['DELETE', '/health', 405],
    ['OPTIONS', '/metrics', 405],
    ['GET', 'http://evil.example/metrics', 400],
    ['OPTIONS', '*', 400],
    ['GET', '', 400],
    ['GET', undefined, 400],
    ['GET', `/metrics?${'a'.repeat(MAX_TARGET_LENGTH)}`, 414],
  ])('%s %s → %i', (method, target, status) => {
    const r = route(method, target as string | undefined);
    expect(r.kind).toBe('reply');
    if (r.kind === 'reply') expect(r.reply.status).toBe(status);
  });

  it('405 names the allowed methods', () => {
    const r = route('PUT', '/metrics');
    expect(r.kind === 'reply' && r.reply.headers).toEqual({ allow: 'GET, HEAD' });
  });
});

describe('metrics server over HTTP', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function observed(health: Partial<PipelineHealth> = {}): ObservedPipeline & { metrics: ReturnType<typeof createPipelineMetrics> } {
    const metrics = createPipelineMetrics(fakeSource());
    const h: PipelineHealth = {
      status: 'running', healthy: true, instanceId: 'i-1', groupId: 'g', ownedPartitions: [0], series: 1, lastBatchAt: null, lastError: null, stalledPartitions: [], seriesLimit: { perPartition: 100, refusingPartitions: [] }, uptimeSeconds: 1,
      pool: { threads: 1, queued: 0, completed: 0, utilization: 0, waitSeconds: 0, runSeconds: 0 }, kafka: { reachable: true }, ...health,
    };
    return { metrics, registry: metrics.registry, health: () => h };
  }

  /** One raw HTTP exchange: whatever bytes the server answers until it closes or goes quiet. */
  function raw(port: number, request: string | Buffer, quietMs = 300): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      };
      socket.on('data', (d) => {
        got += d.toString('latin1');
        clearTimeout(timer);
        timer = setTimeout(finish, quietMs);
      });
      socket.on('end', finish);
      socket.on('close', finish);
      socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? finish() : reject(e)));
      socket.write(request);
    });
  }

  it('serves the Prometheus text of the attached pipeline and its health', async () => {
    const p = observed();
    p.metrics.metricsBatch({ points: 42, seriesRefused: 0, duplicates: 0, dlq: [dlqMessage('missing-key')], anomalies: [], alerts: [], seconds: 0.01, scoringSeconds: 0.001 });
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, logger, pipeline: p });
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parsePrometheus(await res.text());
    expect(sampleValue(s, 'vigil_pipeline_points_total')).toBe(42);
    expect(sampleValue(s, 'vigil_pipeline_dlq_total', { reason: 'missing-key' })).toBe(1);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'running', healthy: true, instanceId: 'i-1' });
  });

  it('answers 503 while no pipeline is attached and while the attached one is not running', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, logger });
    let res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'starting', healthy: false });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(503);
    server.attach(observed({ status: 'crashed', healthy: false, lastError: 'KafkaJSNumberOfRetriesExceeded' }));
    res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'crashed', lastError: 'KafkaJSNumberOfRetriesExceeded' });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
  });

  it('refuses hostile requests with a clear status and keeps serving', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, logger, pipeline: observed() });
    const { url, port } = server;
    expect((await fetch(`${url}/admin`)).status).toBe(404);
    const post = await fetch(`${url}/metrics`, { method: 'POST', body: 'x'.repeat(1_000_000) });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${url}/health`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${url}/metrics?${'q'.repeat(4000)}`)).status).toBe(414);
    const head = await raw(port, 'HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head.split('\r\n\r\n')[1]).toBe('');
    // Beyond the 16 KiB header limit: refused by the parser itself.
    expect(await raw(port, `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await raw(port, `GET /metrics HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 20_000 }, (_, i) => `x-h${i}: v`).join('\r\n')}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await raw(port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x00]))).toMatch(/^HTTP\/1\.1 400 /); // a TLS hello
    expect(await raw(port, 'GET http://evil.example/metrics HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    // A client that hangs up mid-request.
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write('GET /metr');
        s.destroy();
        resolve();
      });
    });
    const burst = await Promise.all(Array.from({ length: 50 }, () => fetch(`${url}/metrics`).then((r) => r.status)));
    expect(burst.every((s) => s === 200)).toBe(true);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('a taken port fails with the port and what to do', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, logger });
    await expect(startMetricsServer({ host: '127.0.0.1', port: server.port, logger })).rejects.toThrow(
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${server.port}.*EADDRINUSE.*VIGIL_PIPELINE_HTTP_PORT`),
    );
  });
});
