/**
 * The HTTP API against the real local Kafka and ClickHouse: seeded tables read through the
 * read-only user, ingest produced to the metrics topic, commands to the commands topic, rules
 * through the config topic, and hostile input in every filter and path parameter.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { decodeEvent } from '../../pipeline/codec/events.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { alertEventRow, anomalyRow, pointRow, slaSnapshotRow } from '../../pipeline/storage/rows.ts';
import type { AlertEvent, AnomalyEvent, ScoredPoint, SlaSnapshot } from '../../schemas/records.ts';
import { startApi, type RunningApi } from '../../api/index.ts';
import { buildApi } from '../../api/server.ts';
import { sql } from '../../api/sql.ts';
import { consumeN, createTestEnv, type TestEnv } from '../support/index.ts';

const PARTITIONS = 4;
const javaPartitions = JSON.parse(readFileSync(new URL('../fixtures/kafka/murmur2-partitions.json', import.meta.url), 'utf8')).partitions as Record<
  string,
  Record<string, number>
>;

const KEYS = {
  reader: 'it-reader-key-0123456789',
  operator: 'it-operator-key-0123456789',
  ingester: 'it-ingester-key-0123456789',
  scraper: 'it-scraper-key-0123456789',
};

const HOSTILE = [
  "' OR 1=1 --",
  "\\'",
  "\\' OR 1=1 --",
  "'; DROP TABLE alert_events; --",
  "x'; DROP DATABASE default; --",
  "' UNION ALL SELECT name FROM system.tables --",
  '\u2019 OR \u20191\u2019=\u20191',
  '\uff07 OR 1=1',
  '" OR ""="',
  '`; SELECT 1; `',
  'a\u0000b',
  '%27%20OR%201%3D1',
  '\\',
  'x'.repeat(1024 * 1024),
];

const NOW = Date.now();
const H = 3_600_000;

function alertEvent(alertId: string, source: string, metric: string, version: number, status: AlertEvent['status'], severity: AlertEvent['severity'], openedAt: number, at: number): AlertEvent {
  const ruleId = `default.${metric}`;
  return {
    eventId: `${alertId}-v${version}`,
    alertId,
    fingerprint: `${source}|${metric}|${ruleId}`,
    source,
    metric,
    ruleId,
    kind: 'threshold',
    severity,
    status,
    version,
    timestamp: at,
    openedAt,
    value: 100 + version,
    threshold: 90,
    message: `${metric} on ${source}`,
    actor: status === 'firing' ? 'pipeline' : 'ops',
    reason: 'seed',
    tags: alertId === 'alert-03' ? { team: 'payments', 'k8s.ns': 'shop' } : {},
  };
}

/** 7 alerts; latest states: 1 acknowledged, 4 firing, 2 resolved. */
const ALERT_EVENTS: AlertEvent[] = [
  alertEvent('alert-01', 'checkout', 'response_time', 1, 'firing', 'critical', NOW - 5 * H, NOW - 5 * H),
  alertEvent('alert-01', 'checkout', 'response_time', 2, 'acknowledged', 'critical', NOW - 5 * H, NOW - 4.5 * H),
  alertEvent('alert-02', 'web', 'error_rate', 1, 'firing', 'high', NOW - 4 * H, NOW - 4 * H),
  alertEvent('alert-03', 'api', 'response_time', 1, 'firing', 'medium', NOW - 3 * H, NOW - 3 * H),
  alertEvent('alert-03', 'api', 'response_time', 2, 'acknowledged', 'medium', NOW - 3 * H, NOW - 2.9 * H),
  alertEvent('alert-03', 'api', 'response_time', 3, 'resolved', 'medium', NOW - 3 * H, NOW - 2.8 * H),
  alertEvent('alert-04', 'api', 'cpu_usage', 1, 'firing', 'low', NOW - 2 * H, NOW - 2 * H),
  alertEvent('alert-05', 'db', 'queue_size', 1, 'firing', 'info', NOW - 1 * H, NOW - 1 * H),
  // an update escalates the severity: the latest version wins
  alertEvent('alert-05', 'db', 'queue_size', 2, 'firing', 'critical', NOW - 1 * H, NOW - 0.5 * H),
  // same opened_at as alert-04: paging must break the tie by id
  alertEvent('alert-06', 'db', 'memory_usage', 1, 'firing', 'high', NOW - 2 * H, NOW - 2 * H),
  alertEvent('alert-07', 'web', 'throughput', 1, 'firing', 'low', NOW - 48 * H, NOW - 48 * H),
  alertEvent('alert-07', 'web', 'throughput', 2, 'resolved', 'low', NOW - 48 * H, NOW - 47 * H),
];
const ALERT_IDS = [...new Set(ALERT_EVENTS.map((e) => e.alertId))].sort();

