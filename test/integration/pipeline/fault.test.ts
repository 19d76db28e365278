/**
 * Back-pressure against the real servers (docs/architecture.md, "Back-pressure"): the
 * pipeline reaches ClickHouse through a loopback proxy the test cuts mid-stream, while the
 * shared ClickHouse and Kafka keep running for everybody else. (a) ClickHouse refuses
 * connections for ~10 s; (b) ClickHouse accepts and never answers for longer than the
 * client's 30 s request timeout. While cut: nothing is committed past what is stored, the
 * member keeps its partitions and stays in the group, the lanes retry. After restore: the
 * run stores exactly what an uninterrupted run stores, each point once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Admin } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { VigilConfig } from '../../../core/config.ts';
import { createLogger, type Logger } from '../../../core/logger.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startPipeline, type PipelineHandle } from '../../../pipeline/runtime/pipeline.ts';
import { createTestEnv, startTcpProxy, waitFor, type CutMode, type TestEnv } from '../../support/index.ts';
import { POINTS_PER_SERIES, STEP_MS, expectSameRows, outcome, referenceOutcome, pointCount, producePoints, query, scenarioPoints, waitForCommitted, type Outcome } from './scenario.ts';

const start = Date.now() - POINTS_PER_SERIES * STEP_MS - 60_000;
const points = scenarioPoints(start, 13);
const PARTITIONS = 4;
const overrides = { pipeline: { windowSize: 200, workerThreads: 1, snapshotIntervalMs: 500 } };
/** The pipeline's ClickHouse client gives up on a request after 30 s (createClickHouse); no config knob. */
const CLICKHOUSE_REQUEST_TIMEOUT_MS = 30_000;

/** Pipeline logs kept in memory (bounded) so the test can count rebalances and retries. */
interface CapturedLogs {
  logger: Logger;
  lines: Array<Record<string, unknown> & { time: number; msg: string; level: number }>;
}

function captureLogs(name: string): CapturedLogs {
  const lines: CapturedLogs['lines'] = [];
  const echo = process.env.VIGIL_TEST_FAULT_LOG === '1';
  const stream = {
    write(line: string) {
      if (lines.length < 50_000) lines.push(JSON.parse(line));
      if (echo) process.stderr.write(line);
    },
  };
  return { logger: pino({ level: 'info', base: { test: name } }, stream), lines };
}

interface Sample {
  atMs: number; // since the cut
  committed: Map<number, bigint>;
  stored: Map<number, { max: bigint; n: number }>;
  owned: number[];
  groupState: string;
  memberIds: string[];
}

async function committedOffsets(admin: Admin, config: VigilConfig, topic: string): Promise<Map<number, bigint>> {
  const [entry] = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
}

async function storedOffsets(ch: ClickHouseClient, db: string): Promise<Map<number, { max: bigint; n: number }>> {
  const rows = await query<{ p: number; m: string; n: string }>(ch, `SELECT kafka_partition AS p, max(kafka_offset) AS m, count() AS n FROM ${db}.points GROUP BY p`);
  return new Map(rows.map((r) => [Number(r.p), { max: BigInt(r.m), n: Number(r.n) }]));
}

async function group(admin: Admin, config: VigilConfig): Promise<{ state: string; memberIds: string[] }> {
  const { groups } = await admin.describeGroups([config.kafka.groupId]);
  const g = groups[0];
  return { state: g?.state ?? 'missing', memberIds: (g?.members ?? []).map((m) => m.memberId).sort() };
}

/** Committed offsets first, stored second: what was committed before the read must be stored by then. */
async function sample(admin: Admin, ch: ClickHouseClient, env: TestEnv, pipeline: PipelineHandle, cutAt: number): Promise<Sample> {
  const committed = await committedOffsets(admin, env.config, env.topics.metrics);
  const stored = await storedOffsets(ch, env.config.clickhouse.database);
  const g = await group(admin, env.config);
  return { atMs: Date.now() - cutAt, committed, stored, owned: pipeline.stats().ownedPartitions, groupState: g.state, memberIds: g.memberIds };
}

