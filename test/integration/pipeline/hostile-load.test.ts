/**
 * Hostile load on the real pipeline (issue #12): one series flooding at 100× the rate of the
 * others, a series whose points arrive out of order (shuffled, some an hour late, some from a
 * clock ahead — within the allowed skew and beyond it), and a series whose records are sent
 * twice (plus a few other values at timestamps it already holds). The other series must be
 * unaffected: what is stored and raised for them equals a reference run that had only them.
 * Every hostile point is stored, dropped as a duplicate (counted) or dead-lettered with a
 * reason; every partition is committed to its end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { consumeAll, createTestEnv, type TestEnv } from '../../support/index.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startPipeline } from '../../../pipeline/runtime/pipeline.ts';
import type { MetricPoint } from '../../../schemas/records.ts';
import { parsePrometheus, sampleValue } from '../../unit/pipeline/prom-text.ts';
import { gaussian, prng, producePoints, query, seriesOutcome, waitForCommitted } from './scenario.ts';

const STEP_MS = 1000;
const N = 300;
const FLOOD_FACTOR = 100;
const SKEW_MS = 60_000;
const overrides = { pipeline: { windowSize: 100, workerThreads: 1, maxFutureSkewMs: SKEW_MS } };

const start = Date.now() - N * STEP_MS - 120_000;
const NORMAL = [
  { source: 'calm-a', metric: 'cpu_usage', base: 40, spread: 2, spikeAt: -1 },
  { source: 'calm-b', metric: 'response_time', base: 200, spread: 10, spikeAt: 200 },
  { source: 'calm-c', metric: 'queue_size', base: 10, spread: 1, spikeAt: -1 },
];

function normalPoints(): MetricPoint[] {
  const noise = NORMAL.map((_, k) => gaussian(prng(11 + k)));
  const out: MetricPoint[] = [];
  for (let i = 0; i < N; i++) {
    NORMAL.forEach((s, k) => {
      const value = s.base + s.spread * noise[k]() + (i >= s.spikeAt && i < s.spikeAt + 3 && s.spikeAt >= 0 ? s.base * 5 : 0);
      out.push({ source: s.source, metric: s.metric, value, timestamp: start + i * STEP_MS, tags: {} });
    });
  }
  return out;
}

/** 100 points per second for the same span: 30,000 points of one series. */
function floodPoints(): MetricPoint[] {
  const noise = gaussian(prng(99));
  return Array.from({ length: N * FLOOD_FACTOR }, (_, i) => ({ source: 'flood', metric: 'requests', value: 500 + 20 * noise(), timestamp: start + Math.floor((i * STEP_MS) / FLOOD_FACTOR), tags: {} }));
}

/** Shuffled in blocks of 20, 10 points an hour late, 5 ahead within the skew and 5 beyond it. */
function disorderedPoints(now: number): { points: MetricPoint[]; refused: number } {
  const rand = prng(5);
  const base = Array.from({ length: N }, (_, i) => ({ source: 'skewed', metric: 'latency', value: 50 + 5 * rand(), timestamp: start + i * STEP_MS, tags: {} }));
  for (let b = 0; b < N; b += 20) {
    const block = base.slice(b, b + 20);
    for (let i = block.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [block[i], block[j]] = [block[j], block[i]];
    }
    base.splice(b, block.length, ...block);
  }
  const late = Array.from({ length: 10 }, (_, i) => ({ ...base[i], timestamp: start - 3_600_000 + i }));
  const ahead = Array.from({ length: 5 }, (_, i) => ({ ...base[i], timestamp: now + SKEW_MS / 2 + i }));
  const beyond = Array.from({ length: 5 }, (_, i) => ({ ...base[i], timestamp: now + 10 * SKEW_MS + i }));
  return { points: [...base.slice(0, 150), ...late, ...ahead, ...base.slice(150), ...beyond], refused: beyond.length };
}

/** The dup series' 300 points as sent once (the reference run has them so). */
function dupOriginals(): MetricPoint[] {
  return Array.from({ length: N }, (_, i) => ({ source: 'dup', metric: 'errors', value: i % 7, timestamp: start + i * STEP_MS, tags: {} }));
}

/**
 * The 300 points with the records of 50 of them sent twice (a producer retry without
 * idempotence: each copy 0–4 records of its series behind its original, well inside the
 * 40-point recent ring of windowSize 100), and 5 more records at timestamps the series holds
 * with another value (conflicting samples).
 */
function duplicatedPoints(): { points: MetricPoint[]; duplicates: number; conflicts: MetricPoint[] } {
  const pts = dupOriginals();
  const out: MetricPoint[] = [];
  const pending: Array<{ at: number; p: MetricPoint }> = [];
  const conflicts: MetricPoint[] = [];
  let duplicates = 0;
  pts.forEach((p, i) => {
    out.push(p);
    if (i % 6 === 0 && duplicates < 50) {
      pending.push({ at: i + (i % 5), p: { ...p } });
      duplicates++;
    }
    if (i % 60 === 30) {
      const other = { ...p, value: p.value + 100 };
      conflicts.push(other);
      pending.push({ at: i + 2, p: other });
    }
    for (const d of pending.filter((d) => d.at === i)) out.push(d.p);
  });
  expect(pending.every((d) => d.at < N)).toBe(true);
  return { points: out, duplicates, conflicts };
}

let reference: TestEnv;
let hostile: TestEnv;
let refCh: ClickHouseClient;
let ch: ClickHouseClient;
let disordered: ReturnType<typeof disorderedPoints>;
let duplicated: ReturnType<typeof duplicatedPoints>;
let hostileRun: { duplicates: number; metrics: string };
const flood = floodPoints();
const normal = normalPoints();

