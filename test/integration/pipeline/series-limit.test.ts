/**
 * The series-count limit on the real pipeline (issue #12, cardinality explosion): a pipeline with
 * pipeline.maxSeries 100 over 2 partitions (50 series each) holds three established series, then
 * 500 new series arrive mixed into their stream. Exactly the points of the series beyond each
 * partition's first 50 are dead-lettered as `series-limit`; the established series are stored,
 * scored and alerted exactly as in a run without the flood; the state holds 50 series per
 * partition; a `pipeline.series_limit` alert opens per partition and resolves once refusals
 * stop. Then the state is rebuilt from `points` alone (snapshots truncated) and one more point
 * per series gives the same accept/refuse outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { consumeAll, createTestEnv, waitFor, type ConsumedMessage, type TestEnv } from '../../support/index.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startPipeline, type PipelineStats } from '../../../pipeline/runtime/pipeline.ts';
import { decodeEvent } from '../../../pipeline/codec/events.ts';
import { DLQ_HEADERS } from '../../../pipeline/ingest/dlq.ts';
import { SERIES_LIMIT_ALERT_METRIC } from '../../../pipeline/alerts/pipeline-alerts.ts';
import type { AlertEvent, MetricPoint } from '../../../schemas/records.ts';
import { byLabel, parsePrometheus, sampleValue } from '../../unit/pipeline/prom-text.ts';
import { gaussian, prng, producePoints, query, seriesOutcome, waitForCommitted } from './scenario.ts';

const PARTITIONS = 2;
const MAX_SERIES = 100;
const PER_PARTITION = MAX_SERIES / PARTITIONS;
const CLEAR_MS = 8000;
const overrides = { pipeline: { windowSize: 100, workerThreads: 1, maxSeries: MAX_SERIES, seriesLimitClearMs: CLEAR_MS } };
const options = { partitions: PARTITIONS, overrides };

const STEP_MS = 1000;
const N = 300;
const HEAD = 100;
const NEW_SERIES = 500;
const POINTS_EACH = 3;
const start = Date.now() - (N + 10) * STEP_MS - 120_000;

const ESTABLISHED = [
  { source: 'known-a', metric: 'cpu_usage', base: 40, spread: 2, spikeAt: -1 },
  { source: 'known-b', metric: 'response_time', base: 200, spread: 10, spikeAt: 200 },
  { source: 'known-c', metric: 'queue_size', base: 10, spread: 1, spikeAt: -1 },
];

/** N + 1 points per established series, in time order (the last one sent after the restart). */
function establishedPoints(): MetricPoint[][] {
  const noise = ESTABLISHED.map((_, k) => gaussian(prng(21 + k)));
  const rows: MetricPoint[][] = [];
  for (let i = 0; i <= N; i++) {
    rows.push(
      ESTABLISHED.map((s, k) => ({
        source: s.source,
        metric: s.metric,
        value: s.base + s.spread * noise[k]() + (s.spikeAt >= 0 && i >= s.spikeAt && i < s.spikeAt + 3 ? s.base * 5 : 0),
        timestamp: start + i * STEP_MS,
        tags: {},
      })),
    );
  }
  return rows;
}

const burst = (k: number, j: number, i: number): MetricPoint => ({ source: `burst-${k}`, metric: 'requests', value: 100 + ((k * 7 + i) % 13), timestamp: start + j * STEP_MS, tags: {} });

let reference: TestEnv;
let env: TestEnv;
let refCh: ClickHouseClient;
let ch: ClickHouseClient;
const established = establishedPoints();
let firstRun: { stats: PipelineStats; metrics: string; refusingSeen: number[] };
let secondRun: { stats: PipelineStats };
let metricsTopic: ConsumedMessage[];
let dlq: ConsumedMessage[];
let limitAlerts: AlertEvent[];

async function limitAlertEvents(): Promise<AlertEvent[]> {
  const msgs = await consumeAll(env.config, env.topics.alerts, 20_000);
  return msgs.map((m) => decodeEvent(m.value!).record as AlertEvent).filter((e) => e.source === 'vigil' && e.metric === SERIES_LIMIT_ALERT_METRIC);
}

