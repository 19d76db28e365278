/** The series-count limit without Kafka: which points are admitted, that batch boundaries do not change it, and its alert. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLogger } from '../../../core/logger.ts';
import type { AlertEvent } from '../../../schemas/records.ts';
import type { IncomingPoint } from '../../../pipeline/processor/score-points.ts';
import { admitSeries, seriesLimitDetail, seriesLimitPerPartition } from '../../../pipeline/state/series-limit.ts';
import { SeriesLimitMonitor, type SeriesLimitMonitorDeps } from '../../../pipeline/runtime/series-limit-monitor.ts';
import { decodeEvent, encodeEvent } from '../../../pipeline/codec/events.ts';
import { topicNames, loadConfig } from '../../../core/config.ts';

const point = (seriesId: string, offset: number): IncomingPoint => {
  const [source, metric] = seriesId.split('/');
  return { point: { source, metric, value: offset, timestamp: 1_700_000_000_000 + offset, tags: {} }, seriesId, offset: String(offset) };
};
const ids = (points: IncomingPoint[]) => points.map((p) => `${p.seriesId}@${p.offset}`);

describe('seriesLimitPerPartition', () => {
  it('shares maxSeries over the partitions, rounding up, never below 1', () => {
    expect(seriesLimitPerPartition(100_000, 12)).toBe(8334);
    expect(seriesLimitPerPartition(200, 4)).toBe(50);
    expect(seriesLimitPerPartition(1, 12)).toBe(1);
    expect(seriesLimitPerPartition(50, 1)).toBe(50);
  });
});

describe('admitSeries', () => {
  it('admits held series and the first new ones while there is room, and refuses every point of the others', () => {
    const held = new Set(['a/m', 'b/m']);
    const batch = [point('x/m', 1), point('a/m', 2), point('y/m', 3), point('x/m', 4), point('z/m', 5), point('b/m', 6), point('y/m', 7), point('z/m', 8)];
    const r = admitSeries(batch, held, 3);
    expect(ids(r.admitted)).toEqual(['x/m@1', 'a/m@2', 'x/m@4', 'b/m@6']);
    expect(ids(r.refused)).toEqual(['y/m@3', 'z/m@5', 'y/m@7', 'z/m@8']);
    expect(r.added).toBe(1);
    // The state passed in is not changed: the processor adds the series when it scores them.
    expect([...held]).toEqual(['a/m', 'b/m']);
  });

  it('keeps serving held series when the limit is lowered below what the partition holds', () => {
    const held = new Map([
      ['a/m', 1],
      ['b/m', 2],
      ['c/m', 3],
    ]);
    const r = admitSeries([point('c/m', 1), point('new/m', 2), point('a/m', 3)], held, 2);
    expect(ids(r.admitted)).toEqual(['c/m@1', 'a/m@3']);
    expect(ids(r.refused)).toEqual(['new/m@2']);
    expect(r.added).toBe(0);
  });

  it('admits everything below the limit', () => {
    const batch = Array.from({ length: 100 }, (_, i) => point(`s${i % 10}/m`, i));
    const r = admitSeries(batch, new Set(), 10);
    expect(r.refused).toEqual([]);
    expect(r.admitted).toHaveLength(100);
    expect(r.added).toBe(10);
  });

  it('gives the same outcome for a record whatever the batch boundaries (replay and re-delivery)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (seriesOf, limit, cuts) => {
          const stream = seriesOf.map((s, i) => point(`s${s}/m`, i));
          const whole = admitSeries(stream, new Set(), limit);
          // The same stream in batches of varying sizes, the held set growing as the processor would grow it.
          const held = new Set<string>();
          const admitted: IncomingPoint[] = [];
          const refused: IncomingPoint[] = [];
          for (let i = 0, k = 0; i < stream.length; k++) {
            const batch = stream.slice(i, i + cuts[k % cuts.length]);
            i += batch.length;
            const r = admitSeries(batch, held, limit);
            for (const p of r.admitted) held.add(p.seriesId);
            admitted.push(...r.admitted);
            refused.push(...r.refused);
          }
          expect(ids(admitted)).toEqual(ids(whole.admitted));
          expect(ids(refused)).toEqual(ids(whole.refused));
          expect(held.size).toBe(Math.min(limit, new Set(seriesOf).size));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names the limit and the setting to raise in the dead letter detail', () => {
    expect(seriesLimitDetail('x/m', 3, 50, 200, 4)).toBe(
      'series x/m is new and partition 3 already holds 50 series, its limit (pipeline.maxSeries 200 over 4 partitions); the series\' points are refused until pipeline.maxSeries (VIGIL_MAX_SERIES) is raised',
    );
  });
});

describe('SeriesLimitMonitor', () => {
  const config = loadConfig({ overrides: { kafka: { topicPrefix: 'u.' } } });
  function monitor(over: Partial<SeriesLimitMonitorDeps> = {}) {
    const published: AlertEvent[] = [];
    const stored: AlertEvent[] = [];
    const owned = new Set([0, 1, 2]);
    let kafkaUp = true;
    const deps = {
      groupId: 'g',
      topic: 'u.metrics',
      limit: 50,
      maxSeries: 200,
      partitions: 4,
      clearAfterMs: 60_000,
      isOwned: (p: number) => owned.has(p),
      producer: {
        sendBatch: async ({ topicMessages }: { topicMessages: Array<{ messages: Array<{ value: Buffer }> }> }) => {
          if (!kafkaUp) throw new Error('Connection error: connect ECONNREFUSED');
          for (const t of topicMessages) for (const m of t.messages) published.push(decodeEvent(m.value).record as AlertEvent);
        },
      },
      topics: topicNames(config),
      encoder: (kind: 'alert', record: object) => encodeEvent(kind, record),
      publish: { maxBytes: 1_000_000 },
      sink: { writeDerived: async ({ alerts }: { alerts: AlertEvent[] }) => void stored.push(...alerts) },
      logger: createLogger('silent'),
      ...over,
    } as unknown as SeriesLimitMonitorDeps;
    return { m: new SeriesLimitMonitor(deps), published, stored, owned, setKafka: (up: boolean) => (kafkaUp = up) };
  }
  const T0 = 1_700_000_000_000;

  it('opens one high alert per refusing partition and resolves it after clearAfterMs without a refusal', async () => {
    const { m, published, stored } = monitor();
    await m.check(T0);
    expect(published).toEqual([]);
    m.refused(1, 7, 'x/m', T0 + 1000);
    m.refused(1, 3, 'y/m', T0 + 2000);
    await m.check(T0 + 3000);
    expect(published).toHaveLength(1);
    const firing = published[0];
    expect(firing).toMatchObject({ source: 'vigil', metric: 'pipeline.series_limit', severity: 'high', status: 'firing', version: 1, value: 10, threshold: 50, ruleId: 'series-limit:g:u.metrics:1' });
    expect(firing.message).toContain('partition 1 of u.metrics (group g) holds 50 series, its limit (pipeline.maxSeries 200 over 4 partitions)');
    expect(firing.reason).toContain('10 points of new series refused since');
    expect(firing.reason).toContain('the last of series y/m; raise pipeline.maxSeries (VIGIL_MAX_SERIES)');
    expect(m.refusing()).toEqual([1]);

    // Still refusing: no second event.
    m.refused(1, 1, 'z/m', T0 + 30_000);
    await m.check(T0 + 60_000);
    expect(published).toHaveLength(1);
    // A minute after the last refusal: resolved, same alert id.
    await m.check(T0 + 89_999);
    expect(published).toHaveLength(1);
    await m.check(T0 + 90_000);
    expect(published).toHaveLength(2);
    expect(published[1]).toMatchObject({ status: 'resolved', version: 2, alertId: firing.alertId, value: 11, reason: 'no point refused for 60 s' });
    expect(m.refusing()).toEqual([]);
    expect(stored.map((e) => e.eventId)).toEqual(published.map((e) => e.eventId));

    // A new refusal later opens a new alert.
    m.refused(1, 1, 'w/m', T0 + 200_000);
    await m.check(T0 + 200_001);
    expect(published).toHaveLength(3);
    expect(published[2].status).toBe('firing');
    expect(published[2].alertId).not.toBe(firing.alertId);
  });

  it('resolves on revocation and keeps events it could not publish for the next check', async () => {
    const { m, published, owned, setKafka } = monitor();
    m.refused(0, 2, 'a/m', T0);
    m.refused(2, 5, 'b/m', T0);
    setKafka(false);
    await m.check(T0 + 1);
    expect(published).toEqual([]);
    expect(m.refusing()).toEqual([0, 2]);
    setKafka(true);
    owned.delete(2);
    await m.check(T0 + 2);
    expect(published.map((e) => [e.ruleId, e.status])).toEqual([
      ['series-limit:g:u.metrics:0', 'firing'],
      ['series-limit:g:u.metrics:2', 'firing'],
      ['series-limit:g:u.metrics:2', 'resolved'],
    ]);
    expect(published[2].reason).toBe('partition revoked from this instance');
    expect(m.refusing()).toEqual([0]);
  });

  it('ignores a batch that refused nothing', async () => {
    const { m, published } = monitor();
    m.refused(0, 0, 'a/m', T0);
    await m.check(T0 + 1);
    expect(published).toEqual([]);
  });
});
