import { describe, expect, it } from 'vitest';
import type { AlertCommand } from '../../../schemas/records.ts';
import { DEFAULT_ANOMALY_RULE } from '../../../pipeline/alerts/default-rules.ts';
import { eventIdOf } from '../../../pipeline/alerts/ids.ts';
import { aboveRule, command, feed, finding, monitorWith, pt, SEC, T0 } from './support.ts';

const STEP = 10 * SEC;

function openOne() {
  const m = monitorWith([aboveRule({ forMs: 0 })]);
  const [opened] = feed(m, T0, STEP, [150]).alerts;
  return { m, opened };
}

describe('operator commands', () => {
  it('acknowledge: firing → acknowledged, one event carrying the actor and comment', () => {
    const { m, opened } = openOne();
    const r = m.applyCommand(command({ commandId: 'c-ack', alertId: opened.alertId, actor: 'ann', comment: 'looking' }), T0 + 30 * SEC);
    expect(r).toMatchObject({ commandId: 'c-ack', alertId: opened.alertId, applied: true, status: 'acknowledged', reason: 'acknowledged' });
    expect(r.event).toMatchObject({
      alertId: opened.alertId,
      eventId: eventIdOf(opened.alertId, 2),
      version: 2,
      status: 'acknowledged',
      severity: 'high',
      actor: 'ann',
      reason: 'acknowledged: looking',
      timestamp: T0 + 30 * SEC,
      openedAt: opened.openedAt,
    });
    expect(m.openAlerts()).toEqual([r.event]);
  });

  it('resolve: acknowledged → resolved by the operator', () => {
    const { m, opened } = openOne();
    m.applyCommand(command({ commandId: 'c1', alertId: opened.alertId }), T0 + SEC);
    const r = m.applyCommand(command({ commandId: 'c2', type: 'resolve', alertId: opened.alertId, actor: 'bob' }), T0 + 2 * SEC);
    expect(r).toMatchObject({ applied: true, status: 'resolved', reason: 'resolved by operator' });
    expect(r.event).toMatchObject({ status: 'resolved', version: 3, actor: 'bob', reason: 'resolved by operator' });
    expect(m.openAlerts()).toEqual([]);
  });

  it('resolve works straight from firing', () => {
    const { m, opened } = openOne();
    const r = m.applyCommand(command({ commandId: 'c1', type: 'resolve', alertId: opened.alertId }), T0 + SEC);
    expect(r.applied).toBe(true);
    expect(r.event?.version).toBe(2);
  });

  describe('invalid transitions are refused with a reason and no event', () => {
    it('acknowledging an acknowledged alert', () => {
      const { m, opened } = openOne();
      m.applyCommand(command({ commandId: 'c1', alertId: opened.alertId }), T0 + SEC);
      const before = JSON.stringify(m.openAlerts());
      const r = m.applyCommand(command({ commandId: 'c2', alertId: opened.alertId }), T0 + 2 * SEC);
      expect(r).toEqual({ commandId: 'c2', alertId: opened.alertId, applied: false, status: 'acknowledged', reason: 'alert is already acknowledged', event: null });
      expect(JSON.stringify(m.openAlerts())).toBe(before);
    });

    it('resolving a resolved alert is a no-op', () => {
      const { m, opened } = openOne();
      m.applyCommand(command({ commandId: 'c1', type: 'resolve', alertId: opened.alertId }), T0 + SEC);
      const r = m.applyCommand(command({ commandId: 'c2', type: 'resolve', alertId: opened.alertId }), T0 + 2 * SEC);
      expect(r).toEqual({ commandId: 'c2', alertId: opened.alertId, applied: false, status: 'resolved', reason: 'alert is already resolved; nothing to do', event: null });
    });

    it('acknowledging a resolved alert (auto-resolved too)', () => {
      const { m, opened } = openOne();
      feed(m, T0 + STEP, STEP, [50, 50, 50]); // auto-resolves
      expect(m.openAlerts()).toEqual([]);
      const r = m.applyCommand(command({ commandId: 'c1', alertId: opened.alertId }), T0 + 5 * STEP);
      expect(r).toMatchObject({ applied: false, status: 'resolved', reason: 'alert is already resolved; it cannot be acknowledged', event: null });
    });

    it('an unknown alert id for this series', () => {
      const { m } = openOne();
      const r = m.applyCommand(command({ commandId: 'c1', alertId: 'no-such-alert' }), T0 + SEC);
      expect(r).toMatchObject({ applied: false, status: 'unknown', event: null });
      expect(r.reason).toBe('unknown alert no-such-alert for series svc/m (never opened here, or resolved long ago)');
    });

    it('an alert of another series', () => {
      const { m, opened } = openOne();
      const r = m.applyCommand(command({ commandId: 'c1', alertId: opened.alertId, source: 'other' }), T0 + SEC);
      expect(r).toMatchObject({ applied: false, status: 'unknown', reason: 'command for series other/m reached the monitor of svc/m' });
      expect(m.openAlerts()[0].status).toBe('firing');
    });

    it('malformed commands', () => {
      const { m, opened } = openOne();
      const bad = (c: Partial<AlertCommand>) => m.applyCommand({ ...command({ alertId: opened.alertId }), ...c } as AlertCommand, T0 + SEC);
      expect(bad({ commandId: 'x1', type: 'delete' as never }).reason).toBe('unknown command type "delete"; expected acknowledge or resolve');
      expect(bad({ commandId: '' }).reason).toBe('command has no commandId');
      expect(bad({ commandId: 'x2', alertId: '' }).reason).toBe('command has no alertId');
      expect(m.applyCommand(command({ commandId: 'x3', alertId: opened.alertId }), NaN).reason).toBe('command time is not a finite number');
      expect(m.applyCommand(null as unknown as AlertCommand, T0).reason).toBe('command has no commandId');
      expect(m.openAlerts()[0].version).toBe(1);
    });
  });

  it('a re-delivered command gets the same answer and makes no second event', () => {
    const { m, opened } = openOne();
    const first = m.applyCommand(command({ commandId: 'same', alertId: opened.alertId }), T0 + SEC);
    const again = m.applyCommand(command({ commandId: 'same', alertId: opened.alertId }), T0 + 9 * SEC);
    expect(again).toEqual(first);
    expect(m.openAlerts()[0].version).toBe(2);
  });

  it('caps comment length and defaults a missing actor', () => {
    const { m, opened } = openOne();
    const r = m.applyCommand(command({ commandId: 'c', alertId: opened.alertId, actor: '', comment: 'x'.repeat(1_000_000) }), T0 + SEC);
    expect(r.event?.actor).toBe('operator');
    expect(r.event!.reason.length).toBe('acknowledged: '.length + 500);
  });

  it('a threshold alert resolved while still breaching re-opens as a new alert after forMs', () => {
    const m = monitorWith([aboveRule({ forMs: 30_000 })]);
    const { alerts } = feed(m, T0, STEP, [150, 150, 150, 150]);
    expect(alerts).toHaveLength(1);
    m.applyCommand(command({ commandId: 'c', type: 'resolve', alertId: alerts[0].alertId }), T0 + 35 * SEC);
    const later = feed(m, T0 + 4 * STEP, STEP, [150, 150, 150, 150]).alerts;
    expect(later.map((a) => [a.reason, (a.timestamp - T0) / STEP])).toEqual([['opened', 7]]);
    expect(later[0].alertId).not.toBe(alerts[0].alertId);
  });

  it('an anomaly alert resolved by an operator does not re-open for the same anomaly, only for a new one', () => {
    const m = monitorWith([DEFAULT_ANOMALY_RULE]);
    const [opened] = m.observe(pt(T0, 50, 0.9), finding({ score: 0.9 })).alerts;
    m.applyCommand(command({ commandId: 'c', type: 'resolve', alertId: opened.alertId }), T0 + SEC);
    expect(m.observe(pt(T0 + STEP, 50, 0.9), finding({ score: 0.9, version: 2 })).alerts).toEqual([]);
    const fresh = m.observe(pt(T0 + 2 * STEP, 50, 0.9), finding({ score: 0.9, startTimestamp: T0 + 2 * STEP })).alerts;
    expect(fresh.map((a) => a.reason)).toEqual(['opened']);
  });

  it('remembers a bounded number of resolved alerts and command results', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const values: number[] = [];
    for (let k = 0; k < 40; k++) values.push(150, 50, 50, 50);
    const { alerts } = feed(m, T0, STEP, values);
    expect(alerts.filter((a) => a.reason === 'opened')).toHaveLength(40);
    for (let k = 0; k < 100; k++) m.applyCommand(command({ commandId: `c${k}`, alertId: `nope${k}` }), T0);
    const state = m.toJSON();
    expect(state.recentResolved).toHaveLength(16);
    expect(state.commandResults).toHaveLength(32);
    // the oldest resolved alert is forgotten: it is now "unknown", the newest still "already resolved"
    expect(m.applyCommand(command({ commandId: 'old', alertId: alerts[0].alertId }), T0).status).toBe('unknown');
    expect(m.applyCommand(command({ commandId: 'new', alertId: alerts[alerts.length - 1].alertId }), T0).status).toBe('resolved');
  });
});