/** Partitions whose committed offset is past the stored prefix (a commit of unstored records). */
function commitsAheadOfStore(s: Sample): string[] {
  const bad: string[] = [];
  for (const [p, c] of s.committed) {
    if (c < 0n) continue;
    const storedNext = (s.stored.get(p)?.max ?? -1n) + 1n;
    if (c > storedNext) bad.push(`partition ${p}: committed ${c} > stored next ${storedNext} at +${s.atMs} ms`);
  }
  return bad;
}

const totalStored = (s: Sample) => [...s.stored.values()].reduce((a, x) => a + x.n, 0);
const totalCommitted = (s: Sample) => [...s.committed.values()].reduce((a, c) => a + (c > 0n ? c : 0n), 0n);

interface FaultReport {
  mode: CutMode;
  cutMs: number;
  storedAtCut: number;
  retries: number;
  retryWarnings: number;
  retriesByWhat: Record<string, number>;
  firstRetryAfterCutMs: number | null;
  /** Failures that caused a retry after the cut: ms since the cut and the error message. */
  retryCauses: Array<{ atMs: number; what: string; error: string }>;
  /** The first sample where the member did not own every partition of a stable group alone. */
  firstDeviation: Sample | null;
  resumeAfterRestoreMs: number;
  caughtUpAfterRestoreMs: number;
  rebalances: number;
  crashes: number;
  proxy: ReturnType<Awaited<ReturnType<typeof startTcpProxy>>['stats']>;
  samples: Sample[];
  memberBefore: string[];
  memberAfter: { state: string; memberIds: string[] };
  got: Outcome;
  /** Offsets stored more than once, per partition (range and rows too many). A background merge
   * of `points` (ReplacingMergeTree) may already have folded them; points_1m never does. */
  duplicates: Array<{ partition: number; from: string; to: string; extraRows: number }>;
}

async function duplicatedOffsets(ch: ClickHouseClient, db: string): Promise<FaultReport['duplicates']> {
  const rows = await query<{ p: number; lo: string; hi: string; extra: string }>(
    ch,
    `SELECT p, min(o) AS lo, max(o) AS hi, sum(c - 1) AS extra
     FROM (SELECT kafka_partition AS p, kafka_offset AS o, count() AS c FROM ${db}.points GROUP BY p, o HAVING c > 1)
     GROUP BY p ORDER BY p`,
  );
  return rows.map((r) => ({ partition: Number(r.p), from: r.lo, to: r.hi, extraRows: Number(r.extra) }));
}

const envs: TestEnv[] = [];
const clients: ClickHouseClient[] = [];
let reference: Outcome;

async function newEnv(name: string) {
  const env = await createTestEnv(name, { overrides, partitions: PARTITIONS });
  envs.push(env);
  const ch = createClickHouse(env.config);
  clients.push(ch);
  return { env, ch };
}

/**
 * Streams the scenario into a pipeline whose ClickHouse is behind a proxy, cuts the proxy
 * once a fifth of the points is stored (at once, or at the next batch insert after its
 * points), holds the cut for `cutMs` while sampling the group, restores, and waits until
 * everything is committed.
 */
