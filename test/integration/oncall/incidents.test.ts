/**
 * Incident correlation on the real broker and ClickHouse: grouping and no-data incidents end to
 * end; tags from points to alert events, a `tag:` incident and a `tag:` silence (pipeline, API,
 * on-call process and a real HTTP receiver); effectively-once through kill -9 of `./bin/vigil oncall` in the middle of a transaction
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
import { consumeAll, createTestEnv, startHttpReceiver, waitFor, type TestEnv } from '../../support/index.ts';
import { startPipeline } from '../../../pipeline/runtime/pipeline.ts';
import { createMetricProducer } from '../../../pipeline/sdk/producer.ts';
import { decodeEvent } from '../../../pipeline/codec/events.ts';
import { startApi } from '../../../api/index.ts';
import type { AlertEvent, MetricPoint } from '../../../schemas/records.ts';
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

describe('tags end to end: points → alert events → an incident by tag:team → a tag silence', () => {
  it('two sources of one team form one incident; a silence on tag:team holds its notification back, another team is notified', async () => {
    const OPERATOR = 'it-tags-operator-key-0123456789';
    const receiver = await startHttpReceiver();
    const env = await createTestEnv('incidents-tags', {
      partitions: 2,
      overrides: {
        api: { port: 0, apiKeys: [{ key: OPERATOR, roles: ['read', 'operate'], name: 'tags-it' }] },
        oncall: { groupBy: ['tag:team'] },
        notify: {
          receivers: [{ type: 'webhook', name: 'hook', url: `${receiver.url}/hook`, secret: 'tags-integration-secret' }],
          route: { receiver: 'hook' },
          groupWaitMs: 500,
          groupIntervalMs: 1000,
          repeatIntervalMs: 600_000,
          tickMs: 50,
        },
      },
    });
    envs.push(env);
    const closers: Array<() => Promise<unknown>> = [async () => receiver.close()];
    const db = env.config.clickhouse.database;
    const ch = createClickHouse(env.config, { logger: env.logger });
    closers.push(() => ch.close());
    try {
      const api = await startApi(env.config, env.logger);
      closers.push(() => api.close());
      const silence = await fetch(`${api.url}/api/v1/silences`, {
        method: 'POST',
        headers: { 'x-api-key': OPERATOR, 'content-type': 'application/json' },
        body: JSON.stringify({ matchers: [{ name: 'tag:team', op: '=', value: 'payments' }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), comment: 'payments maintenance' }),
      });
      expect(silence.status, await silence.clone().text()).toBe(201);
      const silenceId = ((await silence.json()) as { id: string }).id;
      const bad = await fetch(`${api.url}/api/v1/silences`, {
        method: 'POST',
        headers: { 'x-api-key': OPERATOR, 'content-type': 'application/json' },
        body: JSON.stringify({ matchers: [{ name: 'tag:team', op: '=~', value: '(a+)+' }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), comment: 'x' }),
      });
      expect(bad.status).toBe(400);

      const pipeline = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 2000 });
      closers.push(() => pipeline.stop());
      const oncall = await startOncall(env.config, env.logger, { skipSetup: true });
      closers.push(() => oncall.close());

      // error_rate above 10 (critical) for more than the default rule's 1 min of event time.
      const series: Array<[string, Record<string, string>]> = [
        ['checkout', { team: 'payments', region: 'eu' }],
        ['billing', { team: 'payments' }],
        ['search', { team: 'search' }],
      ];
      const start = Date.now() - 10 * 60_000;
      const points: MetricPoint[] = [];
      for (const [source, tags] of series) {
        for (let i = 0; i < 14; i++) points.push({ source, metric: 'error_rate', value: i < 3 ? 0.2 : 40, timestamp: start + i * 10_000, tags });
      }
      const producer = createMetricProducer({ config: env.config });
      await producer.connect();
      try {
        await producer.send(points);
      } finally {
        await producer.close();
      }

      // Alert events in ClickHouse carry the tags of their series.
      const stored = await waitFor(async () => {
        const rs = await ch.query({ query: `SELECT source, rule_id, status, tag_keys, tag_values FROM ${db}.alert_events WHERE rule_id = 'default.error_rate' ORDER BY source`, format: 'JSONEachRow' });
        const rows = await rs.json<{ source: string; rule_id: string; status: string; tag_keys: string[]; tag_values: string[] }>();
        return new Set(rows.map((r) => r.source)).size === 3 ? rows : undefined;
      }, 90_000, { intervalMs: 500, message: 'threshold alerts of the three series in ClickHouse' });
      const tagsBySource = Object.fromEntries(stored.map((r) => [r.source, Object.fromEntries(r.tag_keys.map((k, i) => [k, r.tag_values[i]]))]));
      expect(tagsBySource).toEqual({ billing: { team: 'payments' }, checkout: { region: 'eu', team: 'payments' }, search: { team: 'search' } });

      // … and on the alerts topic.
      const onTopic = (await consumeAll(env.config, env.topics.alerts, 30_000))
        .map((m) => decodeEvent(m.value!))
        .filter((d): d is { kind: 'alert'; record: AlertEvent } => d.kind === 'alert' && d.record.ruleId === 'default.error_rate');
      expect(Object.fromEntries(onTopic.map((d) => [d.record.source, d.record.tags]))).toEqual({ billing: { team: 'payments' }, checkout: { team: 'payments', region: 'eu' }, search: { team: 'search' } });

      // One incident for the payments team across both sources, one for search.
      const incidents = await waitFor(async () => {
        const events = await incidentsOf(env);
        const payments = events.filter((e) => e.groupKey === 'tag:team=payments');
        const sources = new Set(payments.flatMap((e) => e.alerts.filter((a) => a.ruleId === 'default.error_rate').map((a) => a.source)));
        return sources.size === 2 && events.some((e) => e.groupKey === 'tag:team=search') ? events : undefined;
      }, 90_000, { intervalMs: 500, message: 'incidents grouped by tag:team' });
      const payments = incidents.filter((e) => e.groupKey === 'tag:team=payments');
      expect(new Set(payments.map((e) => e.incidentId)).size).toBe(1);
      expect(payments[0].groupLabels).toEqual({ 'tag:team': 'payments' });
      const latest = payments[payments.length - 1];
      expect(latest.alerts.find((a) => a.source === 'checkout')!.tags).toEqual({ team: 'payments', region: 'eu' });
      const search = incidents.find((e) => e.groupKey === 'tag:team=search')!;
      const rows = await waitFor(async () => {
        const rs = await ch.query({ query: `SELECT group_key, group_label_keys, group_label_values FROM ${db}.incident_events FINAL WHERE incident_id = '${latest.incidentId}'`, format: 'JSONEachRow' });
        const r = await rs.json<{ group_key: string; group_label_keys: string[]; group_label_values: string[] }>();
        return r.length > 0 ? r : undefined;
      }, 60_000, { message: 'incident rows' });
      expect(rows[0]).toMatchObject({ group_key: 'tag:team=payments', group_label_keys: ['tag:team'], group_label_values: ['payments'] });

      // The search incident is delivered; the payments one is recorded as silenced, never sent.
      const delivered = await waitFor(() => receiver.on('/hook').find((r) => r.body.includes(search.incidentId)), 60_000, { message: 'webhook for the search incident' });
      expect(JSON.parse(delivered.body).incident.groupLabels).toEqual({ 'tag:team': 'search' });
      const silenced = await waitFor(async () => {
        const rs = await ch.query({ query: `SELECT result, silence_ids FROM ${db}.notifications FINAL WHERE incident_id = '${latest.incidentId}'`, format: 'JSONEachRow' });
        const r = await rs.json<{ result: string; silence_ids: string[] }>();
        return r.find((x) => x.result === 'silenced');
      }, 60_000, { message: 'silenced notification row' });
      expect(silenced.silence_ids).toEqual([silenceId]);
      expect(receiver.on('/hook').filter((r) => r.body.includes(latest.incidentId))).toEqual([]);

      // The API shows the tags and the silence on the alerts.
      const listed = await fetch(`${api.url}/api/v1/alerts?rule=default.error_rate&limit=10`, { headers: { 'x-api-key': OPERATOR } });
      const items = ((await listed.json()) as { items: Array<{ source: string; tags: Record<string, string>; silencedBy: string[] }> }).items;
      expect(Object.fromEntries(items.map((a) => [a.source, [a.tags.team, a.silencedBy]]))).toEqual({
        billing: ['payments', [silenceId]],
        checkout: ['payments', [silenceId]],
        search: ['search', []],
      });
    } finally {
      for (const close of closers.reverse()) await close().catch(() => {});
    }
  }, 240_000);
});
