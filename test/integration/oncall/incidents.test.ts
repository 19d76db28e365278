/**
 * Incident correlation on the real broker and ClickHouse: grouping and no-data incidents end to
 * end; effectively-once through kill -9 of `./bin/vigil oncall` in the middle of a transaction
 * and through rebalances between two instances. The reference for "identical" is (a) the pure
 * incident task replayed over the committed by-group log, for every group, and (b) an
 * uninterrupted run on its own environment, for the single-series groups (whose order cannot
 * depend on how partitions interleave).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { createKafka, javaCompatiblePartitioner } from '../../../pipeline/kafka/client.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { startOncall, type OncallProcess } from '../../../oncall/runtime.ts';
import { compileInhibitRules } from '../../../oncall/incidents/inhibition.ts';
import { incidentEventRow } from '../../../oncall/incidents/rows.ts';
import { incidentTask } from '../../../oncall/incidents/tasks.ts';
import type { IncidentEvent } from '../../../schemas/records.ts';
import { consumeAll, createTestEnv, waitFor, type TestEnv } from '../../support/index.ts';
import { alertWaves, decodeIncidents, produceAlerts } from './alert-scenario.ts';

const vigil = fileURLToPath(new URL('../../../bin/vigil', import.meta.url));
const envs: TestEnv[] = [];
const silent = createLogger('silent');

async function newEnv(name: string): Promise<TestEnv & { producer: Producer }> {
  const env = await createTestEnv(name, { partitions: 4 });
  envs.push(env);
  const producer = createKafka(env.config, env.logger).producer({ idempotent: true, createPartitioner: javaCompatiblePartitioner });
  await producer.connect();
  const cleanup = env.cleanup;
  return { ...env, producer, cleanup: async () => { await producer.disconnect(); await cleanup(); } };
}

afterAll(async () => {
  for (const env of envs) await env.cleanup().catch(() => {});
});

const incidentsOf = async (env: TestEnv) => decodeIncidents(await consumeAll(env.config, env.topics.incidents, 30_000));

/** Waits until the incidents topic holds `n` committed events. */
async function waitForIncidents(env: TestEnv, n: number, timeoutMs = 90_000): Promise<IncidentEvent[]> {
  return waitFor(async () => {
    const events = await incidentsOf(env);
    if (events.length > n) throw new Error(`more incident events than expected: ${events.length} > ${n}`);
    return events.length === n ? events : undefined;
  }, timeoutMs, { intervalMs: 500, message: `${n} incident events` });
}

/** What the incident task makes of the committed by-group log: the expected incidents topic, partition by partition. */
async function replayByGroupLog(env: TestEnv): Promise<IncidentEvent[]> {
  const messages = await consumeAll(env.config, env.topics.alertsByGroup, 30_000);
  const rules = { policy: env.config.oncall, inhibitRules: compileInhibitRules(env.config.oncall) };
  const out: IncidentEvent[] = [];
  const counter = { skipped: () => undefined };
  for (let p = 0; p < env.config.kafka.partitions; p++) {
    const task = incidentTask(p, new Map(), rules, silent, counter, (events) => out.push(...events));
    task.transform(messages.filter((m) => m.partition === p)).commit();
  }
  return out;
}

async function storedRows(env: TestEnv) {
  const ch = createClickHouse(env.config, { logger: silent });
  try {
    const rs = await ch.query({ query: 'SELECT * FROM incident_events FINAL ORDER BY incident_id, version', format: 'JSONEachRow' });
    return (await rs.json<Record<string, unknown>>()).map((r) => ({ ...r, version: Number(r.version), timestamp_ms: Number(r.timestamp_ms), opened_at_ms: Number(r.opened_at_ms) }));
  } finally {
    await ch.close();
  }
}

function expectedRows(events: IncidentEvent[]) {
  return events
    .map(incidentEventRow)
    .map((r) => ({ ...r, timestamp: new Date(r.timestamp * 1000).toISOString().slice(0, 19).replace('T', ' '), opened_at: new Date(r.opened_at * 1000).toISOString().slice(0, 19).replace('T', ' ') }))
    .sort((a, b) => a.incident_id.localeCompare(b.incident_id) || a.version - b.version);
}

/** Every check that makes a run effectively-once; returns the events. */
async function expectEffectivelyOnce(env: TestEnv, expectedCount: number): Promise<IncidentEvent[]> {
  const events = await waitForIncidents(env, expectedCount);
  expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  // Each alert event crossed the repartition topic exactly once.
  const byGroup = await consumeAll(env.config, env.topics.alertsByGroup, 30_000);
  expect(new Set(byGroup.map((m) => String(m.headers?.['vigil-event-id']))).size).toBe(byGroup.length);
  expect(byGroup.length).toBe(expectedCount);
  expect(events).toEqual(await replayByGroupLog(env));
  await waitFor(async () => (await storedRows(env)).length === events.length, 30_000, { message: 'incident rows stored' });
  expect(await storedRows(env)).toEqual(expectedRows(events));
  return events;
}

