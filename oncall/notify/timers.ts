/**
 * When a notification group (one incident through one route to one receiver) sends, as a pure
 * function of its state, the incident and the clock, so it is tested with a fake clock:
 *
 * - group_wait: the first notification waits this long after the group was first seen firing,
 *   so alerts that open together arrive in one message;
 * - group_interval: after a notification, a changed incident (new alert, escalation, resolution)
 *   is sent no sooner than this;
 * - repeat_interval: an unchanged firing incident is re-sent this often;
 * - acknowledged: no repeats and no updates until it fires again (a new or re-opened alert makes
 *   it firing again and re-arms it) or resolves;
 * - resolved: sent once if the receiver wants resolved notifications and it had been notified.
 */
import type { AlertStatus } from '../../schemas/records.ts';
import type { GroupTimers } from './routing.ts';

export type NotificationKind = 'firing' | 'update' | 'repeat' | 'resolved';

export interface LastNotification {
  /** Wall-clock time it was delivered (or given up on). */
  at: number;
  /** contentKey() of the incident it described. */
  key: string;
  resolved: boolean;
}

export interface GroupClock {
  /** Wall-clock time the notifier first saw the group wanting a notification. */
  firstSeenAt: number;
  last: LastNotification | null;
}

export interface IncidentView {
  status: AlertStatus;
  key: string;
}

export type Decision =
  | { action: 'send'; kind: NotificationKind }
  | { action: 'wait'; until: number }
  /** Nothing to send and no timer running (acknowledged). */
  | { action: 'idle' }
  /** The group has said everything it will (resolved). */
  | { action: 'done' };

export function decide(clock: GroupClock, incident: IncidentView, timers: GroupTimers & { sendResolved: boolean }, now: number): Decision {
  const at = (until: number, kind: NotificationKind): Decision => (now >= until ? { action: 'send', kind } : { action: 'wait', until });
  const { last } = clock;
  if (incident.status === 'resolved') {
    if (!last || last.resolved || !timers.sendResolved) return { action: 'done' };
    return at(last.at + timers.groupIntervalMs, 'resolved');
  }
  if (incident.status === 'acknowledged') return { action: 'idle' };
  if (!last) return at(clock.firstSeenAt + timers.groupWaitMs, 'firing');
  if (last.resolved || last.key !== incident.key) return at(last.at + timers.groupIntervalMs, 'update');
  return at(last.at + timers.repeatIntervalMs, 'repeat');
}