async function runWithFault(name: string, mode: CutMode, cutMs: number, cutPoint: 'now' | 'between-inserts'): Promise<FaultReport> {
  const { env, ch } = await newEnv(name);
  const db = env.config.clickhouse.database;
  const real = new URL(env.config.clickhouse.url);
  const proxy = await startTcpProxy(real.hostname, Number(real.port || 8123));
  const pipelineConfig: VigilConfig = { ...env.config, clickhouse: { ...env.config.clickhouse, url: `http://127.0.0.1:${proxy.port}` } };
  const logs = captureLogs(name);
  const admin = createKafka(env.config, createLogger('warn')).admin();
  await admin.connect();
  const pipeline = await startPipeline(pipelineConfig, logs.logger, { instanceId: name });
  try {
    // A paced stream (~30 chunks, ~100 ms apart) so records keep arriving during the cut.
    const producing = producePoints(env.config, env.topics.metrics, points, 150, 100);
    await waitFor(async () => pipeline.stats().ownedPartitions.length === PARTITIONS && (await pointCount(ch, db)).raw >= points.length / 5, 60_000, {
      message: 'a fifth of the points stored before the cut',
    });
    const memberBefore = (await group(admin, env.config)).memberIds;
    let cutAt: number;
    if (cutPoint === 'now') {
      cutAt = Date.now();
      await proxy.cut(mode);
    } else {
      // A batch's rows go in several INSERTs, points first: cut after its points were acknowledged,
      // before the rest of the batch (anomalies, alert events, SLA snapshots) reaches the server.
      const rest = new RegExp(`^POST [^\\r\\n]*${db}\\.(anomalies|alert_events|sla_snapshots)\\b`);
      const armed = proxy.cutOn((chunk) => rest.test(chunk.toString('latin1', 0, 1024)), mode);
      cutAt = await Promise.race([armed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no batch wrote more than points within 20 s')), 20_000))]);
    }
    const samples: Sample[] = [];
    while (Date.now() - cutAt < cutMs) {
      samples.push(await sample(admin, ch, env, pipeline, cutAt));
      await new Promise((r) => setTimeout(r, 500));
    }
    const last = await sample(admin, ch, env, pipeline, cutAt);
    samples.push(last);
    await proxy.restore();
    const restoredAt = Date.now();
    const storedAtRestore = totalStored(last);
    await waitFor(async () => (await pointCount(ch, db)).raw > storedAtRestore, 60_000, { intervalMs: 50, message: 'progress after restore' });
    const resumeAfterRestoreMs = Date.now() - restoredAt;
    await producing;
    await waitForCommitted(env.config, env.topics.metrics, 30_000);
    const caughtUpAfterRestoreMs = Date.now() - restoredAt;
    const memberAfter = await group(admin, env.config);
    const stats = pipeline.stats();
    const retryLines = logs.lines.filter((l) => typeof l.retryInMs === 'number');
    const retriesByWhat: Record<string, number> = {};
    for (const l of retryLines) retriesByWhat[String(l.what)] = (retriesByWhat[String(l.what)] ?? 0) + 1;
    const firstRetry = retryLines.find((l) => l.time >= cutAt);
    await pipeline.stop();
    const report: FaultReport = {
      mode,
      cutMs: restoredAt - cutAt,
      storedAtCut: totalStored(samples[0]),
      retries: stats.retries,
      retryWarnings: retryLines.length,
      retriesByWhat,
      firstRetryAfterCutMs: firstRetry ? firstRetry.time - cutAt : null,
      retryCauses: retryLines
        .filter((l) => l.time >= cutAt)
        .map((l) => ({ atMs: l.time - cutAt, what: String(l.what), error: String((l.err as { message?: unknown } | undefined)?.message ?? '') })),
      firstDeviation: samples.find((s) => s.owned.length !== PARTITIONS || s.groupState !== 'Stable' || s.memberIds.join() !== memberBefore.join()) ?? null,
      resumeAfterRestoreMs,
      caughtUpAfterRestoreMs,
      rebalances: logs.lines.filter((l) => l.msg === 'partitions assigned').length - 1,
      crashes: logs.lines.filter((l) => l.msg === 'consumer crashed').length,
      proxy: proxy.stats(),
      samples,
      memberBefore,
      memberAfter,
      got: await outcome(ch, db),
      duplicates: await duplicatedOffsets(ch, db),
    };
    console.info(
      `[fault ${mode}] cut ${report.cutMs} ms, stored at cut ${report.storedAtCut}/${points.length}, retries ${report.retries} ${JSON.stringify(retriesByWhat)}, ` +
        `first retry +${report.firstRetryAfterCutMs} ms, resumed ${resumeAfterRestoreMs} ms and caught up ${caughtUpAfterRestoreMs} ms after restore, ` +
        `rebalances ${report.rebalances}, crashes ${report.crashes}, proxy ${JSON.stringify(report.proxy)}, ` +
        `raw points ${report.got.rawPoints} rollup count ${report.got.rollupCount} for ${points.length} produced, duplicated offsets ${JSON.stringify(report.duplicates)}` +
        (report.firstDeviation ? `, group deviation at +${report.firstDeviation.atMs} ms: ${report.firstDeviation.groupState} members ${report.firstDeviation.memberIds.length} owned ${report.firstDeviation.owned}` : ''),
    );
    return report;
  } finally {
    await pipeline.stop().catch(() => undefined);
    await proxy.close();
    await admin.disconnect();
  }
}

/** The claims of the Back-pressure paragraph, checked on one faulted run. */
function expectBackPressure(r: FaultReport) {
  expect(r.samples.length).toBeGreaterThan(5);
  // Nothing committed that is not stored, at any moment of the cut.
  expect(r.samples.flatMap(commitsAheadOfStore)).toEqual([]);
  // The cut really stopped progress mid-stream: a second in, storage and the group's commits
  // froze while records kept arriving. (Before that, a request the cut broke after the server
  // had read all of it may still land, and its batch may commit.)
  const settled = r.samples.filter((s) => s.atMs >= 1000);
  expect(r.storedAtCut).toBeLessThan(points.length);
  expect(settled.length).toBeGreaterThan(5);
  expect(new Set(settled.map(totalStored)).size).toBe(1);
  expect(new Set(settled.map((s) => String(totalCommitted(s)))).size).toBe(1);
  // The member kept its partitions and its place in the group: no rebalance, no new member.
  expect(r.firstDeviation).toBeNull();
  expect(r.memberAfter).toEqual({ state: 'Stable', memberIds: r.memberBefore });
  expect(r.rebalances).toBe(0);
  expect(r.crashes).toBe(0);
  expect(r.retries).toBeGreaterThan(0);
  // Everything processed after the restore, as without the fault (FINAL: one row per point).
  expectSameRows(r.got.points, reference.points, 'points');
  expectSameRows(r.got.anomalies, reference.anomalies, 'anomalies');
  expectSameRows(r.got.alertEvents, reference.alertEvents, 'alert events');
}

/** "The pipeline never re-inserts a point": raw rows and the rollups' counts equal the input. */
function expectEachPointStoredOnce(r: FaultReport) {
  expect(r.duplicates).toEqual([]);
  expect(r.got.rawPoints).toBe(points.length);
  expect(r.got.rollupCount).toBe(points.length);
}

/** Each faulted run once, shared by the tests that check it. */
function once<T>(run: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= run());
}
const refused = once(() => runWithFault('fault-refuse', 'refuse', 10_000, 'between-inserts'));
const hung = once(() => runWithFault('fault-hang', 'hang', CLICKHOUSE_REQUEST_TIMEOUT_MS + 5_000, 'now'));

beforeAll(async () => {
  const { env, ch } = await newEnv('fault-ref');
  reference = await referenceOutcome(env, ch, points, 60_000);
}, 90_000);

afterAll(async () => {
  for (const ch of clients) await ch.close();
  for (const env of envs) await env.cleanup().catch(() => undefined);
});

describe('back-pressure when ClickHouse fails mid-stream', () => {
  it('the reference run is not trivial', () => {
    expect(reference.rawPoints).toBe(points.length);
    expect(reference.rollupCount).toBe(points.length);
    expect(reference.anomalies.length).toBeGreaterThan(2);
    expect(reference.alertEvents.length).toBeGreaterThan(2);
  });

  it('refused for 10 s, cut between a batch\'s points insert and the rest: pauses, commits nothing unstored, keeps its partitions, resumes by itself', async () => {
    const r = await refused();
    expect(r.retryCauses.length).toBeGreaterThan(0);
    expect(r.firstRetryAfterCutMs).toBeLessThan(2000);
    expectBackPressure(r);
  }, 100_000);

  // Regression: the points of a batch used to be re-sent with the retry of a later INSERT of the
  // same batch, so points_1m counted them twice.
  it('refused between a batch\'s points insert and the rest: each point stored once', async () => {
    expectEachPointStoredOnce(await refused());
  }, 100_000);

  // Regression: without heartbeats during an attempt the 30 s request timeout outlived the 30 s
  // session, the broker dropped the member and the lane retried its commit forever.
  it('hanging (accepts, never answers) past the client request timeout: same guarantees, each point stored once', async () => {
    const r = await hung();
    // The client really met the black hole and gave up on a request by its own timeout.
    expect(r.proxy.held).toBeGreaterThan(0);
    expect(r.retryCauses.some((c) => c.atMs >= CLICKHOUSE_REQUEST_TIMEOUT_MS - 1000 && /timeout/i.test(c.error))).toBe(true);
    expectBackPressure(r);
    expectEachPointStoredOnce(r);
  }, 120_000);
});