function anomaly(id: string, source: string, metric: string, type: AnomalyEvent['type'], version: number, start: number, score: number, confidence: number): AnomalyEvent {
  return { id, source, metric, type, version, startTimestamp: start, detectedTimestamp: start + version * 1000, value: 500, expected: 100, zscore: 6, score, confidence, pointCount: version * 3 };
}
const ANOMALIES: AnomalyEvent[] = [
  anomaly('anom-1', 'web', 'cpu_usage', 'spike', 1, NOW - 50 * 60_000, 0.9, 0.8),
  // refined: the burst did not return
  anomaly('anom-1', 'web', 'cpu_usage', 'pattern_change', 2, NOW - 50 * 60_000, 0.95, 0.9),
  anomaly('anom-2', 'web', 'error_rate', 'outlier', 1, NOW - 40 * 60_000, 0.6, 0.5),
  anomaly('anom-3', 'api', 'throughput', 'drop', 1, NOW - 30 * 60_000, 0.7, 0.95),
  anomaly('anom-4', 'api', 'cpu_usage', 'trend_change', 1, NOW - 20 * 60_000, 0.4, 0.3),
  anomaly('anom-5', 'db', 'queue_size', 'spike', 1, NOW - 5 * H, 0.99, 0.99),
];

function snapshot(slaId: string, source: string, metric: string, at: number, compliance: number, violated: boolean): SlaSnapshot {
  return {
    id: `${slaId}-${source}-${at}`,
    slaId,
    source,
    metric,
    timestamp: at,
    windowMs: 24 * H,
    objective: 0.95,
    compliance,
    good: Math.round(compliance * 1000),
    total: 1000,
    errorBudgetRemaining: (compliance - 0.95) / 0.05,
    burnRateFast: violated ? 3 : 0.5,
    burnRateSlow: violated ? 2 : 0.4,
    violated,
  };
}
const SNAPSHOTS: SlaSnapshot[] = [
  snapshot('default.response_time', 'checkout', 'response_time', NOW - 3 * H, 0.93, true),
  snapshot('default.response_time', 'checkout', 'response_time', NOW - 2 * H, 0.94, true),
  snapshot('default.response_time', 'checkout', 'response_time', NOW - 1 * H, 0.97, false),
  snapshot('default.response_time', 'api', 'response_time', NOW - 30 * H, 0.9, true), // outside 24 h
  snapshot('default.response_time', 'api', 'response_time', NOW - 1 * H, 0.92, true),
];

