/**
 * The processor's side of repeated points: a copy is listed as a duplicate, another value at a
 * held timestamp as a conflict; neither becomes a scored point nor reaches the alert monitor,
 * and the dead letter's detail names both values.
 */
import { describe, expect, it } from 'vitest';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import { SeriesMonitor } from '../../../pipeline/alerts/series-monitor.ts';
import { scorePoints, type IncomingPoint } from '../../../pipeline/processor/score-points.ts';
import { PartitionState, type SeriesEntry } from '../../../pipeline/state/partition-state.ts';
import { duplicateTimestampDetail } from '../../../pipeline/state/repeats.ts';
import { detectorParams } from '../../../workers/detector-params.ts';
import { scoreBatch } from '../../../workers/score-batch.ts';
import { createSeriesState } from '../../../workers/series-state.ts';
import { aboveRule } from '../alerts/support.ts';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const params = detectorParams({ windowSize: 50, windowMs: Infinity });
const defs = DefinitionSet.of([aboveRule({ forMs: 0 })], []);

function context(state: PartitionState) {
  const newSeries = (id: string, source: string, metric: string): SeriesEntry => ({ id, source, metric, window: createSeriesState(params), monitor: new SeriesMonitor(source, metric, defs), dirty: false, lastLiveAt: 0 });
  return { state, params, score: async (task: Parameters<typeof scoreBatch>[0]) => scoreBatch(task), newSeries };
}

let offset = 0;
const point = (source: string, i: number, value: number): IncomingPoint => ({
  point: { source, metric: 'm', value, timestamp: T0 + i * 1000, tags: {} },
  seriesId: `${source}/m`,
  offset: String(offset++),
});

describe('repeated points in the processor', () => {
  it('drops copies and conflicting values of held timestamps before storage and monitoring, in one batch and across batches', async () => {
    const state = new PartitionState(0);
    const ctx = context(state);
    const first = Array.from({ length: 40 }, (_, i) => point(i % 2 === 0 ? 'a' : 'b', Math.floor(i / 2), 50 + (i % 5)));
    const batch1 = [...first.slice(0, 20), point('a', 3, first[6].point.value), ...first.slice(20)];
    const r1 = await scorePoints(ctx, batch1);
    expect(r1.scored.map((p) => p.offset)).toEqual(first.map((p) => p.offset));
    expect(r1.duplicates.map((p) => p.offset)).toEqual([batch1[20].offset]);
    expect(r1.conflicts).toEqual([]);

    // the next batch: a copy, a conflicting value (250: above the rule, so a monitor that saw it
    // would fire), and a new point
    const copy = point('b', 5, first[11].point.value);
    const other = point('a', 7, 250);
    const fresh = point('a', 20, 51);
    const r2 = await scorePoints(ctx, [copy, other, fresh]);
    expect(r2.scored.map((p) => p.offset)).toEqual([fresh.offset]);
    expect(r2.duplicates).toEqual([copy]);
    expect(r2.conflicts).toEqual([{ incoming: other, firstValue: first[14].point.value }]);
    expect(r2.alerts).toEqual([]);
    expect([...r2.lastBySeries.keys()].map((e) => e.id)).toEqual(['a/m']);
    expect(state.stateOffset).toBe(BigInt(fresh.offset));
    // the same value at a new timestamp is scored and does fire: the assertion above can fail
    const r3 = await scorePoints(ctx, [point('a', 21, 250)]);
    expect(r3.alerts.map((a) => a.status)).toContain('firing');
  });

  it('names both values, the kept one and what to do in the dead letter', () => {
    const p = point('svc', 0, 4.5);
    expect(duplicateTimestampDetail(p, 3)).toBe(
      `series svc/m already holds a point at 2026-01-05T10:00:00.000Z (${T0} ms) with value 3; this record says 4.5: the first is kept and this one is not stored. One timestamp carries one value per series: send a correction at another timestamp, or fix the producer that writes two values for one instant`,
    );
  });
});
