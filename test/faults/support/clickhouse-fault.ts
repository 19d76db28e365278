/**
 * The frame of the ClickHouse faults (issue #12 rows 4 and 8): a pipeline (in this process, with
 * its /metrics and /health server) writing to a PRIVATE ClickHouse server
 * (test/support/private-clickhouse.ts; the shared one is never touched), the steady load, and a
 * fault applied to that server once a third of the load is sent and lifted `holdMs` later. While
 * it lasts the pipeline's /health, its consumer lag gauge and (when the server still answers
 * reads) the committed offsets against the stored ones are sampled every second.
 */
import { expect } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin } from 'kafkajs';
import type { VigilConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/logger.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { startPipeline, type PipelineHandle } from '../../../pipeline/runtime/pipeline.ts';
import { startMetricsServer, type MetricsServer } from '../../../pipeline/runtime/metrics-server.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { createTestEnv, waitFor, type TestEnv } from '../../support/index.ts';
import type { PrivateClickHouse } from '../../support/private-clickhouse.ts';
import { query, waitForCommitted } from '../../integration/pipeline/scenario.ts';
import { startPacedLoad, type FaultLoad } from './load.ts';
import { PARTITIONS, PIPELINE_OVERRIDES, catchUpMs } from './run.ts';

/** Below the 60 s default, so a 30 s fault turns /health 503 (its reason shows in lastError from the first failure either way). */
export const STALL_AFTER_MS = 10_000;

/** The fault run's topics and group on the shared Kafka, its database (migrated) on the private server, and a client to it. */
export async function privateServerEnv(name: string, server: PrivateClickHouse): Promise<{ env: TestEnv; ch: ClickHouseClient }> {
  const env = await createTestEnv(name, {
    partitions: PARTITIONS,
    overrides: { pipeline: { ...PIPELINE_OVERRIDES.pipeline, stallAfterMs: STALL_AFTER_MS }, clickhouse: { url: server.httpUrl } },
  });
  return { env, ch: createClickHouse(env.config) };
}

export interface HealthSample {
  /** ms since the fault was in place */
  at: number;
  status: number;
  healthy: boolean;
  lastError: string | null;
  stalledPartitions: number;
  /** The reason /health gives for each stalled partition. */
  stallReasons: string[];
  /** Sum of vigil_pipeline_consumer_lag over the partitions, or null when the scrape had none. */
  lag: number | null;
  /** Partitions whose committed offset is past what the server holds (empty when it could not be read). */
  aheadOfStore: string[];
}

export interface ClickHouseFaultRun {
  samples: HealthSample[];
  /** Lag gauge just before the fault. */
  lagBefore: number | null;
  /** ms `begin` took (e.g. until the stopped server had exited). */
  applyMs: number;
  /** ms from the fault being in place to its end. */
  heldMs: number;
  recoveryMs: number;
  sent: { produced: number; elapsedMs: number; failedSends: number };
  /** Whatever `lift` returned (e.g. how long the server took to come back). */
  lifted: unknown;
}

export interface ClickHouseFault {
  /** Applies the fault (stop the server, fill its disk…). */
  begin(): Promise<void>;
  /** Lifts it (restart, free the space…). */
  end(): Promise<unknown>;
  /** Whether the server answers reads meanwhile (then commits are checked against the stored offsets). */
  readable: boolean;
}

/** Sum of a gauge's samples in Prometheus text, or null when it has none. */
export function gaugeSum(text: string, name: string): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

async function committedOffsets(admin: Admin, config: VigilConfig, topic: string): Promise<Map<number, bigint>> {
  const [entry] = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
}

/** Committed offsets first, stored second: what was committed before the read must be stored by then. */
async function commitsAheadOfStore(admin: Admin, ch: ClickHouseClient, config: VigilConfig, topic: string): Promise<string[]> {
  const committed = await committedOffsets(admin, config, topic);
  const rows = await query<{ p: number; m: string }>(ch, `SELECT kafka_partition AS p, max(kafka_offset) AS m FROM ${config.clickhouse.database}.points GROUP BY p`);
  const stored = new Map(rows.map((r) => [Number(r.p), BigInt(r.m)]));
  const bad: string[] = [];
  for (const [p, c] of committed) {
    const next = (stored.get(p) ?? -1n) + 1n;
    if (c > 0n && c > next) bad.push(`partition ${p}: committed ${c} > stored next ${next}`);
  }
  return bad;
}

async function scrape(url: string): Promise<{ status: number; body: Record<string, unknown>; lag: number | null }> {
  const [h, m] = await Promise.all([fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) }), fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })]);
  const body = (await h.json()) as Record<string, unknown>;
  return { status: h.status, body, lag: gaugeSum(await m.text(), 'vigil_pipeline_consumer_lag') };
}

