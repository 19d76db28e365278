import { describe, expect, it } from 'vitest';
import {
  HISTORY_RETRY_MS,
  applyHistory,
  createHistoryLoader,
  historyPoints,
  historyQuery,
} from '../../../api/dashboard/static/lib/history.js';
import { SeriesRing, SeriesRings } from '../../../api/dashboard/static/lib/ring-buffer.js';
import { CHART_POINTS, applyLiveEvent, createState } from '../../../api/dashboard/static/lib/state.js';
import type { SeriesPoints } from '../../../schemas/http/series.ts';

const WEB = { source: 'web-1', metric: 'cpu_usage' };

function answer(timestamps: number[], over: Partial<SeriesPoints> = {}): SeriesPoints {
  return {
    ...WEB,
    resolution: 'sampled',
    step: 1,
    from: 0,
    to: 1e13,
    truncated: false,
    points: timestamps.map((t) => ({ timestamp: t, value: t / 1000, mean: 1, std: 1, zscore: 0, anomalyScore: 0.1, count: 1 })),
    ...over,
  };
}

describe('SeriesRing.merge', () => {
  it('puts history under the live points, oldest first', () => {
    const ring = new SeriesRing(10, 2);
    ring.push(5000, [5, 50]);
    ring.push(6000, [6, 60]);
    expect(ring.merge([3000, 1000, 2000].map((x) => ({ x, values: [x / 1000, x / 100] })))).toBe(3);
    expect(ring.toColumns(1 / 1000)).toEqual([
      [1, 2, 3, 5, 6],
      [1, 2, 3, 5, 6],
      [10, 20, 30, 50, 60],
    ]);
    // live points keep appending after a merge
    expect(ring.push(7000, [7, 70])).toBe(true);
    expect(ring.latest()).toEqual({ x: 7000, values: [7, 70] });
  });

  it('a point already held wins a tie; non-finite x is skipped, non-finite values become gaps', () => {
    const ring = new SeriesRing(10, 2);
    ring.push(2000, [2, 20]);
    expect(ring.merge([{ x: 2000, values: [999, 999] }, { x: NaN, values: [1, 1] }, { x: 1000, values: [Infinity, null] }])).toBe(1);
    expect(ring.toColumns()).toEqual([
      [1000, 2000],
      [null, 2],
      [null, 20],
    ]);
  });

  it('keeps the newest capacity points, even when the ring had wrapped', () => {
    const ring = new SeriesRing(4);
    for (let t = 10; t <= 15; t++) ring.push(t, t); // wrapped: holds 12..15
    expect(ring.merge([{ x: 11, values: 11 }, { x: 13.5, values: 13.5 }])).toBe(1);
    expect(ring.toColumns()).toEqual([
      [13, 13.5, 14, 15],
      [13, 13.5, 14, 15],
    ]);
    // history entirely older than a full ring changes nothing
    expect(ring.merge([{ x: 1, values: 1 }])).toBe(0);
    expect(ring.length).toBe(4);
    expect(ring.merge(null)).toBe(0);
  });

  it('SeriesRings.merge creates the ring of an unseen series', () => {
    const rings = new SeriesRings(5, 1, 2);
    expect(rings.merge('a', [{ x: 1, values: 1 }])).toBe(1);
    expect(rings.get('a')?.toColumns()).toEqual([[1], [1]]);
    rings.merge('b', [{ x: 1, values: 1 }]);
    rings.merge('c', [{ x: 1, values: 1 }]);
    expect(rings.size).toBe(2); // the series bound holds
  });
});

