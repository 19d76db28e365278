/**
 * A deterministic input for the end-to-end tests: series with known injected incidents and
 * their ground truth, plus helpers to produce them and to read what the pipeline stored.
 */
import { expect } from 'vitest';
import kafkajs from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { VigilConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/logger.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { encodeEvent } from '../../../pipeline/codec/events.ts';
import { seriesId, type MetricPoint } from '../../../schemas/records.ts';
import type { Logger } from '../../../core/logger.ts';
import { startPipeline } from '../../../pipeline/runtime/pipeline.ts';

/** mulberry32: small seeded PRNG so every run produces the same values. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number) {
  return () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

export interface ScenarioSeries {
  source: string;
  metric: string;
  expectAnomaly: null | 'spike' | 'drop' | 'pattern_change';
  /** Index range of the injected incident (inclusive start, exclusive end). */
  incident: [number, number] | null;
  value(i: number, noise: number): number;
}

export const POINTS_PER_SERIES = 900;
export const STEP_MS = 1000;

export const SCENARIO: ScenarioSeries[] = [
  { source: 'svc-a', metric: 'cpu_usage', expectAnomaly: null, incident: null, value: (_i, n) => 40 + 2 * n },
  { source: 'svc-b', metric: 'response_time', expectAnomaly: 'spike', incident: [400, 405], value: (i, n) => (i >= 400 && i < 405 ? 1200 : 200) + 10 * n },
  { source: 'svc-c', metric: 'throughput', expectAnomaly: 'drop', incident: [400, 405], value: (i, n) => (i >= 400 && i < 405 ? 300 : 1000) + 20 * n },
  { source: 'svc-d', metric: 'memory_usage', expectAnomaly: 'pattern_change', incident: [400, POINTS_PER_SERIES], value: (i, n) => (i >= 400 ? 70 : 60) + n },
  // A sustained breach of the cpu_usage critical bound (95 %) for 360 s (> forMs 5 min), then a
  // recovery long enough (340 s) for the clear period, which is also forMs.
  { source: 'svc-e', metric: 'cpu_usage', expectAnomaly: null, incident: [200, 560], value: (i, n) => (i >= 200 && i < 560 ? 97 + 0.3 * n : 40 + 2 * n) },
];

/** Points in production order: series interleaved by time, as services would send them. */
export function scenarioPoints(startMs: number, seed = 7, series = SCENARIO): MetricPoint[] {
  const noise = series.map((_, k) => gaussian(prng(seed * 100 + k)));
  const out: MetricPoint[] = [];
  for (let i = 0; i < POINTS_PER_SERIES; i++) {
    series.forEach((s, k) => {
      out.push({ source: s.source, metric: s.metric, value: s.value(i, noise[k]()), timestamp: startMs + i * STEP_MS, tags: { env: 'test' } });
    });
  }
  return out;
}

/**
 * The points with every `every`-th record sent again `lag` records later, as a producer retry
 * without idempotence does: the pipeline must store and score each point once (the copies are
 * well inside the series' recent ring).
 */
export function withRetries(points: MetricPoint[], every = 9, lag = 5): MetricPoint[] {
  const out: MetricPoint[] = [];
  points.forEach((p, i) => {
    out.push(p);
    const j = i - lag;
    if (j >= 0 && j % every === 0) out.push({ ...points[j] });
  });
  return out;
}

/** @param gapMs pause between chunks: a paced stream rather than one burst (fault tests). */
export async function producePoints(config: VigilConfig, topic: string, points: MetricPoint[], chunk = 500, gapMs = 0): Promise<void> {
  const kafka = createKafka(config, createLogger('warn'));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < points.length; i += chunk) {
      const messages = points.slice(i, i + chunk).map((p) => ({ key: seriesId(p.source, p.metric), value: encodeEvent('metric', p) }));
      // Freshly created topics may not have elected leaders yet: a refused send wrote nothing.
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send({ topic, acks: -1, messages });
          break;
        } catch (err) {
          if (attempt >= 10) throw err;
          await new Promise((r) => setTimeout(r, 300 * attempt));
        }
      }
      if (gapMs > 0 && i + chunk < points.length) await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    await producer.disconnect();
  }
}

export async function query<T>(ch: ClickHouseClient, sql: string): Promise<T[]> {
  const rs = await ch.query({ query: sql, format: 'JSONEachRow' });
  return rs.json<T>();
}

export async function pointCount(ch: ClickHouseClient, db: string): Promise<{ final: number; raw: number }> {
  const [f] = await query<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.points FINAL`);
  const [r] = await query<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.points`);
  return { final: Number(f.n), raw: Number(r.n) };
}

export interface StoredAnomaly {
  id: string;
  source: string;
  metric: string;
  type: string;
  version: number;
  start_timestamp_ms: string;
}

export async function anomalies(ch: ClickHouseClient, db: string): Promise<StoredAnomaly[]> {
  return query<StoredAnomaly>(ch, `SELECT id, source, metric, type, version, start_timestamp_ms FROM ${db}.anomalies FINAL ORDER BY source, metric, id`);
}

export interface StoredAlertEvent {
  event_id: string;
  alert_id: string;
  source: string;
  metric: string;
  rule_id: string;
  kind: string;
  severity: string;
  status: string;
  version: number;
  reason: string;
}