/**
 * Runs the load through a pipeline on `config` (pointing at the private server), applies `fault`
 * at a third of the load for `holdMs`, then waits until the group has caught up and is healthy.
 */
export async function runClickHouseFault(opts: { config: VigilConfig; topic: string; load: FaultLoad; ch: ClickHouseClient; instanceId: string; holdMs: number; fault: ClickHouseFault }): Promise<ClickHouseFaultRun> {
  const { config, topic, load, fault } = opts;
  const logger = createLogger('error');
  let http: MetricsServer | undefined;
  let pipeline: PipelineHandle | undefined;
  const admin = createKafka(config, createLogger('silent')).admin();
  await admin.connect();
  try {
    http = await startMetricsServer({ host: '127.0.0.1', port: 0, logger });
    pipeline = await startPipeline(config, logger, { instanceId: opts.instanceId });
    http.attach(pipeline);
    await waitFor(() => pipeline!.health().healthy && pipeline!.stats().ownedPartitions.length > 0, 60_000, { message: 'pipeline healthy before the fault' });
    const paced = startPacedLoad(config, topic, load);
    await waitFor(() => paced.produced() >= load.points.length / 3, 120_000, { message: 'a third of the load sent' });
    const lagBefore = (await scrape(http.url)).lag;
    const applied = Date.now();
    await fault.begin();
    // The hold counts from the fault being in place (a SIGTERMed server takes seconds to exit).
    const began = Date.now();
    const applyMs = began - applied;
    const samples: HealthSample[] = [];
    while (Date.now() - began < opts.holdMs) {
      const at = Date.now() - began;
      const s = await scrape(http.url).catch(() => null);
      const ahead = fault.readable ? await commitsAheadOfStore(admin, opts.ch, config, topic).catch(() => []) : [];
      if (s) {
        samples.push({
          at,
          status: s.status,
          healthy: s.body.healthy === true,
          lastError: (s.body.lastError as string | null) ?? null,
          stalledPartitions: ((s.body.stalledPartitions as unknown[]) ?? []).length,
          stallReasons: ((s.body.stalledPartitions as Array<{ reason: string }>) ?? []).map((x) => x.reason),
          lag: s.lag,
          aheadOfStore: ahead,
        });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const heldMs = Date.now() - began;
    const lifted = await fault.end();
    const endedAt = Date.now();
    const recoveryMs = await catchUpMs(config, topic, 180_000, endedAt);
    const sent = await paced.done;
    await waitForCommitted(config, topic, 180_000);
    // Committed everything: nothing may be committed past the store now either.
    expect(await commitsAheadOfStore(admin, opts.ch, config, topic)).toEqual([]);
    await waitFor(async () => (await scrape(http!.url)).status === 200, 60_000, { message: 'pipeline /health 200 again' });
    return { samples, lagBefore, applyMs, heldMs, recoveryMs, sent, lifted };
  } finally {
    await pipeline?.stop().catch(() => undefined);
    await http?.close().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** One line per sample, for assertion messages. */
export function describeSamples(samples: HealthSample[]): string {
  return JSON.stringify(samples.map((s) => [s.at, s.status, s.lag, s.stalledPartitions, s.lastError?.slice(0, 160)]));
}
