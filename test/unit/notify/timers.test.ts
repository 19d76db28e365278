/** Grouping timers with a fake clock: group_wait, group_interval, repeat_interval, ack, resolve. */
import { describe, expect, it } from 'vitest';
import { decide, type GroupClock } from '../../../oncall/notify/timers.ts';

const timers = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000, sendResolved: true };
const T0 = 1_000_000;

describe('decide', () => {
  const fresh: GroupClock = { firstSeenAt: T0, last: null };

  it('group_wait: the first notification waits, then fires', () => {
    expect(decide(fresh, { status: 'firing', key: 'k1' }, timers, T0 + 29_999)).toEqual({ action: 'wait', until: T0 + 30_000 });
    expect(decide(fresh, { status: 'firing', key: 'k1' }, timers, T0 + 30_000)).toEqual({ action: 'send', kind: 'firing' });
  });

  const notified: GroupClock = { firstSeenAt: T0, last: { at: T0 + 30_000, key: 'k1', resolved: false } };

  it('group_interval: a changed incident is sent no sooner than group_interval after the last', () => {
    expect(decide(notified, { status: 'firing', key: 'k2' }, timers, T0 + 100_000)).toEqual({ action: 'wait', until: T0 + 330_000 });
    expect(decide(notified, { status: 'firing', key: 'k2' }, timers, T0 + 330_000)).toEqual({ action: 'send', kind: 'update' });
  });

  it('repeat_interval: an unchanged firing incident repeats', () => {
    expect(decide(notified, { status: 'firing', key: 'k1' }, timers, T0 + 330_000)).toEqual({ action: 'wait', until: T0 + 3_630_000 });
    expect(decide(notified, { status: 'firing', key: 'k1' }, timers, T0 + 3_630_000)).toEqual({ action: 'send', kind: 'repeat' });
  });

  it('acknowledged: no repeats and no updates, however long', () => {
    expect(decide(notified, { status: 'acknowledged', key: 'k1' }, timers, T0 + 100 * 3_600_000)).toEqual({ action: 'idle' });
    expect(decide(notified, { status: 'acknowledged', key: 'k9' }, timers, T0 + 100 * 3_600_000)).toEqual({ action: 'idle' });
    // never notified and acknowledged before group_wait ended: nothing to say
    expect(decide(fresh, { status: 'acknowledged', key: 'k1' }, timers, T0 + 60_000)).toEqual({ action: 'idle' });
  });

  it('re-arming: firing again with a new alert after an acknowledgement notifies after group_interval', () => {
    expect(decide(notified, { status: 'firing', key: 'k-new-alert' }, timers, T0 + 330_000)).toEqual({ action: 'send', kind: 'update' });
  });

  it('resolved: sent once after group_interval when it had been notified and the receiver wants it', () => {
    expect(decide(notified, { status: 'resolved', key: 'r' }, timers, T0 + 31_000)).toEqual({ action: 'wait', until: T0 + 330_000 });
    expect(decide(notified, { status: 'resolved', key: 'r' }, timers, T0 + 330_000)).toEqual({ action: 'send', kind: 'resolved' });
    const after: GroupClock = { firstSeenAt: T0, last: { at: T0 + 330_000, key: 'r', resolved: true } };
    expect(decide(after, { status: 'resolved', key: 'r' }, timers, T0 + 10 * 3_600_000)).toEqual({ action: 'done' });
  });

  it('resolved without a prior notification, or with sendResolved off, sends nothing', () => {
    expect(decide(fresh, { status: 'resolved', key: 'r' }, timers, T0 + 1e9)).toEqual({ action: 'done' });
    expect(decide(notified, { status: 'resolved', key: 'r' }, { ...timers, sendResolved: false }, T0 + 1e9)).toEqual({ action: 'done' });
  });
});
