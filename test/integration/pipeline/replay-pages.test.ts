/**
 * The state rebuild reads a partition's points in pages (keyset on kafka_offset) instead of one
 * query holding the whole history: on the real ClickHouse, a replay over many pages must give
 * state byte-identical to a one-page replay, with un-merged duplicate rows and other partitions'
 * rows in the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestEnv, type TestEnv } from '../../support/env.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { ClickHouseSink } from '../../../pipeline/storage/writer.ts';
import { StateStore, type SeriesFactory } from '../../../pipeline/state/state-store.ts';
import { scorePoints } from '../../../pipeline/processor/score-points.ts';
import { SeriesMonitor } from '../../../pipeline/alerts/series-monitor.ts';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import { createSeriesState } from '../../../workers/series-state.ts';
import { defaultDetectorParams } from '../../../workers/detector-params.ts';
import { scoreBatch } from '../../../workers/score-batch.ts';
import type { ScoredPoint } from '../../../schemas/records.ts';
import { aboveRule } from '../../unit/alerts/support.ts';

const PARTITION = 2;
const SOURCES = ['a', 'b', 'c'];
const PER_SERIES = 150;
const TOTAL = SOURCES.length * PER_SERIES; // 450 points on PARTITION, offsets 0..449
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

let env: TestEnv;
let client: ClickHouseClient;
let sink: ClickHouseSink;

function points(partition: number, from: number, to: number): ScoredPoint[] {
  const out: ScoredPoint[] = [];
  for (let offset = from; offset < to; offset++) {
    const s = offset % SOURCES.length;
    const i = Math.floor(offset / SOURCES.length);
    // a smooth signal with spikes above the rule's levels, so detector and monitor both carry state
    const value = i % 37 >= 32 ? 250 + s : 50 + 10 * Math.sin(i / 5 + s) + ((offset * 7919) % 13) / 10;
    out.push({ source: SOURCES[s], metric: 'm', value, timestamp: T0 + i * 1000, tags: {}, partition, offset: String(offset), mean: 0, std: 0, zscore: 0, anomalyScore: 0 });
  }
  return out;
}

beforeAll(async () => {
  env = await createTestEnv('replay-pages', { topics: false });
  client = createClickHouse(env.config, { logger: env.logger });
  sink = new ClickHouseSink(client, env.config.clickhouse.database);
  // Separate INSERTs are separate parts: the re-sent ranges stay duplicate rows (no merge asked).
  await sink.writePoints(points(PARTITION, 0, 200));
  await sink.writePoints(points(PARTITION, 150, TOTAL));
  await sink.writePoints(points(PARTITION, 300, 330));
  await sink.writePoints(points(PARTITION + 1, 0, 100));
}, 60_000);

afterAll(async () => {
  await client?.close();
  await env?.cleanup();
});

async function rebuildWith(pageRows: number) {
  const params = defaultDetectorParams(env.config.pipeline);
  const defs = DefinitionSet.of([aboveRule({ forMs: 2_000 })], []);
  const factory: SeriesFactory = {
    fresh: (id, source, metric) => ({ id, source, metric, window: createSeriesState(params), monitor: new SeriesMonitor(source, metric, defs), dirty: true, lastLiveAt: 0 }),
    restore: () => {
      throw new Error('no snapshots are written in this test');
    },
  };
  const store = new StateStore(sink, factory, env.logger, pageRows);
  const calls: string[][] = [];
  const state = await store.rebuild(PARTITION, BigInt(TOTAL), async (s, pts) => {
    calls.push(pts.map((p) => p.offset));
    await scorePoints({ state: s, params, score: async (task) => scoreBatch(task), newSeries: factory.fresh }, pts);
  });
  const entries = [...state.series.values()].sort((x, y) => x.id.localeCompare(y.id));
  return { state, calls, rows: store.rows(state, entries, T0) };
}

describe('paged state replay on ClickHouse', () => {
  it('rebuilds byte-identical state over many pages as in one page', async () => {
    const one = await rebuildWith(1_000_000);
    expect(one.calls).toHaveLength(1);
    expect(one.calls[0]).toEqual(Array.from({ length: TOTAL }, (_, i) => String(i))); // once each, in offset order
    expect(one.rows.map((r) => r.series_id)).toEqual(['a/m', 'b/m', 'c/m']);
    // the monitors went through alerts: the comparison covers more than empty monitor state
    expect(one.rows.every((r) => (JSON.parse(r.monitor_state) as { recentResolved: unknown[] }).recentResolved.length > 0)).toBe(true);

    for (const pageRows of [7, 45]) {
      const paged = await rebuildWith(pageRows);
      expect(paged.calls).toHaveLength(Math.ceil(TOTAL / pageRows));
      expect(Math.max(...paged.calls.map((c) => c.length))).toBe(pageRows);
      expect(paged.calls.flat()).toEqual(one.calls[0]);
      expect(paged.state.stateOffset).toBe(BigInt(TOTAL - 1));
      expect(paged.rows).toEqual(one.rows); // window bytes (base64) and monitor JSON
    }
  }, 120_000);

  it('refuses a page size that is not a positive integer', async () => {
    const factory = {} as SeriesFactory;
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new StateStore(sink, factory, env.logger, bad)).toThrow(/replay page size must be a positive integer/);
      await expect(sink.replayPoints(PARTITION, -1n, 10n, bad)).rejects.toThrow(/replay page size must be a positive integer/);
    }
  });
});