function point(source: string, metric: string, value: number, timestamp: number, offset: number): ScoredPoint {
  return { source, metric, value, timestamp, tags: { env: 'test' }, partition: 0, offset: String(offset), mean: 50, std: 5, zscore: (value - 50) / 5, anomalyScore: value > 70 ? 0.8 : 0.1 };
}
const POINTS: ScoredPoint[] = [
  point('web', 'cpu_usage', 40, NOW - 10_000, 1),
  point('web', 'cpu_usage', 75, NOW - 5_000, 2),
  point('api', 'cpu_usage', 55, NOW - 3_000, 3),
  point('db', 'queue_size', 12, NOW - 2 * H, 4), // outside the default 300 s window
];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('API on the real stack', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let api: RunningApi;
  let tableCounts: Record<string, number>;

  const request = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, opts: { key?: string | null; body?: unknown } = {}) => {
    const key = opts.key === undefined ? KEYS.operator : opts.key;
    const res = await api.app.inject({
      method,
      url,
      headers: key ? { 'x-api-key': key } : {},
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });
    let body: Json = {};
    try {
      body = res.json();
    } catch {
      body = { raw: res.body };
    }
    return { status: res.statusCode, body, headers: res.headers };
  };
  const get = (url: string, key?: string | null) => request('GET', url, { key });

  /** Row identities per table (stable under background merges of duplicate rows), and the table list. */
  const countTables = async (): Promise<Record<string, number>> => {
    const q = async (query: string) => Number(((await (await ch.query({ query, format: 'JSONEachRow' })).json()) as Array<{ n: string }>)[0].n);
    return {
      alert_events: await q('SELECT uniqExact(alert_id, version) AS n FROM alert_events'),
      anomalies: await q('SELECT uniqExact(id, version) AS n FROM anomalies'),
      sla_snapshots: await q('SELECT uniqExact(id) AS n FROM sla_snapshots'),
      points: await q('SELECT uniqExact(kafka_partition, kafka_offset) AS n FROM points'),
      tables: await q(`SELECT count() AS n FROM system.tables WHERE database = '${env.config.clickhouse.database}'`),
      database: await q(`SELECT count() AS n FROM system.databases WHERE name = '${env.config.clickhouse.database}'`),
    };
  };

  beforeAll(async () => {
    env = await createTestEnv('api', {
      partitions: PARTITIONS,
      overrides: {
        api: {
          port: 0,
          commandWaitMs: 400,
          apiKeys: [
            { key: KEYS.reader, roles: ['read'], name: 'reader' },
            { key: KEYS.operator, roles: ['read', 'operate'], name: 'operator' },
            { key: KEYS.ingester, roles: ['ingest'], name: 'ingester' },
            { key: KEYS.scraper, roles: ['metrics'], name: 'prometheus' },
          ],
        },
      },
    });
    ch = createClickHouse(env.config, { logger: env.logger });
    const ingestedAt = Date.now();
    // A re-delivered duplicate of one event: the API must show it once.
    const alertRows = [...ALERT_EVENTS, ALERT_EVENTS[2]].map(alertEventRow);
    await ch.insert({ table: 'alert_events', values: alertRows, format: 'JSONEachRow' });
    await ch.insert({ table: 'anomalies', values: ANOMALIES.map(anomalyRow), format: 'JSONEachRow' });
    await ch.insert({ table: 'sla_snapshots', values: SNAPSHOTS.map(slaSnapshotRow), format: 'JSONEachRow' });
    await ch.insert({ table: 'points', values: POINTS.map((p) => pointRow(p, ingestedAt)), format: 'JSONEachRow' });
    tableCounts = await countTables();
    api = await startApi(env.config, env.logger);
  });

  afterAll(async () => {
    await api?.close();
    await ch?.close();
    await env?.cleanup();
  });

  it('listens on a real port and answers health: Kafka and ClickHouse ok, no pipeline running → degraded', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${api.url}/api/v1/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.checks.kafka).toMatchObject({ status: 'ok', details: { brokers: 1 } });
    expect(body.checks.clickhouse.status).toBe('ok');
    expect(body.checks.pipeline).toMatchObject({ status: 'warn', details: { members: 0 } });
    expect(body.checks.config.status).toBe('ok');
    expect(body.status).toBe('degraded');
  });

  it('binds hostile strings so the real server reads them back unchanged', async () => {
    for (const s of HOSTILE.filter((h) => !h.includes('\u0000') && h.length < 1000)) {
      const rows = await api.deps.clickhouse.query<{ s: string }>(sql`SELECT ${s} AS s`);
      expect(rows).toEqual([{ s }]);
    }
  });

  describe('auth', () => {
    it('401 without or with an unknown key, 403 with the wrong role', async () => {
      expect((await get('/api/v1/alerts', null)).status).toBe(401);
      expect((await get('/api/v1/alerts', 'unknown-key-0123456789')).status).toBe(401);
      expect((await get('/api/v1/alerts', KEYS.ingester)).status).toBe(403);
      expect((await request('POST', '/api/v1/metrics', { key: KEYS.reader, body: { source: 'a', metric: 'b', value: 1 } })).status).toBe(403);
      expect((await request('POST', '/api/v1/alerts/alert-02/acknowledge', { key: KEYS.reader, body: {} })).status).toBe(403);
      expect((await request('PUT', '/api/v1/rules/x', { key: KEYS.reader, body: { kind: 'anomaly', minScore: 0.5, severity: 'low' } })).status).toBe(403);
      const bearer = await fetch(`${api.url}/api/v1/alerts?limit=1`, { headers: { authorization: `Bearer ${KEYS.reader}` } });
      expect(bearer.status).toBe(200);
    });
  });

  describe('alerts', () => {
    it('lists the latest state per alert (argMax over version), duplicates once', async () => {
      const res = await get('/api/v1/alerts?limit=500', KEYS.reader);
      expect(res.status).toBe(200);
      const byId = new Map((res.body.items as Json[]).map((a) => [a.alertId, a]));
      expect([...byId.keys()].sort()).toEqual(ALERT_IDS);
      expect(res.body.items).toHaveLength(ALERT_IDS.length);
      expect(byId.get('alert-01')).toMatchObject({ status: 'acknowledged', version: 2, severity: 'critical', source: 'checkout', metric: 'response_time', openedAt: NOW - 5 * H, updatedAt: NOW - 4.5 * H });
      expect(byId.get('alert-03')).toMatchObject({ status: 'resolved', version: 3, tags: { team: 'payments', 'k8s.ns': 'shop' } });
      expect(byId.get('alert-01')!.tags).toEqual({});
      expect(byId.get('alert-05')).toMatchObject({ status: 'firing', severity: 'critical', version: 2 });
      expect(res.body.nextCursor).toBeNull();
    });

    it('filters by status, severity, source, metric, rule and time range', async () => {
      const ids = async (qs: string) => ((await get(`/api/v1/alerts?${qs}`, KEYS.reader)).body.items as Json[]).map((a) => a.alertId).sort();
      expect(await ids('status=firing')).toEqual(['alert-02', 'alert-04', 'alert-05', 'alert-06']);
      expect(await ids('status=firing,acknowledged&severity=critical')).toEqual(['alert-01', 'alert-05']);
      expect(await ids('severity=high&severity=low')).toEqual(['alert-02', 'alert-04', 'alert-06', 'alert-07']);
      expect(await ids('source=api')).toEqual(['alert-03', 'alert-04']);
      expect(await ids('metric=response_time')).toEqual(['alert-01', 'alert-03']);
      expect(await ids('rule=default.queue_size')).toEqual(['alert-05']);
      expect(await ids(`from=${NOW - 3 * H}&to=${NOW - 1 * H}`)).toEqual(['alert-03', 'alert-04', 'alert-06']);
      expect(await ids(`from=${new Date(NOW - 24 * H).toISOString()}&status=resolved`)).toEqual(['alert-03']);
    });

    it('cursor paging walks every alert exactly once in every sort order', async () => {
      const severityLevel: Record<string, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
      for (const sort of ['opened_at', 'updated', 'severity'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const seen: Json[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const qs: string = `sort=${sort}&order=${order}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
            const res = await get(`/api/v1/alerts?${qs}`, KEYS.reader);
            expect(res.status).toBe(200);
            expect(res.body.items.length).toBeLessThanOrEqual(2);
            seen.push(...res.body.items);
            cursor = res.body.nextCursor;
            pages++;
          } while (cursor && pages < 20);
          expect(seen.map((a) => a.alertId).sort()).toEqual(ALERT_IDS);
          const key = (a: Json) => (sort === 'opened_at' ? a.openedAt : sort === 'updated' ? a.updatedAt : severityLevel[a.severity]);
          for (let i = 1; i < seen.length; i++) {
            const [prev, cur] = [seen[i - 1], seen[i]];
            const cmp = key(prev) === key(cur) ? (prev.alertId < cur.alertId ? -1 : 1) : key(prev) < key(cur) ? -1 : 1;
            expect(order === 'asc' ? cmp : -cmp, `${sort} ${order} at ${i}`).toBe(-1);
          }
        }
      }
    });

    it('GET /alerts/:id returns the history oldest first; unknown id 404', async () => {
      const res = await get('/api/v1/alerts/alert-03', KEYS.reader);
      expect(res.status).toBe(200);
      expect(res.body.alert).toMatchObject({ alertId: 'alert-03', status: 'resolved', version: 3, tags: { team: 'payments', 'k8s.ns': 'shop' } });
      expect((res.body.history as Json[]).map((h) => [h.version, h.status])).toEqual([
        [1, 'firing'],
        [2, 'acknowledged'],
        [3, 'resolved'],
      ]);
      const dup = await get('/api/v1/alerts/alert-02', KEYS.reader);
      expect(dup.body.history).toHaveLength(1);
      const missing = await get('/api/v1/alerts/no-such-alert', KEYS.reader);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: 'Not Found', statusCode: 404 });
    });

    it('409 for transitions the current state forbids; 404 for unknown alerts', async () => {
      const resolveResolved = await request('POST', '/api/v1/alerts/alert-03/resolve', { body: {} });
      expect(resolveResolved.status).toBe(409);
      expect(resolveResolved.body.message).toMatch(/already resolved/);
      expect((await request('POST', '/api/v1/alerts/alert-01/acknowledge', { body: {} })).status).toBe(409);
      expect((await request('POST', '/api/v1/alerts/alert-07/acknowledge', { body: {} })).status).toBe(409);
      expect((await request('POST', '/api/v1/alerts/nope/resolve', { body: {} })).status).toBe(404);
    });

    it('acknowledge without a pipeline: 202 after the bounded wait; the command is on the series partition', async () => {
      const started = Date.now();
      const res = await request('POST', '/api/v1/alerts/alert-01/resolve', { body: { comment: "rolled back; it's fine" } });
      const waited = Date.now() - started;
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'pending' });
      expect(res.body.commandId).toMatch(/^[0-9a-f-]{36}$/);
      expect(waited).toBeGreaterThanOrEqual(400);
      expect(waited).toBeLessThan(5000);
      expect(api.deps.commands.pending).toBe(0);

      const [msg] = await consumeN(env.config, env.topics.commands, 1, 20_000);
      expect(msg.key?.toString()).toBe('checkout/response_time');
      // the partition the Java client gives this key: the one the series' metrics are on
      expect(msg.partition).toBe(javaPartitions['checkout/response_time'][String(PARTITIONS)]);
      const decoded = decodeEvent(msg.value!);
      expect(decoded.kind).toBe('command');
      expect(decoded.record).toMatchObject({ commandId: res.body.commandId, type: 'resolve', alertId: 'alert-01', source: 'checkout', metric: 'response_time', actor: 'operator', comment: "rolled back; it's fine" });
    });
  });

  describe('anomalies, SLA, live metrics, dashboard', () => {
    it('lists the latest refinement of each anomaly with filters and paging', async () => {
      const all = await get('/api/v1/anomalies?limit=500', KEYS.reader);
      expect(all.status).toBe(200);
      expect((all.body.items as Json[]).map((a) => a.id)).toEqual(['anom-4', 'anom-3', 'anom-2', 'anom-1', 'anom-5']);
      expect((all.body.items as Json[]).find((a) => a.id === 'anom-1')).toMatchObject({ type: 'pattern_change', version: 2, score: 0.95, confidence: 0.9, pointCount: 6 });
      const ids = async (qs: string) => ((await get(`/api/v1/anomalies?${qs}`, KEYS.reader)).body.items as Json[]).map((a) => a.id).sort();
      expect(await ids('type=spike')).toEqual(['anom-5']); // anom-1 is no longer a spike
      expect(await ids('type=spike,pattern_change')).toEqual(['anom-1', 'anom-5']);
      expect(await ids('minScore=0.65')).toEqual(['anom-1', 'anom-3', 'anom-5']);
      expect(await ids('minConfidence=0.9&source=api')).toEqual(['anom-3']);
      expect(await ids('metric=cpu_usage')).toEqual(['anom-1', 'anom-4']);
      expect(await ids(`from=${NOW - H}`)).toEqual(['anom-1', 'anom-2', 'anom-3', 'anom-4']);
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(`/api/v1/anomalies?sort=score&order=desc&limit=2${cursor ? `&cursor=${cursor}` : ''}`, KEYS.reader);
        walked.push(...(res.body.items as Json[]).map((a) => a.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(walked).toEqual(['anom-5', 'anom-1', 'anom-3', 'anom-2', 'anom-4']);
    });

    it('SLA status: latest snapshot per series, violations in the last 24 h, name from the definition', async () => {
      const res = await get('/api/v1/sla', KEYS.reader);
      expect(res.status).toBe(200);
      const bySource = new Map((res.body.items as Json[]).map((s) => [s.source, s]));
      expect(bySource.get('checkout')).toMatchObject({
        slaId: 'default.response_time',
        name: expect.stringMatching(/Response time/),
        compliance: 0.97,
        violated: false,
        violations24h: 2,
        updatedAt: NOW - H,
        objective: 0.95,
        good: 970,
        total: 1000,
      });
      expect(bySource.get('checkout')!.errorBudgetRemaining).toBeCloseTo(0.4, 10);
      expect(bySource.get('api')).toMatchObject({ violated: true, violations24h: 1 });
      expect(((await get('/api/v1/sla?violated=true', KEYS.reader)).body.items as Json[]).map((s) => s.source)).toEqual(['api']);
      expect((await get('/api/v1/sla?sla=nope', KEYS.reader)).body.items).toEqual([]);
    });

    it('live metrics: latest value per recent series', async () => {
      const res = await get('/api/v1/live-metrics', KEYS.reader);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        { source: 'api', metric: 'cpu_usage', timestamp: NOW - 3000, value: 55, mean: 50, std: 5, zscore: 1, anomalyScore: 0.1, points: 1 },
        { source: 'web', metric: 'cpu_usage', timestamp: NOW - 5000, value: 75, mean: 50, std: 5, zscore: 5, anomalyScore: 0.8, points: 2 },
      ]);
      expect(((await get('/api/v1/live-metrics?windowSec=86400&source=db', KEYS.reader)).body.items as Json[]).map((s) => s.metric)).toEqual(['queue_size']);
    });

    it('dashboard stats: open alerts, SLA overview, anomaly and ingest rates, consumer group', async () => {
      const res = await get('/api/v1/dashboard-stats', KEYS.reader);
      expect(res.status).toBe(200);
      expect(res.body.alerts).toEqual({
        open: 5,
        bySeverity: { critical: 2, high: 2, low: 1 },
        byStatus: { firing: 4, acknowledged: 1 },
      });
      expect(res.body.sla).toMatchObject({ objectives: 2, violated: 1 });
      expect(res.body.anomalies.lastHour).toBe(4);
      expect(res.body.ingest).toMatchObject({ pointsLastMinute: 4, series: 3 });
      expect(res.body.ingest.pointsPerSecond).toBeCloseTo(4 / 60, 10);
      expect(res.body.consumer).toMatchObject({ groupId: env.config.kafka.groupId, members: 0 });
    });
  });

  describe('ingest', () => {
    it('produces valid points to the metrics topic (decodable, keyed) and reports invalid ones', async () => {
      const ts = Date.now();
      const res = await request('POST', '/api/v1/metrics', {
        key: KEYS.ingester,
        body: {
          points: [
            { source: 'checkout', metric: 'response_time', value: 210.5, timestamp: ts, tags: { region: 'eu' } },
            { source: 'checkout', metric: 'response_time', value: Number.MAX_VALUE, timestamp: ts + 1 },
            { source: 'checkout', metric: 'response_time', value: '12', timestamp: ts + 2 },
            { source: 'api', metric: 'cpu_usage', value: -1, timestamp: 1 },
          ],
        },
      });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ accepted: 2, rejected: 2 });
      expect((res.body.errors as Json[]).map((e) => e.index)).toEqual([2, 3]);
      const single = await request('POST', '/api/v1/metrics', { key: KEYS.ingester, body: { source: 'api', metric: 'cpu_usage', value: 3 } });
      expect(single.status).toBe(202);

      const messages = await consumeN(env.config, env.topics.metrics, 3, 20_000);
      const decoded = messages.map((m) => ({ key: m.key?.toString(), partition: m.partition, event: decodeEvent(m.value!) }));
      const checkout = decoded.filter((d) => d.key === 'checkout/response_time');
      expect(checkout.map((d) => d.event.record)).toEqual([
        { source: 'checkout', metric: 'response_time', value: 210.5, timestamp: ts, tags: { region: 'eu' } },
        { source: 'checkout', metric: 'response_time', value: Number.MAX_VALUE, timestamp: ts + 1, tags: {} },
      ]);
      for (const d of decoded) expect(d.event.kind).toBe('metric');
      // Written by an idempotent producer (the broker assigned it an id, batches carry a
      // sequence): a send complete-send.ts repeats for a left-out partition, or a kafkajs retry
      // of a request the broker had applied, is dropped by the broker instead of stored twice.
      // A non-idempotent producer writes producerId -1.
      for (const m of messages) {
        const batch = (m as { batchContext?: { producerId: string; firstSequence: number } }).batchContext;
        expect(batch, 'kafkajs exposes the record batch header').toBeDefined();
        expect(BigInt(batch!.producerId), `producerId of ${m.key?.toString()}`).toBeGreaterThanOrEqual(0n);
        expect(batch!.firstSequence).toBeGreaterThanOrEqual(0);
      }
      expect(new Set(checkout.map((d) => d.partition))).toEqual(new Set([javaPartitions['checkout/response_time'][String(PARTITIONS)]]));
      expect(decoded.find((d) => d.key === 'api/cpu_usage')?.partition).toBe(javaPartitions['api/cpu_usage'][String(PARTITIONS)]);

      // A lone surrogate would be written as invalid UTF-8 and dead-lettered by the pipeline.
      const lone = await request('POST', '/api/v1/metrics', { key: KEYS.ingester, body: { source: '\ud800', metric: 'm', value: 1 } });
      expect(lone.status).toBe(400);
      expect(lone.body.message).toMatch(/body\/source contains a lone UTF-16 surrogate/);
      const allBad = await request('POST', '/api/v1/metrics', { key: KEYS.ingester, body: { points: [{ source: 'a' }, { metric: 'b' }] } });
      expect(allBad.status).toBe(400);
      expect(allBad.body.details).toHaveLength(2);
    });
  });

  describe('rules and SLA definitions through the config topic', () => {
    it('PUT / GET / DELETE round trip, visible in the topic', async () => {
      const rule = { kind: 'threshold', metric: 'queue_size', source: 'db', direction: 'above', levels: [{ severity: 'high', value: 500 }, { severity: 'low', value: 100 }], forMs: 60_000, description: "db's queue" };
      const created = await request('PUT', '/api/v1/rules/it.queue', { body: rule });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: 'it.queue', enabled: true, hysteresis: 0, isDefault: false });
      expect((await get('/api/v1/rules/it.queue', KEYS.reader)).body).toMatchObject({ ...rule, id: 'it.queue' });
      const list = await get('/api/v1/rules', KEYS.reader);
      expect((list.body.items as Json[]).map((r) => r.id)).toEqual(expect.arrayContaining(['it.queue', 'default.cpu_usage']));

      const invalid = await request('PUT', '/api/v1/rules/it.queue', { body: { ...rule, levels: [{ severity: 'high', value: 1 }, { severity: 'low', value: 100 }] } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.details[0].path).toBe('body/levels');

      const sla = { name: 'checkout p95', metric: 'response_time', source: 'checkout', comparator: 'lt', threshold: 800, objective: 0.99, windowMs: 3_600_000 };
      expect((await request('PUT', '/api/v1/sla/definitions/it.sla', { body: sla })).status).toBe(201);
      expect((await get('/api/v1/sla/definitions/it.sla', KEYS.reader)).body).toMatchObject({ ...sla, id: 'it.sla', enabled: true });
      expect(((await get('/api/v1/sla/definitions', KEYS.reader)).body.items as Json[]).map((s) => s.id)).toContain('it.sla');

      expect((await request('DELETE', '/api/v1/rules/it.queue')).body).toEqual({ id: 'it.queue', deleted: true, revertedToDefault: false });
      expect((await get('/api/v1/rules/it.queue', KEYS.reader)).status).toBe(404);
      expect((await request('DELETE', '/api/v1/sla/definitions/it.sla')).status).toBe(200);
      expect((await request('DELETE', '/api/v1/sla/definitions/default.response_time')).status).toBe(409);

      const records = await consumeN(env.config, env.topics.config, 4, 20_000);
      expect(records.map((r) => [r.key?.toString(), r.value === null ? null : JSON.parse(r.value.toString()).id])).toEqual([
        ['rule/it.queue', 'it.queue'],
        ['sla/it.sla', 'it.sla'],
        ['rule/it.queue', null],
        ['sla/it.sla', null],
      ]);
    });
  });

  describe('hostile input', () => {
    const listFilters: Record<string, string[]> = {
      '/api/v1/alerts': ['status', 'severity', 'source', 'metric', 'rule', 'from', 'to', 'sort', 'order', 'cursor', 'limit'],
      '/api/v1/anomalies': ['source', 'metric', 'type', 'minConfidence', 'minScore', 'from', 'to', 'sort', 'order', 'cursor', 'limit'],
      '/api/v1/sla': ['source', 'metric', 'sla', 'violated'],
      '/api/v1/live-metrics': ['source', 'metric', 'windowSec', 'limit'],
    };

    it('every filter: 400 or an empty result, never rows', async () => {
      for (const [route, params] of Object.entries(listFilters)) {
        for (const param of params) {
          for (const hostile of HOSTILE) {
            const res = await get(`${route}?${param}=${encodeURIComponent(hostile)}`, KEYS.reader);
            const label = `${route}?${param}=${JSON.stringify(hostile.slice(0, 40))}`;
            expect([200, 400], label).toContain(res.status);
            if (res.status === 200) expect(res.body.items, label).toEqual([]);
            else expect(res.body, label).toMatchObject({ error: 'Bad Request', statusCode: 400 });
          }
        }
      }
    });

    it('every path parameter: 400 or 404', async () => {
      for (const hostile of HOSTILE) {
        const id = encodeURIComponent(hostile);
        const attempts = [
          await get(`/api/v1/alerts/${id}`, KEYS.reader),
          await request('POST', `/api/v1/alerts/${id}/acknowledge`, { body: {} }),
          await request('POST', `/api/v1/alerts/${id}/resolve`, { body: {} }),
          await get(`/api/v1/rules/${id}`, KEYS.reader),
          await request('PUT', `/api/v1/rules/${id}`, { body: { kind: 'anomaly', minScore: 0.5, severity: 'low' } }),
          await request('DELETE', `/api/v1/rules/${id}`),
          await get(`/api/v1/sla/definitions/${id}`, KEYS.reader),
          await request('PUT', `/api/v1/sla/definitions/${id}`, { body: { metric: 'm', comparator: 'lt', threshold: 1, objective: 0.9 } }),
          await request('DELETE', `/api/v1/sla/definitions/${id}`),
        ];
        for (const res of attempts) expect([400, 404], JSON.stringify(hostile.slice(0, 40))).toContain(res.status);
      }
    });

    it('hostile bodies: comments and definitions', async () => {
      for (const hostile of HOSTILE) {
        const ack = await request('POST', '/api/v1/alerts/alert-03/acknowledge', { body: { comment: hostile } });
        // 413: the 1 MB string exceeds the body limit before any validation
        expect([400, 409, 413]).toContain(ack.status);
        const put = await request('PUT', '/api/v1/rules/it.hostile', { body: { kind: 'anomaly', metric: hostile, minScore: 0.5, severity: 'low' } });
        expect([201, 200, 400, 413]).toContain(put.status);
        if (put.status === 413) expect(hostile.length).toBeGreaterThan(env.config.api.bodyLimit / 2);
        if (put.status < 300) expect((await get('/api/v1/rules/it.hostile', KEYS.reader)).body.metric).toBe(hostile);
      }
    });

    it('leaves every table intact', async () => {
      expect(await countTables()).toEqual(tableCounts);
    });
  });

  describe('operations', () => {
    it('Prometheus metrics count requests by route and ingested points', async () => {
      expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
      const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${KEYS.scraper}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/vigil_api_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/alerts",status_code="200"\} \d+/);
      expect(text).toMatch(/vigil_api_ingest_points_total\{result="accepted"\} 3/);
      expect(text).toMatch(/vigil_api_alert_commands_total\{type="resolve",outcome="pending"\} 1/);
      expect(text).toMatch(/vigil_api_process_cpu_user_seconds_total/);
    });

    it('serves the OpenAPI document, the docs UI, the dashboard and its client config', async () => {
      const doc = (await (await fetch(`${api.url}/api/v1/openapi.json`)).json()) as Json;
      expect(doc.openapi).toBe('3.0.3');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/alerts', '/api/v1/metrics', '/api/v1/rules/{id}']));
      expect((await fetch(`${api.url}/docs/`)).status).toBe(200);
      const page = await fetch(`${api.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const cc = (await (await fetch(`${api.url}/api/v1/client-config`)).json()) as Json;
      expect(cc).toMatchObject({ gatewayUrl: `ws://127.0.0.1:${env.config.gateway.port}/ws`, apiBase: '/api/v1', authRequired: true });
    });

    it('answers 503 with what to do when the ClickHouse tables are missing', async () => {
      const unmigrated = await buildApi({ ...env.config, clickhouse: { ...env.config.clickhouse, database: `${env.config.clickhouse.database}_missing` } }, api.deps);
      try {
        const res = await unmigrated.inject({ method: 'GET', url: '/api/v1/alerts', headers: { 'x-api-key': KEYS.reader } });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/missing: run the migrations/) });
      } finally {
        await unmigrated.close();
      }
    });

    it('rate limits per key with 429 in the error shape', async () => {
      const limited = await buildApi({ ...env.config, api: { ...env.config.api, rateLimitPerMinute: 3 } }, api.deps);
      try {
        const codes: number[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await limited.inject({ method: 'GET', url: '/api/v1/rules', headers: { 'x-api-key': KEYS.reader } });
          codes.push(res.statusCode);
          if (res.statusCode === 429) expect(res.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
        }
        expect(codes).toEqual([200, 200, 200, 429, 429]);
        // another key has its own budget
        expect((await limited.inject({ method: 'GET', url: '/api/v1/rules', headers: { 'x-api-key': KEYS.operator } })).statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });
});
