/** Alert events carry the series' tags: those of the latest point when the alert opened, for its whole life. */
import { describe, expect, it } from 'vitest';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import { SeriesMonitor, type SeriesMonitorState } from '../../../pipeline/alerts/series-monitor.ts';
import { aboveRule, command, MIN, monitorWith, pt, SEC, T0 } from './support.ts';

const tagged = (timestamp: number, value: number, tags: Record<string, string>) => ({ ...pt(timestamp, value), tags });

describe('alert tags', () => {
  it('an alert opens with the tags of the point that opened it and keeps them through every transition', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const events = [
      ...m.observe(tagged(T0, 50, { team: 'a' }), null).alerts,
      ...m.observe(tagged(T0 + SEC, 150, { team: 'pay', region: 'eu' }), null).alerts, // opens (high)
      ...m.observe(tagged(T0 + 2 * SEC, 250, { team: 'changed' }), null).alerts, // escalates
    ];
    const ack = m.applyCommand(command({ alertId: events[0].alertId }), T0 + 3 * SEC);
    expect(events.map((e) => [e.reason, e.tags])).toEqual([
      ['opened', { team: 'pay', region: 'eu' }],
      ['escalated', { team: 'pay', region: 'eu' }],
    ]);
    expect(ack.event?.tags).toEqual({ team: 'pay', region: 'eu' });
    // Resolves after the clear period with the same tags; the next alert takes the new ones.
    const later: typeof events = [];
    for (let i = 0; i < 5; i++) later.push(...m.observe(tagged(T0 + (4 + i) * SEC, 10, { team: 'changed' }), null).alerts);
    expect(later.map((e) => [e.status, e.tags])).toEqual([['resolved', { team: 'pay', region: 'eu' }]]);
    const next = m.observe(tagged(T0 + 20 * SEC, 150, { team: 'changed' }), null).alerts;
    expect(next.map((e) => [e.reason, e.tags])).toEqual([['opened', { team: 'changed' }]]);
  });

  it('a point without tags gives {}; a no-data alert carries the tags of the last point heard', () => {
    const m = monitorWith([]);
    m.observe(pt(T0, 1), null);
    m.observe(tagged(T0 + SEC, 1, { host: 'h1' }), null);
    expect(m.checkSilence(T0, MIN)).toEqual([]);
    const [nodata] = m.checkSilence(T0 + 2 * MIN, MIN);
    expect(nodata).toMatchObject({ kind: 'nodata', tags: { host: 'h1' } });
    const bare = monitorWith([aboveRule({ forMs: 0 })]);
    expect(bare.observe(pt(T0, 150), null).alerts[0].tags).toEqual({});
  });

  it('tags survive a snapshot round trip; a snapshot from before tags restores with {}', () => {
    const defs = DefinitionSet.of([aboveRule({ forMs: 0 })], []);
    const m = new SeriesMonitor('svc', 'm', defs);
    m.observe(tagged(T0, 150, { team: 'pay' }), null);
    const state = JSON.parse(JSON.stringify(m.toJSON())) as SeriesMonitorState;
    const restored = SeriesMonitor.fromJSON(state, 'svc', 'm', defs);
    expect(restored.openAlerts()[0].tags).toEqual({ team: 'pay' });
    expect(restored.toJSON()).toEqual(m.toJSON());

    const old = JSON.parse(JSON.stringify(state)) as SeriesMonitorState;
    delete old.tags;
    for (const e of old.open) delete (e as Partial<typeof e>).tags;
    const fromOld = SeriesMonitor.fromJSON(old, 'svc', 'm', defs);
    expect(fromOld.openAlerts()[0].tags).toEqual({});
    expect(fromOld.applyCommand(command({ alertId: state.open[0].alertId }), T0 + SEC).event?.tags).toEqual({});
  });
});