describe('history answers', () => {
  it('asks for one-second samples of as many points as a chart holds, without a clock of its own', () => {
    expect(historyQuery(WEB)).toEqual({ source: 'web-1', metric: 'cpu_usage', step: 1, limit: CHART_POINTS });
  });

  it('turns points into [value, mean] ring points and refuses answers for another series or of another shape', () => {
    expect(historyPoints(answer([1000, 2000]), WEB)).toEqual([
      { x: 1000, values: [1, 1] },
      { x: 2000, values: [2, 1] },
    ]);
    expect(historyPoints(answer([1000], { source: 'web-2' }), WEB)).toEqual([]);
    expect(historyPoints(answer([1000], { metric: 'mem' }), WEB)).toEqual([]);
    for (const junk of [null, 'x', 42, {}, { ...WEB, points: 'no' }]) expect(historyPoints(junk, WEB)).toEqual([]);
    const mixed = { ...WEB, points: [null, { timestamp: '1000', value: 1 }, { timestamp: Infinity, value: 1 }, { timestamp: 3000, value: 3 }] };
    expect(historyPoints(mixed, WEB)).toEqual([{ x: 3000, values: [3, undefined] }]);
  });

  it('prefills a chart before any live event, and live events carry on after it', () => {
    const state = createState();
    const now = 1_700_000_000_000;
    const history = Array.from({ length: 120 }, (_, i) => now - (120 - i) * 1000);
    expect(applyHistory(state, WEB, answer(history))).toBe(120);
    expect(state.received.live).toBe(0);
    const ring = state.rings.get('web-1/cpu_usage')!;
    expect(ring.length).toBe(120);
    expect(applyLiveEvent(state, 'live', { ...WEB, timestamp: now, value: 42, mean: 40, std: 1, zscore: 2, anomalyScore: 0.2 })).toBe('live');
    expect(ring.length).toBe(121);
    expect(ring.latest()).toEqual({ x: now, values: [42, 40] });
    // history arriving after live points slots in under them
    const late = createState();
    applyLiveEvent(late, 'live', { ...WEB, timestamp: now, value: 42, mean: 40, std: 1, zscore: 2, anomalyScore: 0.2 });
    applyHistory(late, WEB, answer(history));
    expect(late.rings.get('web-1/cpu_usage')!.toColumns()[0]).toEqual([...history, now]);
    // more history than a chart holds keeps the newest
    const full = createState();
    applyHistory(full, WEB, answer(Array.from({ length: CHART_POINTS + 50 }, (_, i) => i * 1000)));
    expect(full.rings.get('web-1/cpu_usage')!.toColumns()[0][0]).toBe(50_000);
  });
});

describe('createHistoryLoader', () => {
  const seriesOf = (id: string) => {
    const [source, metric] = id.split('/');
    return metric ? { source, metric } : undefined;
  };

  it('asks once per series, one request at a time, and again after refresh', async () => {
    const asked: Array<Record<string, unknown>> = [];
    const applied: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const loader = createHistoryLoader({
      fetchHistory: async (q) => {
        asked.push(q);
        await gate;
        return answer([1000], { source: q.source, metric: q.metric });
      },
      apply: (id) => applied.push(id),
    });
    const first = loader.want(['web-1/cpu_usage', 'api-1/throughput', 'nonsense'], seriesOf);
    const again = loader.want(['web-1/cpu_usage'], seriesOf); // in flight: not asked twice
    release();
    await Promise.all([first, again]);
    expect(asked.map((q) => `${q.source}/${q.metric}`)).toEqual(['web-1/cpu_usage', 'api-1/throughput']);
    expect(applied.sort()).toEqual(['api-1/throughput', 'web-1/cpu_usage']);
    expect(loader.has('web-1/cpu_usage')).toBe(true);
    await loader.want(['web-1/cpu_usage'], seriesOf);
    expect(asked).toHaveLength(2);
    await loader.refresh(['web-1/cpu_usage'], seriesOf);
    expect(asked).toHaveLength(3);
  });

  it('after a failure, waits before asking again and reports the error', async () => {
    let clock = 0;
    let fail = true;
    const errors: string[] = [];
    let calls = 0;
    const loader = createHistoryLoader({
      fetchHistory: async () => {
        calls += 1;
        if (fail) throw new Error('HTTP 500');
        return answer([1000]);
      },
      apply: () => undefined,
      onError: (err, id) => errors.push(`${id}: ${(err as Error).message}`),
      now: () => clock,
    });
    await loader.want(['web-1/cpu_usage'], seriesOf);
    expect(errors).toEqual(['web-1/cpu_usage: HTTP 500']);
    expect(loader.has('web-1/cpu_usage')).toBe(false);
    clock = HISTORY_RETRY_MS - 1;
    await loader.want(['web-1/cpu_usage'], seriesOf);
    expect(calls).toBe(1);
    clock = HISTORY_RETRY_MS;
    fail = false;
    await loader.want(['web-1/cpu_usage'], seriesOf);
    expect(calls).toBe(2);
    expect(loader.has('web-1/cpu_usage')).toBe(true);
  });
});
