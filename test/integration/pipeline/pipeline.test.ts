/**
 * End to end on the real broker and server: injected incidents in, typed anomalies, alerts of
 * the right severity with auto-resolution, every point stored once, DLQ for hostile records,
 * operator commands applied once by the series owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestEnv, consumeN, waitFor, type TestEnv } from '../../support/index.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { startPipeline, type PipelineHandle } from '../../../pipeline/runtime/pipeline.ts';
import { decodeEvent, encodeEvent } from '../../../pipeline/codec/events.ts';
import type { AlertCommand, CommandResult, MetricPoint } from '../../../schemas/records.ts';
import { POINTS_PER_SERIES, SCENARIO, STEP_MS, alertEvents, anomalies, latestByAlert, pointCount, producePoints, query, scenarioPoints, waitForCommitted } from './scenario.ts';

let env: TestEnv;
let ch: ClickHouseClient;
let pipeline: PipelineHandle;
const start = Date.now() - POINTS_PER_SERIES * STEP_MS - 60_000;
const total = SCENARIO.length * POINTS_PER_SERIES;

beforeAll(async () => {
  env = await createTestEnv('pipeline-e2e', { overrides: { pipeline: { windowSize: 200, workerThreads: 1 } } });
  ch = createClickHouse(env.config);
  pipeline = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 1000 });
  await producePoints(env.config, env.topics.metrics, scenarioPoints(start));
  await waitForCommitted(env.config, env.topics.metrics, 120_000);
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
  await ch?.close();
  await env?.cleanup();
});

describe('pipeline end to end', () => {
  it('stores every point exactly once, with its window statistics', async () => {
    const db = env.config.clickhouse.database;
    expect(await pointCount(ch, db)).toEqual({ final: total, raw: total });
    const [rollup] = await query<{ n: string }>(ch, `SELECT countMerge(value_count) AS n FROM ${db}.points_1m`);
    expect(Number(rollup.n)).toBe(total);
    const [late] = await query<{ mean: number; std: number }>(
      ch,
      `SELECT mean, std FROM ${db}.points WHERE source = 'svc-a' ORDER BY timestamp_ms DESC LIMIT 1`,
    );
    expect(late.mean).toBeGreaterThan(38);
    expect(late.mean).toBeLessThan(42);
    expect(late.std).toBeGreaterThan(1);
    expect(late.std).toBeLessThan(3);
  });

  it('reports each injected incident with the right type and nothing on normal series', async () => {
    const found = await anomalies(ch, env.config.clickhouse.database);
    for (const s of SCENARIO) {
      const mine = found.filter((a) => a.source === s.source && a.metric === s.metric);
      if (s.expectAnomaly === null && s.source === 'svc-a') {
        expect(mine, `${s.source}/${s.metric} is normal`).toEqual([]);
        continue;
      }
      if (s.expectAnomaly === null || !s.incident) continue;
      const [from, to] = s.incident;
      const atIncident = mine.filter((a) => {
        const startIdx = (Number(a.start_timestamp_ms) - start) / STEP_MS;
        return startIdx >= from - 2 && startIdx <= Math.min(to, from + 10);
      });
      expect(atIncident.map((a) => a.type), `${s.source}/${s.metric}`).toContain(s.expectAnomaly);
    }
  });

  it('raises alerts of the right severity and resolves them when the series recovers', async () => {
    const events = await alertEvents(ch, env.config.clickhouse.database);
    const latest = [...latestByAlert(events).values()];
    expect(latest.filter((e) => e.source === 'svc-a')).toEqual([]);
    const cpu = latest.filter((e) => e.source === 'svc-e' && e.kind === 'threshold');
    expect(cpu).toHaveLength(1);
    expect(events.some((e) => e.alert_id === cpu[0].alert_id && e.severity === 'critical' && e.status === 'firing')).toBe(true);
    const history = events.filter((e) => e.alert_id === cpu[0].alert_id).map((e) => `${e.version}:${e.status}:${e.severity}:${e.reason}`);
    expect(cpu[0].status, history.join(' ')).toBe('resolved');
    const spike = latest.filter((e) => e.source === 'svc-b' && e.kind === 'anomaly');
    expect(spike.length).toBeGreaterThanOrEqual(1);
    expect(spike.every((e) => e.status === 'resolved')).toBe(true);
    expect(['high', 'medium', 'critical']).toContain(
      events.find((e) => e.alert_id === spike[0].alert_id && e.version === 1)?.severity,
    );
    // Each transition once: versions of an alert are 1..n without gaps or repeats.
    for (const [alertId, last] of latestByAlert(events)) {
      const versions = events.filter((e) => e.alert_id === alertId).map((e) => e.version);
      expect(versions).toEqual(Array.from({ length: last.version }, (_, i) => i + 1));
    }
  });

  it('publishes anomaly and alert events to their topics with deterministic ids', async () => {
    const events = await alertEvents(ch, env.config.clickhouse.database);
    const msgs = await consumeN(env.config, env.topics.alerts, events.length, 20_000);
    const ids = msgs.map((m) => {
      const decoded = decodeEvent(m.value!);
      expect(decoded.kind).toBe('alert');
      return m.headers?.['vigil-event-id']?.toString();
    });
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.event_id)));
  });
});

describe('live snapshots', () => {
  it('are throttled to at most one per series per second', async () => {
    const admin = createKafka(env.config, env.logger).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(env.topics.live);
    await admin.disconnect();
    const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    expect(total).toBeGreaterThanOrEqual(SCENARIO.length); // every series got at least one
    expect(total).toBeLessThan(POINTS_PER_SERIES); // far fewer than the points
    const msgs = await consumeN(env.config, env.topics.live, total, 20_000);
    const bySeries = new Map<string, number[]>();
    for (const m of msgs) {
      const key = m.key!.toString();
      bySeries.set(key, [...(bySeries.get(key) ?? []), Number(m.timestamp)]);
    }
    for (const [key, times] of bySeries) {
      times.sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1], key).toBeGreaterThanOrEqual(900);
    }
  });
});

describe('SLA figures', () => {
  it('match a recount computed independently from the generated series', async () => {
    const db = env.config.clickhouse.database;
    const now = Date.now();
    // Every 8th response is slow (2500 ms > 2000 ms): 12.5 % bad against a 95 % objective.
    const points: MetricPoint[] = Array.from({ length: 240 }, (_, i) => ({
      source: 'svc-sla', metric: 'response_time', value: i % 8 === 3 ? 2500 : 150 + (i % 7), timestamp: now - 300_000 + i * 1000, tags: {},
    }));
    await producePoints(env.config, env.topics.metrics, points);
    await waitForCommitted(env.config, env.topics.metrics, 60_000);
    const snaps = await query<{ timestamp_ms: string; good: string; total: string; compliance: number; error_budget_remaining: number; burn_rate_fast: number; violated: number; objective: number }>(
      ch,
      `SELECT timestamp_ms, good, total, compliance, error_budget_remaining, burn_rate_fast, violated, objective FROM ${db}.sla_snapshots FINAL
       WHERE source = 'svc-sla' AND sla_id = 'default.response_time' ORDER BY timestamp_ms`,
    );
    expect(snaps.length).toBeGreaterThanOrEqual(4); // one per minute of event time
    for (const snap of snaps) {
      const upTo = points.filter((p) => p.timestamp <= Number(snap.timestamp_ms));
      const good = upTo.filter((p) => p.value < 2000).length;
      const compliance = good / upTo.length;
      expect(Number(snap.total)).toBe(upTo.length);
      expect(Number(snap.good)).toBe(good);
      expect(snap.compliance).toBeCloseTo(compliance, 12);
      expect(snap.error_budget_remaining).toBeCloseTo(1 - (1 - compliance) / (1 - 0.95), 9);
      // The whole series is inside the 1 h window of the fast burn rate.
      expect(snap.burn_rate_fast).toBeCloseTo((1 - compliance) / (1 - 0.95), 9);
      expect(snap.violated).toBe(compliance < 0.95 ? 1 : 0);
    }
    expect(snaps[snaps.length - 1].violated).toBe(1);
  });
});

describe('hostile records', () => {
  it('sends each bad record to the DLQ with its reason while good records in the same batch are processed', async () => {
    const kafka = createKafka(env.config, env.logger);
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const now = Date.now();
    const good = (i: number): MetricPoint => ({ source: 'svc-dlq', metric: 'queue_size', value: 10 + i, timestamp: now - 10_000 + i, tags: {} });
    const bad = [
      { key: 'svc-dlq/queue_size', value: Buffer.from('not avro at all'), reason: 'bad-framing' },
      { key: 'svc-dlq/queue_size', value: Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0]), reason: 'unknown-schema' },
      { key: null, value: encodeEvent('metric', good(100)), reason: 'missing-key' },
      { key: 'svc-dlq/queue_size', value: encodeEvent('metric', { ...good(101), value: Number.NaN }), reason: 'invalid-value' },
      { key: 'svc-dlq/queue_size', value: encodeEvent('metric', { ...good(102), timestamp: now + 365 * 86_400_000 }), reason: 'invalid-timestamp' },
      { key: 'svc-dlq/queue_size', value: encodeEvent('metric', { ...good(103), timestamp: 946_684_799_000 }), reason: 'invalid-timestamp' },
      {
        key: 'svc-dlq/queue_size',
        value: encodeEvent('metric', { ...good(104), tags: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'])) }),
        reason: 'oversize-tags',
      },
      { key: 'svc-dlq/queue_size', value: encodeEvent('metric', good(105)).subarray(0, 14), reason: 'decode-error' },
    ];
    // One partition (same key) so the bad records share batches with the good ones.
    const messages = [
      ...bad.map((b) => ({ key: b.key, value: b.value, partition: 0 })),
      ...Array.from({ length: 20 }, (_, i) => ({ key: 'svc-dlq/queue_size', value: encodeEvent('metric', good(i)), partition: 0 })),
    ];
    await producer.send({ topic: env.topics.metrics, acks: -1, messages });
    await producer.disconnect();

    const dlq = await consumeN(env.config, env.topics.dlq, bad.length, 30_000);
    const reasons = dlq.map((m) => m.headers?.['vigil-dlq-reason']?.toString()).sort();
    expect(reasons).toEqual(bad.map((b) => b.reason).sort());
    // Unchanged bytes.
    const values = new Set(dlq.map((m) => m.value!.toString('hex')));
    for (const b of bad) expect(values.has(b.value.toString('hex'))).toBe(true);
    const db = env.config.clickhouse.database;
    await waitFor(async () => {
      const [r] = await query<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.points WHERE source = 'svc-dlq'`);
      return Number(r.n) === 20;
    }, 30_000, { message: 'the 20 good records stored' });
    // Counted once the batch is committed, which follows its inserts.
    await waitFor(() => pipeline.stats().dlq >= bad.length, 10_000, { message: 'DLQ records counted' });
  });
});

describe('operator commands', () => {
  async function sendCommand(cmd: AlertCommand) {
    const kafka = createKafka(env.config, env.logger);
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: env.topics.commands, acks: -1, messages: [{ key: `${cmd.source}/${cmd.metric}`, value: encodeEvent('command', cmd) }] });
    await producer.disconnect();
  }

  it('acknowledge then resolve change the state exactly once; a second resolve is a no-op with a reason', async () => {
    const db = env.config.clickhouse.database;
    // A fresh sustained error_rate breach keeps an alert open for the commands to act on.
    const now = Date.now();
    const points: MetricPoint[] = Array.from({ length: 200 }, (_, i) => ({
      source: 'svc-f', metric: 'error_rate', value: i < 50 ? 0.2 : 12, timestamp: now - 200_000 + i * 1000, tags: {},
    }));
    await producePoints(env.config, env.topics.metrics, points);
    await waitForCommitted(env.config, env.topics.metrics, 60_000);
    const open = await waitFor(async () => {
      const events = await alertEvents(ch, db);
      return [...latestByAlert(events).values()].find((e) => e.source === 'svc-f' && e.kind === 'threshold' && e.status === 'firing');
    }, 60_000, { message: 'error_rate alert firing' });
    expect(open.severity).toBe('critical');

    const base = { alertId: open.alert_id, source: 'svc-f', metric: 'error_rate', actor: 'test-operator', comment: 'on it' };
    await sendCommand({ ...base, commandId: 'cmd-ack-1', type: 'acknowledge', issuedAt: Date.now() });
    await sendCommand({ ...base, commandId: 'cmd-resolve-1', type: 'resolve', issuedAt: Date.now() });
    await sendCommand({ ...base, commandId: 'cmd-resolve-2', type: 'resolve', issuedAt: Date.now() });

    const results = (await consumeN(env.config, env.topics.commandResults, 3, 30_000)).map((m) => decodeEvent(m.value!).record as CommandResult);
    const byId = new Map(results.map((r) => [r.commandId, r]));
    expect(byId.get('cmd-ack-1')).toMatchObject({ applied: true, status: 'acknowledged' });
    expect(byId.get('cmd-resolve-1')).toMatchObject({ applied: true, status: 'resolved' });
    expect(byId.get('cmd-resolve-2')?.applied).toBe(false);
    expect(byId.get('cmd-resolve-2')?.reason).toMatch(/resolved/i);

    const history = (await alertEvents(ch, db)).filter((e) => e.alert_id === open.alert_id);
    expect(history.filter((e) => e.status === 'acknowledged')).toHaveLength(1);
    expect(history.filter((e) => e.status === 'resolved')).toHaveLength(1);
    expect(history[history.length - 1].status).toBe('resolved');
  });
});
