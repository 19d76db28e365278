/**
 * GET /series/points without servers: the range/resolution rules, the SQL each resolution
 * builds (values bound, never spliced), the row mapping, and the route through buildApi with a
 * recording ClickHouse stand-in (the real server is covered by test/integration/api-history.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../core/config.ts';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import type { ApiDeps } from '../../../api/deps.ts';
import { memorySilenceStore } from '../../../oncall/silences/index.ts';
import { HttpError } from '../../../api/http-error.ts';
import { newestLast, rawPointFromRow, rawPointsQuery, rollupPointFromRow, rollupPointsQuery, sampledPointsQuery } from '../../../api/queries/series.ts';
import { tablesIn } from '../../../api/queries/tables.ts';
import { resolveSeriesWindow } from '../../../api/series-window.ts';
import { buildApi } from '../../../api/server.ts';
import { SqlValueError, type Sql } from '../../../api/sql.ts';
import { SERIES_POINTS_LIMITS } from '../../../schemas/http/series.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 30, 250);
const MIN = 60_000;
const H = 60 * MIN;

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('resolveSeriesWindow', () => {
  it('defaults to raw points of the last 15 minutes up to now', () => {
    expect(resolveSeriesWindow({}, NOW)).toEqual({ resolution: 'raw', from: NOW - 15 * MIN, to: NOW, stepSec: null });
    expect(resolveSeriesWindow({ to: String(NOW - H) }, NOW)).toEqual({ resolution: 'raw', from: NOW - H - 15 * MIN, to: NOW - H, stepSec: null });
    // near the epoch the default start does not go negative
    expect(resolveSeriesWindow({ to: '1000' }, NOW)).toMatchObject({ from: 0, to: 1000 });
  });

  it('parses epoch ms and ISO-8601 (UTC without an offset)', () => {
    expect(resolveSeriesWindow({ from: '2025-01-15T11:00:00', to: '2025-01-15T12:00:00Z' }, NOW)).toMatchObject({
      from: Date.UTC(2025, 0, 15, 11),
      to: Date.UTC(2025, 0, 15, 12),
    });
  });

  it('raw and sampled reads are limited to 2 h; exactly 2 h is fine', () => {
    expect(resolveSeriesWindow({ from: String(NOW - 2 * H) }, NOW).resolution).toBe('raw');
    expect(resolveSeriesWindow({ from: String(NOW - 2 * H), step: 5 }, NOW)).toMatchObject({ resolution: 'sampled', stepSec: 5, from: NOW - 2 * H, to: NOW });
    const raw = refusal(() => resolveSeriesWindow({ from: String(NOW - 2 * H - 1) }, NOW));
    expect(raw.statusCode).toBe(400);
    expect(raw.message).toMatch(/pass step \(a multiple of 60 s\)/);
    expect(refusal(() => resolveSeriesWindow({ from: String(NOW - 3 * H), step: 59 }, NOW)).details?.[0].path).toBe('step');
  });

  it('a step that is a multiple of 60 reads the rollup over whole buckets, up to 31 days', () => {
    const w = resolveSeriesWindow({ from: String(NOW - 3 * H), step: 300 }, NOW);
    expect(w.resolution).toBe('rollup');
    expect(w.stepSec).toBe(300);
    expect(w.from % 300_000).toBe(0);
    expect(w.to % 300_000).toBe(0);
    expect(w.from).toBeLessThanOrEqual(NOW - 3 * H);
    expect(w.from).toBeGreaterThan(NOW - 3 * H - 300_000);
    expect(w.to).toBeGreaterThanOrEqual(NOW);
    expect(w.to).toBeLessThan(NOW + 300_000);
    expect(resolveSeriesWindow({ from: String(NOW - 31 * 24 * H), step: 86_400 }, NOW).resolution).toBe('rollup');
    expect(refusal(() => resolveSeriesWindow({ from: String(NOW - 31 * 24 * H - 1), step: 60 }, NOW)).message).toMatch(/31 days/);
  });

  it('refuses steps the rollup cannot build, reversed ranges and bad times', () => {
    for (const step of [61, 90, 3601]) expect(refusal(() => resolveSeriesWindow({ step }, NOW)).message).toMatch(/multiple of 60/);
    expect(refusal(() => resolveSeriesWindow({ step: SERIES_POINTS_LIMITS.maxStepSec + 60 }, NOW)).details?.[0].path).toBe('step');
    for (const step of [0, -1, 1.5]) expect(refusal(() => resolveSeriesWindow({ step }, NOW)).details?.[0].path).toBe('step');
    expect(refusal(() => resolveSeriesWindow({ from: String(NOW), to: String(NOW - 1) }, NOW)).message).toBe('from is after to');
    expect(refusal(() => resolveSeriesWindow({ from: 'yesterday' }, NOW)).details?.[0].path).toBe('from');
    expect(refusal(() => resolveSeriesWindow({ to: '999999999999999' }, NOW)).details?.[0].path).toBe('to');
    // the whole calendar is a range like any other: too long for raw points
    expect(refusal(() => resolveSeriesWindow({ from: '0', to: '9999-12-31' }, NOW)).details?.[0].path).toBe('step');
  });

  it('an empty range is allowed (and reads nothing)', () => {
    expect(resolveSeriesWindow({ from: String(NOW), to: String(NOW) }, NOW)).toMatchObject({ from: NOW, to: NOW });
  });
});

describe('series queries', () => {
  const tables = tablesIn('vigil');
  const hostile = "x' OR 1=1; DROP TABLE points --\\";
  const range = { source: hostile, metric: 'cpu', from: NOW - 10 * MIN, to: NOW, limit: 100 };
  const bound = "'x\\' OR 1=1; DROP TABLE points --\\\\'";

  it('raw: one row per stored key, newest first, limit + 1, values bound as literals', () => {
    const q = rawPointsQuery(tables, range).text;
    expect(q).toContain(`source = ${bound}`);
    expect(q).toContain("metric = 'cpu'");
    expect(q).toContain(`timestamp_ms >= ${NOW - 10 * MIN} AND timestamp_ms < ${NOW}`);
    expect(q).toContain(`timestamp >= toDateTime(${Math.floor((NOW - 10 * MIN) / 1000)})`);
    expect(q).toContain('FROM vigil.points');
    expect(q).toMatch(/ORDER BY timestamp_ms DESC, kafka_partition DESC, kafka_offset DESC\s+LIMIT 1 BY timestamp_ms, kafka_partition, kafka_offset\s+LIMIT 101$/);
    expect(q).not.toContain('DROP TABLE points --\\\'');
  });

  it('sampled: buckets of step ms over the deduplicated points', () => {
    const q = sampledPointsQuery(tables, range, 5).text;
    expect(q).toContain('intDiv(timestamp_ms, 5000) AS p_bucket');
    expect(q).toContain('LIMIT 1 BY timestamp_ms, kafka_partition, kafka_offset)');
    expect(q).toMatch(/GROUP BY p_bucket\s+ORDER BY p_bucket DESC\s+LIMIT 101$/);
  });

  it('rollup: merges the minute states of points_1m', () => {
    const q = rollupPointsQuery(tables, range, 300).text;
    expect(q).toContain('FROM vigil.points_1m');
    expect(q).toContain('intDiv(toUInt32(minute), 300) * 300 AS p_bucket');
    for (const f of ['countMerge(value_count)', 'sumMerge(value_sum)', 'minMerge(value_min)', 'maxMerge(value_max)', 'quantilesMerge(0.5, 0.95, 0.99)(value_quantiles)', 'sumMerge(anomalous_points)']) {
      expect(q).toContain(f);
    }
    expect(q).toContain(`source = ${bound}`);
  });

  it('DateTime bounds past 2106 are clamped instead of wrapping around', () => {
    const far = Date.UTC(2200, 0, 1);
    const q = rollupPointsQuery(tables, { ...range, from: far, to: far + 24 * H }, 3600).text;
    expect(q).toContain('minute >= toDateTime(4294967295) AND minute < toDateTime(4294967295)');
    expect(rawPointsQuery(tables, { ...range, from: far, to: far + H }).text).toContain(`timestamp_ms >= ${far}`);
  });

  it('a non-finite or fractional bound cannot reach the SQL', () => {
    expect(() => rawPointsQuery(tables, { ...range, from: NaN })).toThrow(SqlValueError);
    expect(() => rawPointsQuery(tables, { ...range, limit: 1.5 })).toThrow(/limit must be a non-negative integer/);
    expect(() => sampledPointsQuery(tables, range, 0.5)).toThrow(/step/);
    expect(() => rollupPointsQuery(tables, { ...range, to: Infinity }, 60)).toThrow(/to must be/);
    expect(() => rawPointsQuery(tables, { ...range, source: 'a\u0000b' })).toThrow(/control character/);
  });

  it('maps rows (64-bit numbers arrive as strings) and keeps the newest limit oldest first', () => {
    const rows = [3, 2, 1].map((i) => ({ p_ts: String(i * 1000), p_value: i, p_mean: 0, p_std: 1, p_zscore: i, p_score: 0.1 }));
    expect(newestLast(rows, 2, rawPointFromRow)).toEqual({
      truncated: true,
      points: [
        { timestamp: 2000, value: 2, mean: 0, std: 1, zscore: 2, anomalyScore: 0.1 },
        { timestamp: 3000, value: 3, mean: 0, std: 1, zscore: 3, anomalyScore: 0.1 },
      ],
    });
    expect(newestLast(rows, 3, rawPointFromRow).truncated).toBe(false);
    expect(newestLast([], 3, rawPointFromRow)).toEqual({ points: [], truncated: false });
    expect(rollupPointFromRow({ p_bucket: '1736942400', p_count: '4', p_sum: 10, p_min: 1, p_max: 4, p_q: [2.5, 3.9, 4], p_score: 0.7, p_anomalous: '1' })).toEqual({
      timestamp: 1736942400000, value: 2.5, anomalyScore: 0.7, count: 4, min: 1, max: 4, p50: 2.5, p95: 3.9, p99: 4, anomalous: 1,
    });
  });
});

describe('the route', () => {
  const KEY = 'series-reader-key-0123456789';
  const queries: string[] = [];
  let answer: (q: string) => object[] = () => [];
  let app: FastifyInstance;

  beforeAll(async () => {
    const config = loadConfig({ env: {}, overrides: { logLevel: 'silent', api: { apiKeys: [{ key: KEY, roles: ['read'], name: 'reader' }] } } });
    const deps: ApiDeps = {
      clickhouse: {
        async query<T>(q: Sql) {
          queries.push(q.text);
          return answer(q.text) as T[];
        },
        async ping() {},
      },
      metrics: { async send() {} },
      commands: { async issue() { return null; } },
      config: { ready: true, definitions: () => DefinitionSet.defaults(), async write() {} },
      silences: memorySilenceStore(),
      kafka: { async ping() { return { brokers: 1 }; }, async consumerGroup(groupId) { return { groupId, state: 'Stable', members: 1, lag: 0 }; } },
      now: () => NOW,
    };
    app = await buildApi(config, deps);
  });
  afterAll(async () => {
    await app.close();
  });

  const get = (qs: string) => app.inject({ method: 'GET', url: `/api/v1/series/points?${qs}`, headers: { 'x-api-key': KEY } });

  it('picks the query by step and answers with the effective window', async () => {
    answer = () => [{ p_ts: String(NOW - 1000), p_value: 5, p_mean: 4, p_std: 1, p_zscore: 1, p_score: 0.2, p_count: '3' }];
    queries.length = 0;
    const raw = await get('source=web&metric=cpu');
    expect(raw.statusCode).toBe(200);
    expect(raw.json()).toEqual({
      source: 'web', metric: 'cpu', resolution: 'raw', step: null, from: NOW - 15 * MIN, to: NOW, truncated: false,
      points: [{ timestamp: NOW - 1000, value: 5, mean: 4, std: 1, zscore: 1, anomalyScore: 0.2 }],
    });
    const sampled = await get('source=web&metric=cpu&step=1&limit=1');
    expect(sampled.json().points[0]).toMatchObject({ count: 3 });
    answer = () => [{ p_bucket: '1736942400', p_count: '2', p_sum: 3, p_min: 1, p_max: 2, p_q: [1.5, 2, 2], p_score: 0.1, p_anomalous: '0' }];
    const rollup = await get('source=web&metric=cpu&step=60');
    // every field survives fastify's response serializer (undeclared ones would be dropped)
    expect(rollup.json()).toMatchObject({
      resolution: 'rollup',
      step: 60,
      points: [{ timestamp: 1736942400000, value: 1.5, count: 2, min: 1, max: 2, p50: 1.5, p95: 2, p99: 2, anomalyScore: 0.1, anomalous: 0 }],
    });
    expect(queries).toHaveLength(3);
    expect(queries[0]).toContain('FROM vigil.points\n');
    expect(queries[1]).toContain('intDiv(timestamp_ms, 1000)');
    expect(queries[1]).toMatch(/LIMIT 2$/);
    expect(queries[2]).toContain('points_1m');
  });

  it.each([
    ['metric=cpu', 'querystring/source'],
    ['source=web', 'querystring/metric'],
    ['source=web&metric=cpu&limit=0', 'querystring/limit'],
    ['source=web&metric=cpu&limit=5001', 'querystring/limit'],
    ['source=web&metric=cpu&limit=-5', 'querystring/limit'],
    ['source=web&metric=cpu&step=0', 'querystring/step'],
    ['source=web&metric=cpu&step=86401', 'querystring/step'],
    ['source=web&metric=cpu&step=90', 'step'],
    [`source=web&metric=cpu&from=${NOW - 3 * H}`, 'step'],
    ['source=' + encodeURIComponent('a\u0000b') + '&metric=cpu', 'querystring/source'],
    ['source=web&metric=' + 'x'.repeat(300), 'querystring/metric'],
    ['source=web&metric=cpu&from=' + encodeURIComponent("1' OR 1=1"), 'querystring/from'],
  ])('%s → 400 naming %s, before any query', async (qs, path) => {
    queries.length = 0;
    const res = await get(qs);
    expect(res.statusCode).toBe(400);
    expect(res.json().details.map((d: { path: string }) => d.path)).toContain(path);
    expect(queries).toEqual([]);
  });
});
