/**
 * The notifier's side of silences: an incident is silenced when every alert it would notify
 * about (not inhibited, not resolved) is muted by at least one active silence, matched on the
 * alert's own labels (oncall/silences alertLabels: alertname, source, metric, severity, kind, tag:<key>) —
 * the way Alertmanager silences alerts, not groups. A resolved incident is silenced when its
 * alerts were. The ids of every silence involved are recorded on the notification.
 */
import type { IncidentEvent } from '../../schemas/records.ts';
import { alertLabels, type SilenceSet } from '../silences/index.ts';
import type { SilenceLookup } from './engine.ts';
import { notifiableAlerts } from './labels.ts';

export function silenceLookup(set: Pick<SilenceSet, 'activeSilencesFor'>): SilenceLookup {
  return (incident: IncidentEvent, now: number) => {
    const alerts = notifiableAlerts(incident);
    const open = alerts.filter((a) => a.status !== 'resolved');
    const considered = open.length > 0 ? open : alerts;
    if (considered.length === 0) return [];
    const ids = new Set<string>();
    for (const a of considered) {
      const muting = set.activeSilencesFor({ ...incident.groupLabels, ...alertLabels(a) }, now);
      if (muting.length === 0) return [];
      for (const s of muting) ids.add(s.id);
    }
    return [...ids].sort();
  };
}
