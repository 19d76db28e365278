/**
 * The frame every fault test shares: the reference run of the load, the catch-up clock, and the
 * conclusion (tally, comparison with the reference, the table row, the assertions).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { VigilConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/logger.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startPipeline } from '../../../pipeline/runtime/pipeline.ts';
import { createTestEnv, waitFor, type TestEnv } from '../../support/index.ts';
import { ensureTopics } from '../../../pipeline/kafka/topics.ts';
import { expectSameRows, producePoints, waitForCommitted } from '../../integration/pipeline/scenario.ts';
import { derived, matchRows, pointTally, type Derived } from './tally.ts';
import { WINDOW, type FaultLoad } from './load.ts';
import { recordFault, type FaultRow } from './table.ts';

export const PARTITIONS = 4;
/** Same detector settings in the reference and in every fault run: their outputs must be equal. */
export const PIPELINE_OVERRIDES = { pipeline: { windowSize: WINDOW, workerThreads: 1, snapshotIntervalMs: 2000 } };

export interface Reference extends Derived {
  points: number;
}

/** One uninterrupted pipeline over the whole load, unpaced, on the shared stack. */
export async function referenceRun(name: string, load: FaultLoad, pipelineOverrides: Record<string, unknown> = {}): Promise<Reference> {
  const env = await createTestEnv(`${name}-ref`, { partitions: PARTITIONS, overrides: { pipeline: { ...PIPELINE_OVERRIDES.pipeline, ...pipelineOverrides } } });
  const ch = createClickHouse(env.config);
  const t0 = Date.now();
  try {
    const pipeline = await startPipeline(env.config, createLogger('error'), { instanceId: `${name}-ref` });
    try {
      await producePoints(env.config, env.topics.metrics, load.points, 4000);
      await waitForCommitted(env.config, env.topics.metrics, 180_000);
    } finally {
      await pipeline.stop();
    }
    const tally = await pointTally(ch, env.config.clickhouse.database, load.points.length);
    expect(tally, 'the reference run stores every point once').toEqual({ produced: load.points.length, stored: load.points.length, duplicated: 0, lost: 0 });
    const d = await derived(ch, env.config.clickhouse.database);
    console.info(`[faults] ${name} reference: ${load.points.length} points, ${d.anomalies.length} anomalies, ${d.transitions.length} transitions in ${Date.now() - t0} ms`);
    // Not trivial: the incidents were found and alerted on.
    expect(d.anomalies.length).toBeGreaterThanOrEqual(load.incidents);
    expect(d.transitions.length).toBeGreaterThanOrEqual(4);
    return { ...d, points: load.points.length };
  } finally {
    await ch.close();
    await env.cleanup().catch(() => undefined);
  }
}

export interface PrivateKafkaFault<K> {
  kafka: K;
  reference: Reference;
  env: TestEnv;
  ch: ClickHouseClient;
}

/**
 * The frame of a fault file on a PRIVATE Kafka (broker or cluster) and the shared ClickHouse,
 * as vitest hooks: the Kafka started beside the reference run, the run's topics created on it,
 * a ClickHouse client on its database; afterwards the database dropped (the topics die with the
 * private Kafka) and the Kafka closed. The returned object is filled once beforeAll has run.
 */
export function privateKafkaFault<K extends { brokers: string[]; close(): Promise<void> }>(
  name: string,
  load: FaultLoad,
  start: () => Promise<K>,
  overrides: Record<string, unknown> & { kafka?: Record<string, unknown> },
): PrivateKafkaFault<K> {
  const f = {} as PrivateKafkaFault<K>;
  beforeAll(async () => {
    [f.kafka, f.reference] = await Promise.all([start(), referenceRun(name, load)]);
    const { kafka, ...rest } = overrides;
    f.env = await createTestEnv(name, { partitions: PARTITIONS, topics: false, overrides: { ...PIPELINE_OVERRIDES, kafka: { brokers: f.kafka.brokers, ...kafka }, ...rest } });
    await ensureTopics(f.env.config, f.env.logger);
    f.ch = createClickHouse(f.env.config);
  }, 300_000);
  afterAll(async () => {
    await f.ch?.close();
    await f.env?.cleanup().catch(() => undefined);
    await f.kafka?.close();
  });
  return f;
}

/** GET `url` → status and JSON body (a /health), bounded at 5 s. */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * ms from now until the group has committed every record the topic held now: how long the
 * pipeline takes to catch up with what was produced up to the end of a fault.
 */
export async function catchUpMs(config: VigilConfig, topic: string, timeoutMs: number, since = Date.now()): Promise<number> {
  const admin = createKafka(config, createLogger('silent')).admin();
  const deadline = Date.now() + timeoutMs;
  try {
    // Right after a broker restart its partitions may have no leader yet: ask again.
    const ends = await waitFor(async () => {
      await admin.connect();
      return new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, BigInt(e.high)]));
    }, timeoutMs, { intervalMs: 250, message: `end offsets of ${topic}` });
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topic] }).catch(() => [undefined]);
      const behind = [...ends].filter(([p, end]) => BigInt(committed?.partitions.find((c) => c.partition === p)?.offset ?? '-1') < end && end > 0n);
      if (committed && behind.length === 0) return Date.now() - since;
      if (Date.now() > deadline) throw new Error(`group ${config.kafka.groupId} did not catch up with ${topic} partitions ${behind.map(([p]) => p).join(',')} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface Conclusion {
  id: string;
  order: number;
  fault: string;
  duration: string;
  notes?: string;
  load: FaultLoad;
  produced: number;
  /** How long the load took to send (a slow broker or a starved producer stretches it). */
  sentInMs: number;
  recoveryMs: number;
  reference: Reference;
  ch: ClickHouseClient;
  db: string;
}

/** Tallies the run, records its table row, then asserts exactly-once against the reference. */
export async function conclude(c: Conclusion): Promise<FaultRow> {
  const tally = await pointTally(c.ch, c.db, c.produced);
  const d = await derived(c.ch, c.db);
  const a = matchRows(c.reference.anomalies, d.anomalies);
  const t = matchRows(c.reference.transitions, d.transitions);
  const notes = [c.notes, d.stallTransitions > 0 ? `${d.stallTransitions} stall-alert transitions` : '', a.extra + t.extra > 0 ? `${a.extra} extra anomalies, ${t.extra} extra transitions` : '']
    .filter(Boolean)
    .join('; ');
  const row: FaultRow = {
    order: c.order,
    fault: c.fault,
    load: c.load.describe(c.sentInMs),
    duration: c.duration,
    ...tally,
    anomaliesExpected: c.reference.anomalies.length,
    anomaliesSeen: a.seen,
    transitionsExpected: c.reference.transitions.length,
    transitionsSeen: t.seen,
    recoveryMs: c.recoveryMs,
    notes,
  };
  recordFault(c.id, row);
  console.info(`[faults] ${c.id}: ${JSON.stringify(row)}`);
  expect(c.produced, 'every point of the load was produced').toBe(c.load.points.length);
  expect({ lost: tally.lost, duplicated: tally.duplicated }).toEqual({ lost: 0, duplicated: 0 });
  expectSameRows(d.anomalies, c.reference.anomalies, 'anomalies');
  expectSameRows(d.transitions, c.reference.transitions, 'alert transitions');
  return row;
}
