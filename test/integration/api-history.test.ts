/**
 * GET /api/v1/series/points against the real ClickHouse: seeded `points` rows (with re-delivered
 * duplicates) read raw, sampled and from the `points_1m` rollup the materialized view fills,
 * compared with the same figures computed here from the seed; bounds and hostile input refused
 * or answered empty, and the tables unchanged afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { pointRow } from '../../pipeline/storage/rows.ts';
import type { ScoredPoint } from '../../schemas/records.ts';
import { startApi, type RunningApi } from '../../api/index.ts';
import { createTestEnv, type TestEnv } from '../support/index.ts';

const KEYS = { reader: 'hist-reader-key-0123456789', ingester: 'hist-ingester-key-0123456789' };

const HOSTILE = [
  "' OR 1=1 --",
  "\\'",
  "\\' OR 1=1 --",
  "cpu_usage' OR metric != '",
  "'; DROP TABLE points; --",
  "x') UNION ALL SELECT 1, 2, 3, 4, 5, 6 FROM system.tables --",
  "' UNION ALL SELECT name FROM system.tables --",
  '\u2019 OR \u20191\u2019=\u20191',
  '\uff07 OR 1=1',
  '" OR ""="',
  '`; SELECT 1; `',
  'a\u0000b',
  'a\nb',
  '%27%20OR%201%3D1',
  '\\',
  'x'.repeat(300),
  'x'.repeat(1024 * 1024),
];
/** Already percent-encoded: bytes that are not UTF-8 (a lone surrogate, 0xFF, an overlong quote). */
const HOSTILE_ENCODED = ['%ED%A0%80', '%FF', '%C0%A7%20OR%201%3D1', '%27%00'];
const encodedHostile = () => [...HOSTILE.map(encodeURIComponent), ...HOSTILE_ENCODED];

const NOW = Date.now();
const MIN = 60_000;
const H = 60 * MIN;
/** A source name full of SQL metacharacters: stored and read back like any other. */
const QUOTED_SOURCE = "o'brien\\ --";

let offset = 0;
function point(source: string, metric: string, timestamp: number, value: number, anomalyScore = 0.1): ScoredPoint {
  offset += 1;
  return { source, metric, value, timestamp, tags: {}, partition: offset % 3, offset: String(offset), mean: value - 1, std: 2, zscore: 0.5, anomalyScore };
}

/** web/cpu_usage: one point a second for the last 10 minutes (k = 1 is newest), plus two old ones. */
const CPU: ScoredPoint[] = [];
for (let k = 600; k >= 1; k--) CPU.push(point('web', 'cpu_usage', NOW - k * 1000, 40 + (k % 17), k % 97 === 0 ? 0.9 : 0.1));
const CPU_OLD = [point('web', 'cpu_usage', NOW - 30 * MIN, 1), point('web', 'cpu_usage', NOW - 2.5 * H, 2)];
const OTHER = [point('web', 'mem_usage', NOW - 5000, 999), point('webx', 'cpu_usage', NOW - 5000, 999)];
const QUOTED = [point(QUOTED_SOURCE, 'cpu_usage', NOW - 4000, 7), point(QUOTED_SOURCE, 'cpu_usage', NOW - 3000, 8)];