export async function alertEvents(ch: ClickHouseClient, db: string): Promise<StoredAlertEvent[]> {
  return query<StoredAlertEvent>(
    ch,
    `SELECT event_id, alert_id, source, metric, rule_id, kind, severity, status, version, reason FROM ${db}.alert_events FINAL ORDER BY source, metric, alert_id, version`,
  );
}

/** The latest event of each alert. */
export function latestByAlert(events: StoredAlertEvent[]): Map<string, StoredAlertEvent> {
  const latest = new Map<string, StoredAlertEvent>();
  for (const e of events) {
    const prev = latest.get(e.alert_id);
    if (!prev || e.version > prev.version) latest.set(e.alert_id, e);
  }
  return latest;
}

/** Resolves once the pipeline's group has committed every record of the topic (the batch's
 * ClickHouse inserts and Kafka produces are acknowledged before its commit). */
export async function waitForCommitted(config: VigilConfig, topic: string, timeoutMs: number): Promise<void> {
  const kafka = createKafka(config, createLogger('warn'));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topic] });
      const lagging = ends.filter((e) => {
        const c = committed?.partitions.find((p) => p.partition === e.partition);
        return BigInt(c?.offset ?? '-1') < BigInt(e.high) && e.high !== e.low;
      });
      if (lagging.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`group ${config.kafka.groupId} has not committed ${topic} partitions ${lagging.map((l) => l.partition).join(',')} within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** What a run stored, in a form two runs can be compared by. */
export interface Outcome {
  points: string[];
  rawPoints: number;
  rollupCount: number;
  anomalies: string[];
  alertEvents: string[];
}

export async function outcome(ch: ClickHouseClient, db: string): Promise<Outcome> {
  const pts = await query<Record<string, unknown>>(
    ch,
    `SELECT source, metric, timestamp_ms, kafka_partition, kafka_offset, value, mean, std, zscore, anomaly_score FROM ${db}.points FINAL ORDER BY kafka_partition, kafka_offset`,
  );
  const anomalies = await query<Record<string, unknown>>(
    ch,
    `SELECT id, source, metric, type, version, start_timestamp_ms, detected_timestamp_ms, confidence, score FROM ${db}.anomalies FINAL ORDER BY id`,
  );
  const alerts = await query<Record<string, unknown>>(
    ch,
    `SELECT event_id, alert_id, rule_id, severity, status, version, timestamp_ms, reason FROM ${db}.alert_events FINAL ORDER BY alert_id, version`,
  );
  const { raw } = await pointCount(ch, db);
  const [rollup] = await query<{ n: string }>(ch, `SELECT countMerge(value_count) AS n FROM ${db}.points_1m`);
  return {
    points: pts.map((r) => JSON.stringify(r)),
    rawPoints: raw,
    rollupCount: Number(rollup.n),
    anomalies: anomalies.map((r) => JSON.stringify(r)),
    alertEvents: alerts.map((r) => JSON.stringify(r)),
  };
}

export interface SeriesOutcome {
  points: string[];
  anomalies: string[];
  alerts: string[];
}

/** What one source's series stored: scored points, anomalies and alert events (comparable across runs). */
export async function seriesOutcome(ch: ClickHouseClient, db: string, source: string): Promise<SeriesOutcome> {
  const where = `source = '${source}'`; // constant test names, not request text
  const points = await query<Record<string, unknown>>(ch, `SELECT metric, timestamp_ms, value, mean, std, zscore, anomaly_score FROM ${db}.points FINAL WHERE ${where} ORDER BY timestamp_ms`);
  const anomalies = await query<Record<string, unknown>>(ch, `SELECT id, type, version, start_timestamp_ms, score FROM ${db}.anomalies FINAL WHERE ${where} ORDER BY id, version`);
  const alerts = await query<Record<string, unknown>>(ch, `SELECT alert_id, rule_id, severity, status, version, reason FROM ${db}.alert_events FINAL WHERE ${where} ORDER BY alert_id, version`);
  return { points: points.map((r) => JSON.stringify(r)), anomalies: anomalies.map((r) => JSON.stringify(r)), alerts: alerts.map((r) => JSON.stringify(r)) };
}

/** Equal row lists; on a difference, names the first differing row rather than dumping all. */
export function expectSameRows(got: string[], want: string[], what: string) {
  const i = got.findIndex((row, k) => row !== want[k]);
  const where = i >= 0 ? i : got.length === want.length ? -1 : Math.min(got.length, want.length);
  expect(where === -1 ? null : { what, row: where, got: got[where], want: want[where], gotRows: got.length, wantRows: want.length }).toBeNull();
}

/** The uninterrupted run that recovery and fault tests compare against: one pipeline, all points. */
export async function referenceOutcome(
  env: { config: VigilConfig; logger: Logger; topics: { metrics: string } },
  ch: ClickHouseClient,
  points: MetricPoint[],
  timeoutMs = 60_000,
): Promise<Outcome> {
  const pipeline = await startPipeline(env.config, env.logger);
  try {
    await producePoints(env.config, env.topics.metrics, points);
    await waitForCommitted(env.config, env.topics.metrics, timeoutMs);
  } finally {
    await pipeline.stop();
  }
  return outcome(ch, env.config.clickhouse.database);
}