beforeAll(async () => {
  reference = await createTestEnv('series-limit-ref', options);
  env = await createTestEnv('series-limit', options);
  refCh = createClickHouse(reference.config);
  ch = createClickHouse(env.config);

  // Reference: only the established series, one uninterrupted run.
  const refPipeline = await startPipeline(reference.config, reference.logger, { snapshotIntervalMs: 1000 });
  try {
    await producePoints(reference.config, reference.topics.metrics, established.flat(), 500);
    await waitForCommitted(reference.config, reference.topics.metrics, 120_000);
  } finally {
    await refPipeline.stop();
  }

  // The first HEAD points of the established series, then the rest with the 500 new series mixed in.
  const flood: MetricPoint[] = [];
  for (let i = 0; i < POINTS_EACH; i++) for (let k = 0; k < NEW_SERIES; k++) flood.push(burst(k, HEAD + i * 60 + (k % 60), i));
  const mixed: MetricPoint[] = established.slice(0, HEAD).flat();
  const perRow = Math.ceil(flood.length / (N - HEAD));
  for (let i = HEAD, f = 0; i < N; i++) {
    mixed.push(...established[i]);
    mixed.push(...flood.slice(f, f + perRow));
    f += perRow;
  }
  expect(mixed.length).toBe(HEAD * 3 + (N - HEAD) * 3 + flood.length);

  const pipeline = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 1000, stallCheckMs: 250 });
  try {
    const refusingSeen = new Set<number>();
    const watch = setInterval(() => pipeline.health().seriesLimit.refusingPartitions.forEach((p) => refusingSeen.add(p)), 50);
    try {
      await producePoints(env.config, env.topics.metrics, mixed, 500);
      await waitForCommitted(env.config, env.topics.metrics, 180_000);
      // Refusals have stopped: each partition's alert resolves CLEAR_MS after its last one.
      await waitFor(async () => {
        const events = await limitAlertEvents();
        return events.filter((e) => e.status === 'resolved').length >= PARTITIONS;
      }, 60_000, { intervalMs: 1000, message: 'series-limit alerts resolved' });
    } finally {
      clearInterval(watch);
    }
    firstRun = { stats: pipeline.stats(), metrics: await pipeline.registry.metrics(), refusingSeen: [...refusingSeen].sort() };
  } finally {
    await pipeline.stop();
  }

  // State from `points` alone: the snapshots are dropped, the next owner replays every stored point.
  await ch.command({ query: `TRUNCATE TABLE ${env.config.clickhouse.database}.series_state` });
  const again = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 1000 });
  try {
    const more = [...established[N], ...Array.from({ length: NEW_SERIES }, (_, k) => burst(k, N, POINTS_EACH))];
    await producePoints(env.config, env.topics.metrics, more, 500);
    await waitForCommitted(env.config, env.topics.metrics, 120_000);
    secondRun = { stats: again.stats() };
  } finally {
    await again.stop();
  }
  metricsTopic = await consumeAll(env.config, env.topics.metrics, 30_000);
  dlq = await consumeAll(env.config, env.topics.dlq, 30_000);
  limitAlerts = await limitAlertEvents();
}, 600_000);

afterAll(async () => {
  await refCh?.close();
  await ch?.close();
  await reference?.cleanup();
  await env?.cleanup();
});

/** The rule, written independently of the pipeline's code: per partition, in offset order, the first PER_PARTITION series seen are admitted. */
function expected(): { admitted: Set<string>; refused: Set<string>; refusedSeries: Set<string>; perPartition: Map<number, number> } {
  const admitted = new Set<string>();
  const refused = new Set<string>();
  const refusedSeries = new Set<string>();
  const perPartition = new Map<number, number>();
  const held = new Map<number, Set<string>>();
  const sorted = [...metricsTopic].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  for (const m of sorted) {
    const series = m.key!.toString();
    const set = held.get(m.partition) ?? new Set<string>();
    held.set(m.partition, set);
    if (!set.has(series) && set.size < PER_PARTITION) set.add(series);
    if (set.has(series)) admitted.add(series);
    else {
      refused.add(`${m.partition}:${m.offset}`);
      refusedSeries.add(series);
    }
  }
  for (const [p, set] of held) perPartition.set(p, set.size);
  return { admitted, refused, refusedSeries, perPartition };
}