/** api/latency: a point every 10 s for 3 hours, for the rollup (no duplicates: the view counts every insert). */
const LATENCY: ScoredPoint[] = [];
for (let i = 1079; i >= 0; i--) LATENCY.push(point('api', 'latency', NOW - i * 10_000 - 3000, 100 + 10 * Math.sin(i / 7) + (i % 5), i % 50 === 0 ? 0.9 : 0.1));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('GET /api/v1/series/points on the real stack', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let api: RunningApi;
  let before: Record<string, unknown>;

  const get = async (qs: string, key: string | null = KEYS.reader) => {
    const res = await api.app.inject({ method: 'GET', url: `/api/v1/series/points?${qs}`, headers: key ? { 'x-api-key': key } : {} });
    return { status: res.statusCode, body: res.json() as Json };
  };

  /** What the server holds: distinct points, rollup totals and the table list (stable under background merges). */
  const snapshot = async () => {
    const one = async (query: string) => ((await (await ch.query({ query, format: 'JSONEachRow' })).json()) as Json[])[0];
    return {
      points: await one('SELECT uniqExact(kafka_partition, kafka_offset) AS n, uniqExact(source, metric) AS series FROM points'),
      // The float sum is rounded: merges may add the states in another order.
      rollup: await one('SELECT countMerge(value_count) AS n, round(sumMerge(value_sum), 3) AS s FROM points_1m'),
      tables: await one(`SELECT groupArray(name) AS names FROM (SELECT name FROM system.tables WHERE database = '${env.config.clickhouse.database}' ORDER BY name)`),
    };
  };

  beforeAll(async () => {
    env = await createTestEnv('api-history', {
      overrides: {
        api: {
          port: 0,
          apiKeys: [
            { key: KEYS.reader, roles: ['read'], name: 'reader' },
            { key: KEYS.ingester, roles: ['ingest'], name: 'ingester' },
          ],
        },
      },
    });
    ch = createClickHouse(env.config, { logger: env.logger });
    const ingestedAt = Date.now();
    // No background merge may fold the duplicates away before the API reads them.
    await ch.command({ query: 'SYSTEM STOP MERGES points' });
    // Re-delivered copies of 5 points (same partition and offset): shown once.
    const duplicates = CPU.slice(-5);
    await ch.insert({ table: 'points', values: [...CPU, ...CPU_OLD, ...OTHER, ...QUOTED].map((p) => pointRow(p, ingestedAt)), format: 'JSONEachRow' });
    await ch.insert({ table: 'points', values: duplicates.map((p) => pointRow(p, ingestedAt)), format: 'JSONEachRow' });
    await ch.insert({ table: 'points', values: LATENCY.map((p) => pointRow(p, ingestedAt)), format: 'JSONEachRow' });
    before = await snapshot();
    api = await startApi(env.config, env.logger);
  });

  afterAll(async () => {
    await api?.close();
    await ch?.close();
    await env?.cleanup();
  });

  describe('raw points', () => {
    it('defaults to the last 15 minutes, every point once, oldest first, with its scores', async () => {
      const stored = (await (await ch.query({ query: "SELECT count() AS n FROM points WHERE source = 'web' AND metric = 'cpu_usage'", format: 'JSONEachRow' })).json()) as Json[];
      expect(Number(stored[0].n)).toBe(CPU.length + CPU_OLD.length + 5); // the duplicates are still there
      const res = await get('source=web&metric=cpu_usage');
      expect(res.status).toBe(200);
      const b = res.body;
      expect(b).toMatchObject({ source: 'web', metric: 'cpu_usage', resolution: 'raw', step: null, truncated: false });
      expect(b.to - b.from).toBe(15 * MIN);
      expect(b.to).toBeGreaterThanOrEqual(NOW);
      expect(b.points.map((p: Json) => p.timestamp)).toEqual(CPU.map((p) => p.timestamp));
      const k97 = CPU.find((p) => p.anomalyScore === 0.9)!;
      expect(b.points.find((p: Json) => p.timestamp === k97.timestamp)).toEqual({
        timestamp: k97.timestamp, value: k97.value, mean: k97.mean, std: 2, zscore: 0.5, anomalyScore: 0.9,
      });
    });

    it('limit keeps the newest points and says older ones were left out', async () => {
      const res = await get('source=web&metric=cpu_usage&limit=50');
      expect(res.status).toBe(200);
      expect(res.body.truncated).toBe(true);
      expect(res.body.points.map((p: Json) => p.timestamp)).toEqual(CPU.slice(-50).map((p) => p.timestamp));
      const exact = await get('source=web&metric=cpu_usage&limit=600');
      expect(exact.body.truncated).toBe(false);
      expect(exact.body.points).toHaveLength(600);
    });

    it('from is inclusive, to exclusive, as epoch ms or ISO-8601', async () => {
      const from = NOW - 100_000;
      const to = NOW - 50_000;
      const expected = CPU.filter((p) => p.timestamp >= from && p.timestamp < to).map((p) => p.timestamp);
      expect(expected).toHaveLength(50);
      const ms = await get(`source=web&metric=cpu_usage&from=${from}&to=${to}`);
      expect(ms.body.points.map((p: Json) => p.timestamp)).toEqual(expected);
      const iso = await get(`source=web&metric=cpu_usage&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`);
      expect(iso.body).toEqual(ms.body);
      // Older points appear only when asked for.
      const old = await get(`source=web&metric=cpu_usage&from=${NOW - 31 * MIN}&to=${NOW - 29 * MIN}`);
      expect(old.body.points).toEqual([expect.objectContaining({ timestamp: NOW - 30 * MIN, value: 1 })]);
    });

    it('reads only the series asked for, also when its name holds quotes and backslashes', async () => {
      const mem = await get('source=web&metric=mem_usage');
      expect(mem.body.points.map((p: Json) => p.value)).toEqual([999]);
      const quoted = await get(`source=${encodeURIComponent(QUOTED_SOURCE)}&metric=cpu_usage`);
      expect(quoted.status).toBe(200);
      expect(quoted.body.source).toBe(QUOTED_SOURCE);
      expect(quoted.body.points.map((p: Json) => p.value)).toEqual([7, 8]);
    });
  });

  describe('sampled points (step < 60 s)', () => {
    it('one point per bucket: its last values, the highest score, the count', async () => {
      const from = NOW - 600_000;
      const to = NOW;
      const res = await get(`source=web&metric=cpu_usage&from=${from}&to=${to}&step=10`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ resolution: 'sampled', step: 10, from, to, truncated: false });
      const buckets = new Map<number, ScoredPoint[]>();
      for (const p of CPU.filter((x) => x.timestamp >= from && x.timestamp < to)) {
        const b = Math.floor(p.timestamp / 10_000);
        buckets.set(b, [...(buckets.get(b) ?? []), p]);
      }
      const expected = [...buckets.keys()].sort((a, b) => a - b).map((b) => {
        const ps = buckets.get(b)!;
        const last = ps.at(-1)!;
        return { timestamp: last.timestamp, value: last.value, mean: last.mean, std: 2, zscore: 0.5, anomalyScore: Math.max(...ps.map((p) => p.anomalyScore)), count: ps.length };
      });
      expect(res.body.points).toEqual(expected);
      expect(res.body.points.some((p: Json) => p.anomalyScore === 0.9)).toBe(true);
    });
  });

  describe('rollup (step a multiple of 60 s)', () => {
    it('merges the per-minute states into step buckets: average, min, max, quantiles, counts', async () => {
      const res = await get(`source=api&metric=latency&from=${NOW - 3 * H}&to=${NOW}&step=300`);
      expect(res.status).toBe(200);
      const b = res.body;
      expect(b).toMatchObject({ resolution: 'rollup', step: 300, truncated: false });
      expect(b.from % 300_000).toBe(0);
      expect(b.to % 300_000).toBe(0);
      expect(b.from).toBeLessThanOrEqual(NOW - 3 * H);
      expect(b.to).toBeGreaterThanOrEqual(NOW);
      const buckets = new Map<number, ScoredPoint[]>();
      for (const p of LATENCY) {
        const key = Math.floor(p.timestamp / 300_000) * 300_000;
        buckets.set(key, [...(buckets.get(key) ?? []), p]);
      }
      const keys = [...buckets.keys()].sort((x, y) => x - y);
      expect(b.points.map((p: Json) => p.timestamp)).toEqual(keys);
      for (const p of b.points as Json[]) {
        const ps = buckets.get(p.timestamp)!;
        const values = ps.map((x) => x.value);
        expect(p.count).toBe(ps.length);
        expect(p.value).toBeCloseTo(values.reduce((a, v) => a + v, 0) / ps.length, 9);
        expect(p.min).toBe(Math.min(...values));
        expect(p.max).toBe(Math.max(...values));
        expect(p.anomalyScore).toBe(Math.max(...ps.map((x) => x.anomalyScore)));
        expect(p.anomalous).toBe(ps.filter((x) => x.anomalyScore >= 0.5).length);
        expect(p.min).toBeLessThanOrEqual(p.p50);
        expect(p.p50).toBeLessThanOrEqual(p.p95);
        expect(p.p95).toBeLessThanOrEqual(p.p99);
        expect(p.p99).toBeLessThanOrEqual(p.max);
        expect(p).not.toHaveProperty('mean');
      }
      expect(b.points.reduce((a: number, p: Json) => a + p.count, 0)).toBe(LATENCY.length);
    });

    it('limit keeps the newest buckets; hourly buckets sum to the same count', async () => {
      const res = await get(`source=api&metric=latency&from=${NOW - 3 * H}&to=${NOW}&step=300&limit=10`);
      expect(res.body.truncated).toBe(true);
      expect(res.body.points).toHaveLength(10);
      const full = await get(`source=api&metric=latency&from=${NOW - 3 * H}&to=${NOW}&step=300`);
      expect(res.body.points).toEqual(full.body.points.slice(-10));
      const hourly = await get(`source=api&metric=latency&from=${NOW - 4 * H}&to=${NOW}&step=3600`);
      expect(hourly.body.points.every((p: Json) => p.timestamp % H === 0)).toBe(true);
      expect(hourly.body.points.reduce((a: number, p: Json) => a + p.count, 0)).toBe(LATENCY.length);
    });
  });

  describe('bounds', () => {
    it.each([
      ['no step over more than 2 h', `from=${NOW - 3 * H}&to=${NOW}`, /step/],
      ['a sampled step over more than 2 h', `from=${NOW - 3 * H}&to=${NOW}&step=30`, /step/],
      ['a step the rollup cannot build', 'step=90', /multiple of 60/],
      ['a rollup range over 31 days', `from=${NOW - 40 * 24 * H}&to=${NOW}&step=60`, /days/],
      ['from after to', `from=${NOW}&to=${NOW - 1000}`, /from is after to/],
      ['the whole calendar', 'from=0&to=9999-12-31', /step/],
      ['a time past 9999', 'to=999999999999999', /to is not a valid time/],
      ['a time that is no time', 'from=yesterday', /from/],
      ['limit 0', 'limit=0', /limit/],
      ['a negative limit', 'limit=-1', /limit/],
      ['a huge limit', 'limit=1000000000000', /limit/],
      ['limit not a number', 'limit=abc', /limit/],
      ['step 0', 'step=0', /step/],
      ['a negative step', 'step=-60', /step/],
      ['a fractional step', 'step=1.5', /step/],
      ['an unknown parameter', 'bogus=1', /bogus/],
    ])('%s → 400', async (_label, extra, message) => {
      const res = await get(`source=web&metric=cpu_usage&${extra}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'Bad Request', statusCode: 400 });
      expect(`${res.body.message} ${JSON.stringify(res.body.details ?? [])}`).toMatch(message);
    });

    it('source and metric are required', async () => {
      expect((await get('metric=cpu_usage')).status).toBe(400);
      expect((await get('source=web')).status).toBe(400);
    });

    it('ranges with nothing stored answer empty: 1970, far future (raw and rollup), an empty range', async () => {
      for (const qs of [
        'from=0&to=3600000',
        'from=2200-01-01T00:00:00Z&to=2200-01-01T01:00:00Z',
        'from=2200-01-01&to=2200-01-20&step=3600',
        `from=${NOW - 5000}&to=${NOW - 5000}`,
      ]) {
        const res = await get(`source=web&metric=cpu_usage&${qs}`);
        expect(res.status, qs).toBe(200);
        expect(res.body.points, qs).toEqual([]);
      }
    });

    it('needs the read role', async () => {
      expect((await get('source=web&metric=cpu_usage', null)).status).toBe(401);
      expect((await get('source=web&metric=cpu_usage', KEYS.ingester)).status).toBe(403);
    });
  });

  describe('hostile input', () => {
    it('in source or metric, at every resolution: 400 or an empty result, never rows', async () => {
      const resolutions = ['', `&from=${NOW - 600_000}&step=5`, `&from=${NOW - 3 * H}&step=300`];
      for (const hostile of encodedHostile()) {
        for (const extra of resolutions) {
          for (const qs of [`source=${hostile}&metric=cpu_usage`, `source=web&metric=${hostile}`]) {
            const res = await get(qs + extra);
            const label = `${qs.slice(0, 80)}${extra}`;
            expect([200, 400], label).toContain(res.status);
            if (res.status === 200) expect(res.body.points, label).toEqual([]);
            else expect(res.body, label).toMatchObject({ error: 'Bad Request', statusCode: 400 });
          }
        }
      }
    });

    it('in every other parameter: 400', async () => {
      for (const hostile of encodedHostile()) {
        for (const param of ['from', 'to', 'limit', 'step']) {
          const res = await get(`source=web&metric=cpu_usage&${param}=${hostile}`);
          expect(res.status, `${param}=${hostile.slice(0, 40)}`).toBe(400);
        }
      }
    });

    it('leaves the tables intact', async () => {
      expect(await snapshot()).toEqual(before);
      expect((await get('source=web&metric=cpu_usage')).body.points).toHaveLength(600);
    });
  });

  it('is in the OpenAPI document with its parameters', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as Json;
    const op = doc.paths['/api/v1/series/points']?.get;
    expect(op).toBeDefined();
    expect(op.parameters.map((p: Json) => p.name).sort()).toEqual(['from', 'limit', 'metric', 'source', 'step', 'to']);
    expect(op.parameters.filter((p: Json) => p.required).map((p: Json) => p.name).sort()).toEqual(['metric', 'source']);
    expect(doc.components.schemas).toHaveProperty('SeriesPoint');
  });
});