/** Single-series groups, group by group (stable sort: each group keeps its log order; groups interleave differently per run). */
const singleSeries = (events: IncidentEvent[]) => events.filter((e) => e.groupLabels.kind !== 'nodata').sort((a, b) => a.groupKey.localeCompare(b.groupKey));
const total = alertWaves().flat().length;

describe('incidents', () => {
  let reference: IncidentEvent[] = [];

  it('an uninterrupted run: one incident per series, one no-data incident per source, stored and published once', async () => {
    const env = await newEnv('incidents-ref');
    const oncall = await startOncall(env.config, env.logger, { skipSetup: true });
    try {
      for (const wave of alertWaves()) await produceAlerts(env.producer, env.topics.alerts, wave);
      reference = await expectEffectivelyOnce(env, total);
    } finally {
      await oncall.close();
    }
    const series = singleSeries(reference);
    expect(new Set(series.map((e) => e.incidentId)).size).toBe(6);
    const last = new Map(series.map((e) => [e.incidentId, e]));
    for (const e of last.values()) expect(e).toMatchObject({ status: 'resolved', severity: 'critical', version: 6 });
    // Mid-way: the critical threshold alert mutes the acknowledged anomaly alert; the comment is kept.
    const acked = series.find((e) => e.comment === 'deploy 42 rolled back')!;
    expect(acked).toMatchObject({ actor: 'alice', severity: 'critical', status: 'firing' });
    expect(acked.alerts.find((a) => a.kind === 'anomaly')).toMatchObject({ status: 'acknowledged', inhibited: true });
    const nodata = reference.filter((e) => e.groupLabels.kind === 'nodata');
    expect(nodata.length).toBe(8);
    expect(nodata.every((e) => e.severity === 'low' && e.groupKey === 'kind=nodata,source=batch')).toBe(true);
  });

  it('kill -9 of vigil oncall inside a transaction, then a restart: identical events and rows, no duplicate', async () => {
    const env = await newEnv('incidents-kill');
    for (const wave of alertWaves()) await produceAlerts(env.producer, env.topics.alerts, wave);
    const childEnv = {
      ...process.env,
      VIGIL_TOPIC_PREFIX: env.config.kafka.topicPrefix,
      VIGIL_KAFKA_PARTITIONS: String(env.config.kafka.partitions),
      VIGIL_CLICKHOUSE_DATABASE: env.config.clickhouse.database,
      VIGIL_ONCALL_HTTP_PORT: '-1',
      VIGIL_LOG_LEVEL: 'warn',
    };
    const start = (extra: Record<string, string>) => {
      const child = spawn(vigil, ['oncall'], { env: { ...childEnv, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      return { child, exit, stderr: () => err };
    };
    // The 5th transaction of the process (repartition and incident lanes count together) dies after its sends.
    const crashed = start({ VIGIL_FAULT_ONCALL_KILL_BEFORE_COMMIT: '5' });
    const died = await Promise.race([crashed.exit, new Promise<null>((r) => setTimeout(() => r(null), 90_000))]);
    if (!died) crashed.child.kill('SIGKILL');
    expect(died, crashed.stderr()).toEqual({ code: null, signal: 'SIGKILL' });
    const beforeRestart = await incidentsOf(env);
    expect(beforeRestart.length).toBeLessThan(total);

    const restarted = start({});
    try {
      const events = await expectEffectivelyOnce(env, total);
      expect(singleSeries(events)).toEqual(singleSeries(reference));
      // What was committed before the crash is a prefix of each partition's final log.
      for (const e of beforeRestart) expect(events).toContainEqual(e);
    } finally {
      restarted.child.kill('SIGTERM');
      expect((await restarted.exit).code, restarted.stderr()).toBe(0);
    }
  });

  it('rebalances between two instances (join, then leave) mid-stream: identical events and rows, no duplicate', async () => {
    const env = await newEnv('incidents-rebalance');
    const waves = alertWaves();
    const running: OncallProcess[] = [];
    try {
      running.push(await startOncall(env.config, env.logger, { skipSetup: true, instanceId: 'x' }));
      await produceAlerts(env.producer, env.topics.alerts, waves[0]);
      await waitForIncidents(env, waves[0].length);
      running.push(await startOncall(env.config, env.logger, { skipSetup: true, instanceId: 'y' }));
      await waitFor(() => running.every((o) => ((o.health().stages.incidents.incidentPartitions as number[]) ?? []).length === 2), 60_000, { message: 'partitions shared 2 + 2' });
      await produceAlerts(env.producer, env.topics.alerts, waves[1]);
      await waitForIncidents(env, waves[0].length + waves[1].length);
      await running.shift()!.close();
      await produceAlerts(env.producer, env.topics.alerts, waves[2]);
      const events = await expectEffectivelyOnce(env, total);
      expect(singleSeries(events)).toEqual(singleSeries(reference));
    } finally {
      for (const o of running) await o.close();
    }
  });
});