describe('series-count limit on the real pipeline', () => {
  it('dead-letters exactly the points of the series beyond each partition limit, with series-limit and the setting to raise', () => {
    const want = expected();
    expect(metricsTopic).toHaveLength(N * 3 + NEW_SERIES * POINTS_EACH + 3 + NEW_SERIES);
    // Every partition filled up: the flood was far beyond the limit on both.
    expect([...want.perPartition.values()]).toEqual([PER_PARTITION, PER_PARTITION]);
    expect(want.refusedSeries.size).toBe(NEW_SERIES + ESTABLISHED.length - MAX_SERIES);
    const got = new Set(dlq.map((m) => `${m.headers?.[DLQ_HEADERS.partition]}:${m.headers?.[DLQ_HEADERS.offset]}`));
    expect(dlq.map((m) => m.headers?.[DLQ_HEADERS.reason]?.toString())).toEqual(Array(dlq.length).fill('series-limit'));
    expect(got.size).toBe(dlq.length);
    expect(got).toEqual(want.refused);
    const detail = dlq[0].headers?.[DLQ_HEADERS.detail]?.toString();
    expect(detail).toMatch(/^series burst-\d+\/requests is new and partition \d already holds 50 series, its limit \(pipeline\.maxSeries 100 over 2 partitions\); .* until pipeline\.maxSeries \(VIGIL_MAX_SERIES\) is raised$/);
    // The original record, byte for byte.
    const byPosition = new Map(metricsTopic.map((m) => [`${m.partition}:${m.offset}`, m]));
    for (const letter of dlq) {
      const original = byPosition.get(`${letter.headers?.[DLQ_HEADERS.partition]}:${letter.headers?.[DLQ_HEADERS.offset]}`)!;
      expect(letter.value!.equals(original.value!)).toBe(true);
    }
  });

  it('stores every point of the admitted series and none of the refused ones', async () => {
    const want = expected();
    const db = env.config.clickhouse.database;
    const rows = await query<{ series: string; n: string }>(ch, `SELECT concat(source, '/', metric) AS series, count() AS n FROM ${db}.points FINAL GROUP BY series`);
    expect(new Set(rows.map((r) => r.series))).toEqual(want.admitted);
    const sent = new Map<string, number>();
    for (const m of metricsTopic) sent.set(m.key!.toString(), (sent.get(m.key!.toString()) ?? 0) + 1);
    for (const r of rows) expect(Number(r.n), r.series).toBe(sent.get(r.series));
  });

  it('leaves the established series exactly as in a run without the flood', async () => {
    for (const s of ESTABLISHED) {
      const want = await seriesOutcome(refCh, reference.config.clickhouse.database, s.source);
      const got = await seriesOutcome(ch, env.config.clickhouse.database, s.source);
      expect(want.points).toHaveLength(N + 1);
      expect(got.points, s.source).toEqual(want.points);
      expect(got.anomalies, s.source).toEqual(want.anomalies);
      expect(got.alerts, s.source).toEqual(want.alerts);
    }
    expect((await seriesOutcome(refCh, reference.config.clickhouse.database, 'known-b')).anomalies.length).toBeGreaterThan(0);
  });

  it('holds at most the limit in memory and counts what it refused', () => {
    const want = expected();
    for (const run of [firstRun.stats, secondRun.stats]) {
      expect(run.seriesLimit).toBe(PER_PARTITION);
      expect(run.seriesByPartition).toEqual([
        { partition: 0, series: PER_PARTITION },
        { partition: 1, series: PER_PARTITION },
      ]);
      expect(run.series).toBe(MAX_SERIES);
    }
    // The second run rebuilt from points alone and refused exactly the same series' new points.
    expect(firstRun.stats.seriesRefused + secondRun.stats.seriesRefused).toBe(want.refused.size);
    expect(secondRun.stats.seriesRefused).toBe(want.refusedSeries.size);
    expect(firstRun.stats.dlqByReason['series-limit']).toBe(firstRun.stats.seriesRefused);
    const samples = parsePrometheus(firstRun.metrics);
    expect(sampleValue(samples, 'vigil_pipeline_series_refused_total')).toBe(firstRun.stats.seriesRefused);
    expect(sampleValue(samples, 'vigil_pipeline_dlq_total', { reason: 'series-limit' })).toBe(firstRun.stats.seriesRefused);
    expect(byLabel(samples, 'vigil_pipeline_series', 'partition')).toEqual({ '0': PER_PARTITION, '1': PER_PARTITION });
    expect(sampleValue(samples, 'vigil_pipeline_series_limit')).toBe(PER_PARTITION);
  });

  it('raises a high pipeline.series_limit alert per refusing partition and resolves it once refusals stop', () => {
    expect(firstRun.refusingSeen).toEqual([0, 1]);
    const byAlert = new Map<string, AlertEvent[]>();
    for (const e of limitAlerts) byAlert.set(e.alertId, [...(byAlert.get(e.alertId) ?? []), e]);
    const resolvedPairs = [...byAlert.values()].filter((events) => events.some((e) => e.status === 'resolved'));
    expect(resolvedPairs).toHaveLength(PARTITIONS);
    for (const events of resolvedPairs) {
      expect(events.map((e) => [e.status, e.version, e.severity])).toEqual([
        ['firing', 1, 'high'],
        ['resolved', 2, 'high'],
      ]);
      expect(events[0].ruleId).toMatch(new RegExp(`^series-limit:${env.config.kafka.groupId.replace(/\./g, '\\.')}:${env.topics.metrics.replace(/\./g, '\\.')}:[01]$`));
      expect(events[0].threshold).toBe(PER_PARTITION);
      expect(events[0].reason).toMatch(/points? of new series refused since .*raise pipeline\.maxSeries/);
      expect(events[1].reason).toBe(`no point refused for ${CLEAR_MS / 1000} s`);
    }
    expect(new Set(resolvedPairs.map((e) => e[0].ruleId)).size).toBe(PARTITIONS);
  });
});