async function run(env: TestEnv, points: MetricPoint[]): Promise<{ duplicates: number; metrics: string }> {
  const pipeline = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 1000 });
  try {
    await producePoints(env.config, env.topics.metrics, points, 1000);
    await waitForCommitted(env.config, env.topics.metrics, 240_000);
    return { duplicates: pipeline.stats().duplicates, metrics: await pipeline.registry.metrics() };
  } finally {
    await pipeline.stop();
  }
}

beforeAll(async () => {
  reference = await createTestEnv('hostile-load-ref', { overrides });
  hostile = await createTestEnv('hostile-load', { overrides });
  refCh = createClickHouse(reference.config);
  ch = createClickHouse(hostile.config);
  disordered = disorderedPoints(Date.now());
  duplicated = duplicatedPoints();
  // The reference has the dup series too, each record sent once: interleaved the same way.
  const refMixed: MetricPoint[] = [];
  const originals = dupOriginals();
  normal.forEach((p, i) => refMixed.push(p, ...(i < originals.length ? [originals[i]] : [])));
  await run(reference, refMixed);
  // Interleaved as a busy producer would send them: the flood between every normal point.
  const mixed: MetricPoint[] = [];
  const others = [...disordered.points, ...duplicated.points];
  let f = 0;
  let o = 0;
  for (const p of normal) {
    mixed.push(p);
    for (let k = 0; k < FLOOD_FACTOR / NORMAL.length && f < flood.length; k++) mixed.push(flood[f++]);
    if (o < others.length) mixed.push(others[o++]);
  }
  mixed.push(...flood.slice(f), ...others.slice(o));
  hostileRun = await run(hostile, mixed);
}, 600_000);

afterAll(async () => {
  await refCh?.close();
  await ch?.close();
  await reference?.cleanup();
  await hostile?.cleanup();
});

describe('hostile load on the real pipeline', () => {
  it('leaves the other series exactly as a run without the hostile ones', async () => {
    for (const s of NORMAL) {
      const want = await seriesOutcome(refCh, reference.config.clickhouse.database, s.source);
      const got = await seriesOutcome(ch, hostile.config.clickhouse.database, s.source);
      expect(want.points).toHaveLength(N);
      expect(got.points, s.source).toEqual(want.points);
      expect(got.anomalies, s.source).toEqual(want.anomalies);
      expect(got.alerts, s.source).toEqual(want.alerts);
    }
    // The reference is not trivial: the injected spike was found in both runs.
    expect((await seriesOutcome(refCh, reference.config.clickhouse.database, 'calm-b')).anomalies.length).toBeGreaterThan(0);
  });

  it('stores every point of the flooding series once', async () => {
    const db = hostile.config.clickhouse.database;
    const [r] = await query<{ n: string; distinctTs: string }>(ch, `SELECT count() AS n, uniqExact(timestamp_ms) AS distinctTs FROM ${db}.points FINAL WHERE source = 'flood'`);
    expect(Number(r.n)).toBe(flood.length);
  });

  it('stores out-of-order, late and skewed points, and dead-letters those beyond the skew with invalid-timestamp', async () => {
    const db = hostile.config.clickhouse.database;
    const [r] = await query<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.points FINAL WHERE source = 'skewed'`);
    expect(Number(r.n)).toBe(disordered.points.length - disordered.refused);
    const dlq = await consumeAll(hostile.config, hostile.topics.dlq, 20_000);
    const skewed = dlq.filter((m) => m.key?.toString() === 'skewed/latency');
    expect(skewed.map((m) => m.headers?.['vigil-dlq-reason']?.toString())).toEqual(Array(disordered.refused).fill('invalid-timestamp'));
  });

  it('stores a record sent twice once, counts the copy, and dead-letters another value at a held timestamp', async () => {
    const db = hostile.config.clickhouse.database;
    const [r] = await query<{ n: string; ts: string }>(ch, `SELECT count() AS n, uniqExact(timestamp_ms) AS ts FROM ${db}.points FINAL WHERE source = 'dup'`);
    expect(Number(r.ts)).toBe(N);
    expect(Number(r.n)).toBe(N);
    // scored as if the copies had never been sent: the same rows as the reference's single copies
    const want = await seriesOutcome(refCh, reference.config.clickhouse.database, 'dup');
    const got = await seriesOutcome(ch, db, 'dup');
    expect(want.points).toHaveLength(N);
    expect(got).toEqual(want);
    expect(hostileRun.duplicates).toBe(duplicated.duplicates);
    expect(sampleValue(parsePrometheus(hostileRun.metrics), 'vigil_pipeline_duplicates_total')).toBe(duplicated.duplicates);
    expect(sampleValue(parsePrometheus(hostileRun.metrics), 'vigil_pipeline_dlq_total', { reason: 'duplicate-timestamp' })).toBe(duplicated.conflicts.length);
    const dlq = (await consumeAll(hostile.config, hostile.topics.dlq, 20_000)).filter((m) => m.key?.toString() === 'dup/errors');
    expect(dlq.map((m) => m.headers?.['vigil-dlq-reason']?.toString())).toEqual(duplicated.conflicts.map(() => 'duplicate-timestamp'));
    const details = dlq.map((m) => m.headers?.['vigil-dlq-detail']?.toString() ?? '');
    duplicated.conflicts.forEach((c, k) => {
      expect(details[k]).toContain(`at ${new Date(c.timestamp).toISOString()}`);
      expect(details[k]).toContain(`with value ${c.value - 100}; this record says ${c.value}: the first is kept`);
    });
  });
});
