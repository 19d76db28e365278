import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { VigilError } from '../../../core/errors.ts';
import { StateStore, type SeriesFactory } from '../../../pipeline/state/state-store.ts';
import { PartitionState, type SeriesEntry } from '../../../pipeline/state/partition-state.ts';
import type { ClickHouseSink, ReplayPoint } from '../../../pipeline/storage/writer.ts';
import type { SeriesStateRow } from '../../../pipeline/storage/rows.ts';

const logger = pino({ level: 'silent' });

function row(series: string, offset: number, window = 'AAAA'): SeriesStateRow {
  const [source, metric] = series.split('/');
  return { kafka_partition: 0, series_id: series, kafka_offset: String(offset), source, metric, window_state: window, monitor_state: '{}', updated_at: 0 };
}

function point(series: string, offset: number): ReplayPoint {
  const [source, metric] = series.split('/');
  return { source, metric, value: offset, timestamp_ms: String(1_700_000_000_000 + offset), kafka_offset: String(offset) };
}

/** An in-memory stand-in for the ClickHouse adapter: this unit test is about the rebuild logic. */
function fakeSink(snapshots: SeriesStateRow[], points: ReplayPoint[], maxInserted = -1n) {
  const calls: Array<[bigint, bigint]> = [];
  const sink = {
    maxInsertedOffset: async () => maxInserted,
    loadSnapshots: async () => snapshots,
    replayPoints: async (_p: number, after: bigint, before: bigint) => {
      calls.push([after, before]);
      return points.filter((x) => BigInt(x.kafka_offset) > after && BigInt(x.kafka_offset) < before);
    },
    writeSnapshots: async () => undefined,
  } as unknown as ClickHouseSink;
  return { sink, calls };
}

function factory(failOn?: string): SeriesFactory {
  const entry = (id: string, restoredFrom: string | null): SeriesEntry =>
    ({ id, source: id.split('/')[0], metric: id.split('/')[1], window: new SharedArrayBuffer(8), monitor: { restoredFrom } as never, dirty: false, lastLiveAt: 0 }) as SeriesEntry;
  return {
    fresh: (id) => entry(id, null),
    restore: (r) => {
      if (r.window_state === failOn) throw new VigilError('layout changed', { code: 'STATE_LAYOUT' });
      return entry(r.series_id, r.kafka_offset);
    },
  };
}

async function replayedOffsets(store: StateStore, committed: bigint) {
  const seen: string[] = [];
  const state = await store.rebuild(0, committed, async (_s: PartitionState, pts) => {
    seen.push(...pts.map((p) => `${p.seriesId}@${p.offset}`));
  });
  return { state, seen };
}

describe('StateStore.rebuild', () => {
  it('restores snapshots older than the committed offset and replays only what came after the newest one', async () => {
    const { sink, calls } = fakeSink(
      [row('a/m', 10), row('b/m', 7), row('c/m', 25)],
      [point('a/m', 9), point('a/m', 11), point('b/m', 12), point('c/m', 21)],
      30n,
    );
    const { state, seen } = await replayedOffsets(new StateStore(sink, factory(), logger), 20n);
    expect([...state.series.keys()].sort()).toEqual(['a/m', 'b/m']); // c/m@25 is past the commit
    expect(calls).toEqual([[10n, 20n]]);
    expect(seen).toEqual(['a/m@11', 'b/m@12']);
    expect(state.stateOffset).toBe(19n);
    expect(state.maxInsertedOffset).toBe(30n);
  });

  it('starts empty without a committed offset', async () => {
    const { sink, calls } = fakeSink([row('a/m', 3)], [point('a/m', 1)]);
    const { state, seen } = await replayedOffsets(new StateStore(sink, factory(), logger), -1n);
    expect(state.series.size).toBe(0);
    expect(calls).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('falls back to a full replay when a snapshot was written by an incompatible build', async () => {
    const { sink, calls } = fakeSink([row('a/m', 10), row('b/m', 12, 'OLD')], [point('a/m', 2), point('b/m', 5), point('a/m', 13)]);
    const { state, seen } = await replayedOffsets(new StateStore(sink, factory('OLD'), logger), 20n);
    expect(calls).toEqual([[-1n, 20n]]);
    expect(seen).toEqual(['a/m@2', 'b/m@5', 'a/m@13']);
    expect(state.series.size).toBe(0); // entries are created fresh by the replay itself
  });

  it('does not hide other errors', async () => {
    const { sink } = fakeSink([row('a/m', 1)], []);
    const broken: SeriesFactory = { fresh: factory().fresh, restore: () => { throw new Error('disk on fire'); } };
    await expect(replayedOffsets(new StateStore(sink, broken, logger), 5n)).rejects.toThrow('disk on fire');
  });
});
